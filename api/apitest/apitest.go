// Package apitest runs the whole Parley HTTP handler over a real database
// (internal/testenv) on a real listener, for tests that speak HTTP to it.
package apitest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/testenv"
)

// Env is a running Parley with its database.
type Env struct {
	*testenv.Env
	Server  *httptest.Server
	Handler *api.Handler
	// Auth is the server's key checker; Flush it to send pending
	// last_used_at writes before counting statements.
	Auth *apikey.Authenticator
	// Logs receives the server's log lines.
	Logs *testenv.SyncBuffer
	// Live is the server's subscription broker; Listener, on PostgreSQL,
	// its notification listener (wait for Ready before relying on it).
	Live     *live.Broker
	Listener *live.Listener
}

// Start returns a running server over a fresh database.
func Start(t testing.TB) *Env {
	t.Helper()
	return StartWith(t, nil)
}

// StartWith is Start with a chance to change the server's configuration.
func StartWith(t testing.TB, configure func(*api.Config)) *Env {
	t.Helper()
	return StartOn(t, testenv.Open(t), configure)
}

// StartWithLive is Start with live subscriptions bounded by opts.
func StartWithLive(t testing.TB, opts live.Options) *Env {
	t.Helper()
	return startOn(t, testenv.Open(t), opts, nil)
}

// StartOn is StartWith over a database the test opened itself (with
// testenv.Open's options).
func StartOn(t testing.TB, db *testenv.Env, configure func(*api.Config)) *Env {
	t.Helper()
	return startOn(t, db, live.Options{}, configure)
}

func startOn(t testing.TB, db *testenv.Env, liveOpts live.Options, configure func(*api.Config)) *Env {
	t.Helper()
	env := &Env{Env: db, Logs: &testenv.SyncBuffer{}}
	logger := slog.New(observe.LogHandler{Handler: slog.NewJSONHandler(env.Logs, nil)})
	env.Auth = apikey.New(env.Client, apikey.Options{Logger: logger})
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	env.Live, env.Listener = live.Start(ctx, env.Client, env.DB.Dialect, env.URL, liveOpts, logger)
	cfg := api.Config{
		Live:          env.Live,
		Auth:          env.Auth,
		Client:        env.Client,
		Logger:        logger,
		Introspection: true,
		Loader:        loader.DefaultOptions,
		Metrics:       env.Metrics,
		Ready:         env.DB.SQL.PingContext,
	}
	if configure != nil {
		configure(&cfg)
	}
	env.Handler = api.New(cfg)
	env.Server = httptest.NewServer(env.Handler)
	t.Cleanup(env.Server.Close)
	t.Cleanup(env.Handler.CloseStreams) // before Close, which waits for streams
	if env.Listener != nil {
		select {
		case <-env.Listener.Ready():
		case <-time.After(30 * time.Second):
			t.Fatal("the live listener did not start listening")
		}
	}
	return env
}

// MetricsText returns what the server's metrics handler serves (on the
// internal listener in production; the public handler has no /metrics by
// default).
func (e *Env) MetricsText(t testing.TB) string {
	t.Helper()
	rec := httptest.NewRecorder()
	e.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics handler: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// Send makes one request to the server at target (a path with its query),
// with key as Bearer token unless it is empty, and reads the whole answer.
func (e *Env) Send(t testing.TB, method, key, target string, body io.Reader, header http.Header) testenv.HTTPResponse {
	t.Helper()
	return testenv.Send(t, e.Server.Client(), method, e.Server.URL+target, key, body, header)
}

// GraphQL posts a query with key and decodes the answer.
func (e *Env) GraphQL(t testing.TB, key, query string, vars map[string]any) testenv.Response {
	t.Helper()
	return testenv.GraphQL(t, e.Server.Client(), e.Server.URL+"/graphql", key, query, vars)
}

// MustGraphQL is GraphQL that fails the test on any error.
func (e *Env) MustGraphQL(t testing.TB, key, query string, vars map[string]any) map[string]any {
	t.Helper()
	res := e.GraphQL(t, key, query, vars)
	if len(res.Errors) > 0 || res.Status != http.StatusOK {
		t.Fatalf("GraphQL status %d, errors %+v\nquery: %s", res.Status, res.Errors, query)
	}
	return res.Data
}

// WarmKey uses key once and sends the last_used_at write that its first use
// schedules, so that statement counts taken afterwards see only the
// requests themselves.
func (e *Env) WarmKey(t testing.TB, key string) {
	t.Helper()
	e.MustGraphQL(t, key, `{ viewer { livemode } }`, nil)
	e.Auth.Flush()
}
