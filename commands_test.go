package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/testenv"
	"github.com/parleyhq/parley/internal/viewer"
)

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, noEnv, &out, io.Discard); err != nil {
		t.Fatalf("parley %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// noEnv is an empty environment, so that the tests see only their flags.
func noEnv(string) string { return "" }

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
	for _, args := range [][]string{
		{"frobnicate"},
		{"apikey", "create", "--database-url", "sqlite://" + t.TempDir() + "/x.db"},
		{"apikey", "delete"},
		{"apikey"},
		{"apikey", "list", "--database-url", "sqlite://" + t.TempDir() + "/l.db"},
		{"apikey", "list", "--org", "Nobody", "--database-url", "sqlite://" + t.TempDir() + "/n.db"},
		{"apikey", "revoke", "--database-url", "sqlite://" + t.TempDir() + "/r.db"},
		{"apikey", "revoke", "--id", "sk_test_AbCd", "--database-url", "sqlite://" + t.TempDir() + "/p.db"},
		{"apikey", "revoke", "--id", uuid.NewString(), "--database-url", "sqlite://" + t.TempDir() + "/u.db"},
		{"migrate", "--database-url", "mysql://nope"},
		{"serve", "--demo", "maybe", "--database-url", "sqlite://" + t.TempDir() + "/y.db"},
	} {
		if err := run(context.Background(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("parley %s succeeded, want an error", strings.Join(args, " "))
		}
	}
}

// `parley apikey list` shows each key's display prefix and never a secret;
// `parley apikey revoke` makes a running server refuse the key on its next
// request.
func TestAPIKeyListAndRevoke(t *testing.T) {
	url := testenv.DatabaseURL(t)
	key := strings.TrimSpace(runCLI(t, "apikey", "create", "--database-url", url, "--org", "Acme", "--name", "deploy bot"))
	live := strings.TrimSpace(runCLI(t, "apikey", "create", "--database-url", url, "--org", "Acme", "--live"))
	other := strings.TrimSpace(runCLI(t, "apikey", "create", "--database-url", url, "--org", "Globex"))

	list := func() (header []string, rows map[string][]string, out string) {
		t.Helper()
		out = runCLI(t, "apikey", "list", "--database-url", url, "--org", "Acme")
		for _, k := range []string{key, live, other} {
			for _, secret := range []string{k, k[12:]} { // the whole key, and the part after the display prefix
				if strings.Contains(out, secret) {
					t.Fatalf("apikey list printed a secret:\n%s", out)
				}
			}
		}
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		header = strings.Fields(lines[0])
		rows = map[string][]string{}
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			rows[f[2]] = f
		}
		return header, rows, out
	}
	header, rows, out := list()
	if want := "ID MODE PREFIX NAME CREATED_AT LAST_USED_AT REVOKED_AT"; strings.Join(header, " ") != want {
		t.Fatalf("header %q, want %q", header, want)
	}
	if len(rows) != 2 || rows[key[:12]] == nil || rows[live[:12]] == nil || rows[other[:12]] != nil {
		t.Fatalf("apikey list --org Acme:\n%s\nwant one line per Acme key, by prefix", out)
	}
	test := rows[key[:12]]
	// id mode prefix name(2 words) created_at last_used_at revoked_at
	if len(test) != 8 || test[1] != "test" || test[3]+" "+test[4] != "deploy bot" || test[6] != "-" || test[7] != "-" {
		t.Fatalf("line for the test key: %q", test)
	}
	if l := rows[live[:12]]; len(l) != 7 || l[1] != "live" || l[3] != "-" {
		t.Fatalf("line for the live key: %q", l)
	}
	// Columns are aligned: every field of the header starts where the
	// lines' fields start.
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for _, col := range []string{"PREFIX", "CREATED_AT", "REVOKED_AT"} {
		i := strings.Index(lines[0], col)
		for _, l := range lines[1:] {
			if i >= len(l) || l[i-1] != ' ' || l[i] == ' ' {
				t.Fatalf("column %s is not aligned:\n%s", col, out)
			}
		}
	}

	// A server over the same database.
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(api.New(api.Config{
		Client: db.Client,
		Logger: slog.New(slog.DiscardHandler),
		Loader: loader.DefaultOptions,
	}))
	defer srv.Close()
	status := func(key string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := status(key); s != http.StatusOK {
		t.Fatalf("before revoking: status %d, want 200", s)
	}

	id := test[0]
	if out := runCLI(t, "apikey", "revoke", "--database-url", url, "--id", id); !strings.HasPrefix(out, "revoked "+id+" ("+key[:12]+")") || strings.Contains(out, key[12:]) {
		t.Fatalf("apikey revoke printed %q", out)
	}
	if s := status(key); s != http.StatusUnauthorized {
		t.Fatalf("after revoking: status %d, want 401", s)
	}
	if s := status(live); s != http.StatusOK {
		t.Fatalf("the other key: status %d after revoking one, want 200", s)
	}
	_, rows, out = list()
	if r := rows[key[:12]]; r[len(r)-1] == "-" {
		t.Fatalf("revoked_at not shown after revoking:\n%s", out)
	}
	if r := rows[live[:12]]; r[len(r)-1] != "-" {
		t.Fatalf("the live key shows as revoked:\n%s", out)
	}
	// Revoking again succeeds and keeps the key revoked.
	runCLI(t, "apikey", "revoke", "--database-url", url, "--id", id)
	if s := status(key); s != http.StatusUnauthorized {
		t.Fatalf("after revoking twice: status %d, want 401", s)
	}
}
