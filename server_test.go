package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/testenv"
	"github.com/parleyhq/parley/internal/viewer"
)

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := run(context.Background(), args, &out, logger); err != nil {
		t.Fatalf("parley %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// `parley seed` prints a key on its last line that sees exactly the
// conversations it made; a second run adds to the same organization.
func TestSeedAndAPIKeyCommands(t *testing.T) {
	url := testenv.DatabaseURL(t)
	runCLI(t, "migrate", "--database-url", url)
	key := lastLine(runCLI(t, "seed", "--database-url", url, "--org", "Zeta", "--conversations", "25", "--messages", "4", "--seed", "3"))
	if !strings.HasPrefix(key, "sk_test_") {
		t.Fatalf("seed's last line = %q, want a test key", key)
	}

	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(key string) int {
		t.Helper()
		v, err := apikey.Authenticate(context.Background(), db.Client, key)
		if err != nil {
			t.Fatalf("authenticating %q: %v", key, err)
		}
		n, err := db.Client.Conversation.Query().Count(viewer.NewContext(context.Background(), v))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(key); n != 25 {
		t.Fatalf("the seeded key sees %d conversations, want 25", n)
	}
	runCLI(t, "seed", "--database-url", url, "--org", "Zeta", "--conversations", "5")
	if n := count(key); n != 30 {
		t.Fatalf("after a second seed the key sees %d conversations, want 30", n)
	}

	live := strings.TrimSpace(runCLI(t, "apikey", "create", "--database-url", url, "--org", "Zeta", "--live"))
	if !strings.HasPrefix(live, "sk_live_") || strings.Contains(live, "\n") {
		t.Fatalf("apikey create printed %q, want one live key", live)
	}
	if n := count(live); n != 0 {
		t.Fatalf("a live key sees %d test conversations, want 0", n)
	}
}

func TestCommandErrors(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, args := range [][]string{
		{"frobnicate"},
		{"apikey", "create", "--database-url", "sqlite://" + t.TempDir() + "/x.db"},
		{"apikey", "delete"},
		{"migrate", "--database-url", "mysql://nope"},
		{"serve", "--demo", "maybe", "--database-url", "sqlite://" + t.TempDir() + "/y.db"},
	} {
		if err := run(context.Background(), args, io.Discard, logger); err == nil {
			t.Errorf("parley %s succeeded, want an error", strings.Join(args, " "))
		}
	}
}
