package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/testenv"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls ok for up to 30 s: a bound for a loaded machine (seeding
// and migrating come before a server is ready), not a timing assertion.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for range 3000 {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func status(url string) int {
	res, err := http.Get(url)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// On SIGTERM (here: the context the signal cancels), readiness turns false
// while requests are still served, a request already in flight completes
// with 200, and serve returns without error (exit status 0).
func TestGracefulShutdown(t *testing.T) {
	url := testenv.DatabaseURL(t)
	key := strings.TrimSpace(runCLI(t, "apikey", "create", "--database-url", url, "--org", "Acme"))
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--database-url", url, "--demo", "false", "--shutdown-delay", "300ms", "--metrics-addr", "off"}, noEnv, io.Discard, io.Discard)
	}()
	base := "http://" + addr
	waitFor(t, "the server to be ready", func() bool { return status(base+"/readyz") == http.StatusOK })

	// A slow client: the request is in flight, its body half sent.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"query":"{ viewer { livemode organization { name } } }"}`
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, key, len(body), body[:10])

	cancel()
	waitFor(t, "readiness to turn off", func() bool { return status(base+"/readyz") == http.StatusServiceUnavailable })
	// After the delay the listener closes, while our request is still open.
	waitFor(t, "the listener to close", func() bool { return status(base+"/healthz") == 0 })

	fmt.Fprint(conn, body[10:])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight request got no response: %v", err)
	}
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(out), `"name":"Acme"`) {
		t.Fatalf("in-flight request: %d %s", res.StatusCode, out)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v, want nil (exit 0)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after its in-flight request finished")
	}
}

// On SIGTERM a request stuck on a database lock does not hold the drain
// past --shutdown-timeout: its deadline (--request-timeout, shorter) stops
// its SQL, it is answered 504 timeout, and serve returns without error
// (exit status 0, not 2). The lock is held from outside the server: SQLite's
// write lock (BEGIN IMMEDIATE), or PostgreSQL's ACCESS EXCLUSIVE on agents.
func TestShutdownWithStuckRequest(t *testing.T) {
	url := testenv.DatabaseURL(t)
	key := strings.TrimSpace(runCLI(t, "apikey", "create", "--database-url", url, "--org", "Acme"))
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--metrics-addr", metricsAddr, "--database-url", url, "--demo", "false",
			"--shutdown-delay", "0s", "--request-timeout", "1s", "--shutdown-timeout", "10s"}, noEnv, io.Discard, os.Stderr)
	}()
	base := "http://" + addr
	waitFor(t, "the server to be ready", func() bool { return status(base+"/readyz") == http.StatusOK })

	locker, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	tx, err := locker.SQL.BeginTx(context.Background(), nil) // SQLite: BEGIN IMMEDIATE, the write lock
	if err != nil {
		t.Fatal(err)
	}
	release := sync.OnceFunc(func() { _ = tx.Rollback() })
	defer release()
	if locker.Dialect == dialect.Postgres {
		if _, err := tx.Exec("LOCK TABLE agents IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
	}

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		body := `{"query":"mutation { createAgent(input: {name: \"Stuck\", availableModes: [\"text\"]}) { id } }"}`
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		answered <- answer{res.StatusCode, string(out), err}
	}()
	// In flight: the server holds a database connection for it.
	waitFor(t, "the request to reach the database", func() bool {
		res, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return !strings.Contains(string(out), `go_sql_in_use_connections{db_name="parley"} 0`)
	})

	cancel() // SIGTERM
	time.Sleep(3 * time.Second)
	pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
	a := <-answered
	release()
	if a.err != nil || a.status != http.StatusGatewayTimeout || !strings.Contains(a.body, `"code":"timeout"`) {
		t.Fatalf("the stuck request: %d %s %v, want 504 timeout", a.status, a.body, a.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v, want nil (exit 0)", err)
	}
}

// /metrics is served on the internal --metrics-addr listener and not on the
// public port, unless --metrics-public asks for it explicitly.
func TestServeMetricsAddr(t *testing.T) {
	url := testenv.DatabaseURL(t)
	serveUntilCancel := func(args ...string) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, append([]string{"serve", "--database-url", url, "--demo", "false", "--shutdown-delay", "0s"}, args...), noEnv, io.Discard, io.Discard)
		}()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve %v: %v", args, err)
			}
		}
	}

	addr, metricsAddr := freeAddr(t), freeAddr(t)
	stop := serveUntilCancel("--addr", addr, "--metrics-addr", metricsAddr)
	waitFor(t, "the server to be ready", func() bool { return status("http://"+addr+"/readyz") == http.StatusOK })
	waitFor(t, "the metrics listener", func() bool { return status("http://"+metricsAddr+"/metrics") == http.StatusOK })
	if got := status("http://" + addr + "/metrics"); got != http.StatusNotFound {
		t.Errorf("/metrics on the public port: %d, want 404", got)
	}
	if got := status("http://" + metricsAddr + "/graphql"); got != http.StatusNotFound {
		t.Errorf("/graphql on the metrics port: %d, want 404", got)
	}
	stop()

	addr = freeAddr(t)
	stop = serveUntilCancel("--addr", addr, "--metrics-addr", "off", "--metrics-public")
	waitFor(t, "the server to be ready", func() bool { return status("http://"+addr+"/readyz") == http.StatusOK })
	if got := status("http://" + addr + "/metrics"); got != http.StatusOK {
		t.Errorf("/metrics on the public port with --metrics-public: %d, want 200", got)
	}
	stop()
}

// serve's configuration comes from defaults, then the environment, then
// flags; a value that does not parse is an error naming where it came
// from, never a silent default.
func TestServeConfig(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	cfg, err := parseServeConfig([]string{"--rate-limit", "7"}, env(map[string]string{"RATE_LIMIT": "3", "ADDR": ":9999", "SHUTDOWN_DELAY": "1s"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RateLimit != 7 || cfg.Addr != ":9999" || cfg.ShutdownDelay != time.Second || cfg.RateBurst != 100 || cfg.Demo != demoAuto {
		t.Fatalf("config %+v: want the flag over the environment over the defaults", cfg)
	}
	if time.Duration(cfg.RequestTimeout) != 10*time.Second {
		t.Fatalf("request timeout %v, want 10s", cfg.RequestTimeout)
	}
	if cfg.QueryCacheBytes != 64<<20 || cfg.APQCacheBytes != 16<<20 {
		t.Fatalf("cache bounds %d and %d, want 64 MiB and 16 MiB", cfg.QueryCacheBytes, cfg.APQCacheBytes)
	}
	// Metrics stay on loopback unless told otherwise.
	if cfg.MetricsAddr != "127.0.0.1:9090" || cfg.MetricsPublic {
		t.Fatalf("metrics: addr %q, public %v; want 127.0.0.1:9090 and false", cfg.MetricsAddr, cfg.MetricsPublic)
	}
	// The collector's target is the server's unless GOGC says otherwise.
	if cfg.GOGCSet {
		t.Fatalf("GOGCSet without GOGC")
	}
	if cfg, err := parseServeConfig(nil, env(map[string]string{"GOGC": "50"}), io.Discard); err != nil || !cfg.GOGCSet {
		t.Fatalf("GOGC=50: GOGCSet %v, %v", cfg.GOGCSet, err)
	}
	cfg, err = parseServeConfig([]string{"--metrics-public"}, env(map[string]string{"METRICS_ADDR": "off"}), io.Discard)
	if err != nil || cfg.MetricsAddr != "" || !cfg.MetricsPublic {
		t.Fatalf("METRICS_ADDR=off --metrics-public: %+v, %v", cfg, err)
	}
	for name, tc := range map[string]struct {
		args []string
		vars map[string]string
		want string
	}{
		"bad number in env":        {nil, map[string]string{"RATE_LIMIT": "fifty"}, "RATE_LIMIT"},
		"bad bool in env":          {nil, map[string]string{"GRAPHQL_INTROSPECTION": "maybe"}, "GRAPHQL_INTROSPECTION"},
		"bad duration in env":      {nil, map[string]string{"SHUTDOWN_TIMEOUT": "30"}, "SHUTDOWN_TIMEOUT"},
		"bad demo in env":          {nil, map[string]string{"PARLEY_DEMO": "yes"}, "PARLEY_DEMO"},
		"bad demo flag":            {[]string{"--demo", "maybe"}, nil, "demo"},
		"bad size flag":            {[]string{"--max-body-bytes", "1MB"}, nil, "max-body-bytes"},
		"zero statement budget":    {nil, map[string]string{"MAX_STATEMENTS": "0"}, "MAX_STATEMENTS"},
		"bad read budget":          {[]string{"--max-read-bytes", "8MiB"}, nil, "max-read-bytes"},
		"bad GraphQL depth":        {nil, map[string]string{"GRAPHQL_MAX_DEPTH": "-3"}, "GRAPHQL_MAX_DEPTH"},
		"bad metrics address":      {nil, map[string]string{"METRICS_ADDR": "9090"}, "METRICS_ADDR"},
		"zero query cache":         {nil, map[string]string{"QUERY_CACHE_BYTES": "0"}, "QUERY_CACHE_BYTES"},
		"bad query cache":          {[]string{"--query-cache-bytes", "64MB"}, nil, "query-cache-bytes"},
		"negative apq cache":       {nil, map[string]string{"APQ_CACHE_BYTES": "-1"}, "APQ_CACHE_BYTES"},
		"zero request timeout":     {nil, map[string]string{"REQUEST_TIMEOUT": "0s"}, "REQUEST_TIMEOUT"},
		"bad request timeout":      {[]string{"--request-timeout", "10"}, nil, "request-timeout"},
		"negative request timeout": {[]string{"--request-timeout", "-1s"}, nil, "request-timeout"},
		"bad metrics public":       {nil, map[string]string{"METRICS_PUBLIC": "yes"}, "METRICS_PUBLIC"},
	} {
		if _, err := parseServeConfig(tc.args, env(tc.vars), io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s", name, err, tc.want)
		}
	}
}

// The limit flags reach the running server: a tiny statement budget and
// depth refuse requests the defaults would serve.
func TestServeLimitFlags(t *testing.T) {
	url := testenv.DatabaseURL(t)
	key := strings.TrimSpace(runCLI(t, "apikey", "create", "--database-url", url, "--org", "Acme"))
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--database-url", url, "--demo", "false", "--shutdown-delay", "0s",
			"--metrics-addr", "off", "--max-statements", "1", "--graphql-max-depth", "2"}, noEnv, io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v", err)
		}
	}()
	waitFor(t, "the server to be ready", func() bool { return status("http://"+addr+"/readyz") == http.StatusOK })
	ask := func(query string) testenv.Response {
		return testenv.GraphQL(t, http.DefaultClient, "http://"+addr+"/graphql", key, query, nil)
	}
	if res := ask(`{ viewer { livemode } }`); len(res.Errors) != 0 {
		t.Fatalf("one statement, two levels: %+v", res.Errors)
	}
	if res := ask(`{ viewer { organization { name } } }`); len(res.Errors) != 1 || res.Errors[0].Code() != "invalid_request" || !strings.Contains(res.Errors[0].Message, "limit is 2") {
		t.Errorf("three levels with --graphql-max-depth 2: %+v", res.Errors)
	}
	if res := ask(`{ a: viewer { livemode } b: viewer { livemode } }`); len(res.Errors) != 1 || res.Errors[0].Code() != "budget_exceeded" {
		t.Errorf("two statements with --max-statements 1: %+v", res.Errors)
	}
}
