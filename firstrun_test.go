package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testenv"
)

// serveFor runs `parley serve` with args until the returned stop is called,
// and returns what it wrote to stdout and stderr.
func serveFor(t *testing.T, args ...string) (stdout, stderr *testenv.SyncBuffer, stop func(cause error) error) {
	t.Helper()
	stdout, stderr = &testenv.SyncBuffer{}, &testenv.SyncBuffer{}
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--metrics-addr", "off"}, args...), noEnv, stdout, stderr)
	}()
	return stdout, stderr, func(cause error) error {
		cancel(cause)
		select {
		case err := <-done:
			return err
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not return")
			return nil
		}
	}
}

// A first run prints a key and a curl command a person can paste as they
// are (no JSON escapes), for the address it really listens on; the curl
// works.
func TestFirstRunHintPastes(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	stdout, stderr, stop := serveFor(t, "--addr", addr, "--database-url", "sqlite://"+filepath.Join(dir, "p.db"), "--shutdown-delay", "0s")
	defer stop(nil)
	waitFor(t, "the first-run hint", func() bool { return strings.Contains(stdout.String(), "curl") })
	out := stdout.String()
	curl := regexp.MustCompile(`(?s)  (curl -s http://\S+/graphql \\.*?\}'\n)`).FindStringSubmatch(out)
	if curl == nil || !strings.Contains(curl[1], "http://"+addr+"/graphql") || strings.Contains(out, `\"Authorization`) {
		t.Fatalf("no pasteable curl for %s in:\n%s", addr, out)
	}
	// Paste it into a shell, as a person would.
	got, err := exec.Command("sh", "-c", curl[1]).Output()
	if err != nil || !strings.Contains(string(got), `"totalCount":200`) {
		t.Fatalf("pasting the command: %v\n%s", err, got)
	}
	if !strings.Contains(stderr.String(), `"api_key":"sk_test_`) {
		t.Errorf("the JSON log lost the key for machines:\n%s", stderr.String())
	}
}

// On a database with data the hint names the demo organization; on an
// empty one that was not seeded it says how to get data and a key.
func TestRestartAndEmptyHints(t *testing.T) {
	url := "sqlite://" + filepath.Join(t.TempDir(), "p.db")
	out, _, stop := serveFor(t, "--addr", freeAddr(t), "--database-url", url, "--shutdown-delay", "0s")
	waitFor(t, "the first run", func() bool { return strings.Contains(out.String(), "sk_test_") })
	if err := stop(nil); err != nil {
		t.Fatal(err)
	}
	out, _, stop = serveFor(t, "--addr", freeAddr(t), "--database-url", url, "--shutdown-delay", "0s")
	waitFor(t, "the restart hint", func() bool { return strings.Contains(out.String(), "To get an API key") })
	if !strings.Contains(out.String(), "go run . apikey create --org Demo") {
		t.Errorf("restart hint does not name the Demo organization:\n%s", out)
	}
	stop(nil)

	out, _, stop = serveFor(t, "--addr", freeAddr(t), "--database-url", testenv.DatabaseURL(t), "--demo", "false", "--shutdown-delay", "0s")
	defer stop(nil)
	waitFor(t, "the empty-database hint", func() bool { return strings.Contains(out.String(), "no organization yet") })
	if !strings.Contains(out.String(), "go run . seed") {
		t.Errorf("empty-database hint:\n%s", out)
	}
}

// "listening" is said only once the port is bound; a port in use is an
// error and no such line.
func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var stderr bytes.Buffer
	err = run(context.Background(), []string{"serve", "--addr", l.Addr().String(), "--metrics-addr", "off", "--database-url", "sqlite://" + filepath.Join(t.TempDir(), "p.db")}, noEnv, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("serve on a taken port: %v", err)
	}
	if strings.Contains(stderr.String(), "parley listening") {
		t.Errorf("said listening on a taken port:\n%s", stderr.String())
	}
}

// Ctrl-C stops at once: no drain delay, which is for load balancers and
// SIGTERM. (With an hour's delay, a drained stop would not return.)
func TestInterruptSkipsTheDrainDelay(t *testing.T) {
	addr := freeAddr(t)
	_, stderr, stop := serveFor(t, "--addr", addr, "--database-url", testenv.DatabaseURL(t), "--demo", "false", "--shutdown-delay", "1h")
	waitFor(t, "the server", func() bool { return status("http://"+addr+"/healthz") == http.StatusOK })
	if err := stop(errInterrupted); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if strings.Contains(stderr.String(), "readiness is off") || !strings.Contains(stderr.String(), "interrupted: stopping now") {
		t.Errorf("an interrupt drained as for SIGTERM:\n%s", stderr.String())
	}
}

// The CLI's rough edges: help is not an error, usage lines read right, a
// bad flag is reported once (by the flag package; main stays quiet), a
// long name is refused in words, a missing SQLite folder is named, and
// organization names match without regard to case.
func TestCLIEdges(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"apikey", "create", "-h"}, noEnv, io.Discard, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("apikey create -h: %v, want flag.ErrHelp (exit 0)", err)
	}
	if u := stderr.String(); strings.Contains(u, "-name apikey list") || !strings.Contains(u, "-name string") {
		t.Errorf("apikey create -h usage:\n%s", u)
	}
	if err := run(context.Background(), []string{"help"}, noEnv, io.Discard, io.Discard); err != nil {
		t.Errorf("help: %v", err)
	}
	stderr.Reset()
	err := run(context.Background(), []string{"apikey", "list", "--bogus"}, noEnv, io.Discard, &stderr)
	var printed errPrinted
	if !errors.As(err, &printed) || strings.Count(stderr.String(), "flag provided but not defined") != 1 {
		t.Errorf("a bad flag: %v, stderr %q; want it printed once and marked as printed", err, stderr.String())
	}

	url := testenv.DatabaseURL(t)
	err = run(context.Background(), []string{"apikey", "create", "--database-url", url, "--org", "Acme", "--name", strings.Repeat("n", 201)}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--name is too long") || strings.Contains(err.Error(), "ent:") {
		t.Errorf("a 201-character name: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "no", "such")
	err = run(context.Background(), []string{"migrate", "--database-url", "sqlite://" + filepath.Join(missing, "p.db")}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("a missing SQLite folder: %v", err)
	}

	runCLI(t, "seed", "--database-url", url, "--conversations", "3")
	runCLI(t, "apikey", "create", "--database-url", url, "--org", "demo")
	list := runCLI(t, "apikey", "list", "--database-url", url, "--org", "DEMO")
	if n := strings.Count(list, "sk_test_"); n != 2 {
		t.Errorf("apikey list --org DEMO after seed and create --org demo shows %d keys, want both of Demo's:\n%s", n, list)
	}
}
