// Package testenv starts Parley against a real database for tests: SQLite
// in a temporary file, or PostgreSQL when TEST_DATABASE_URL is set (each
// test then gets a schema of its own). It never skips: a PostgreSQL URL that
// cannot be reached fails the test.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/parleyhq/parley/ent"
	_ "github.com/parleyhq/parley/ent/runtime" // schema hooks and policies
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/server"
)

// Env is a running Parley with its database.
type Env struct {
	DB      *database.DB
	Client  *ent.Client
	Queries *Counter
	Metrics *observe.Metrics
	Server  *httptest.Server
	Handler *server.Server
	// Auth is the server's key checker; Flush it to send pending
	// last_used_at writes before counting statements.
	Auth *apikey.Authenticator
	// Logs receives the server's log lines.
	Logs *bytes.Buffer
}

// DatabaseURL returns a migrated, empty database for t.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		return "sqlite://" + filepath.Join(t.TempDir(), "parley.db")
	}
	schema := "t_" + strings.ToLower(rand.Text()[:12])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("TEST_DATABASE_URL: cannot create a test schema (is PostgreSQL reachable?): %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated database for t, with a statement counter.
func Open(t testing.TB) *Env {
	t.Helper()
	counter := &Counter{}
	metrics := observe.NewMetrics()
	db, err := database.Open(context.Background(), DatabaseURL(t), database.WithDriver(counter.Wrap), database.WithDriver(metrics.Driver))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := database.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	metrics.WatchPool(db.SQL)
	return &Env{DB: db, Client: db.Client, Queries: counter, Metrics: metrics}
}

// Start returns a running server over a fresh database.
func Start(t testing.TB) *Env {
	t.Helper()
	return StartWith(t, nil)
}

// StartWith is Start with a chance to change the server's configuration.
func StartWith(t testing.TB, configure func(*server.Config)) *Env {
	t.Helper()
	env := Open(t)
	env.Logs = &bytes.Buffer{}
	logger := slog.New(observe.LogHandler{Handler: slog.NewJSONHandler(&syncWriter{w: env.Logs}, nil)})
	env.Auth = apikey.New(env.Client, apikey.Options{Logger: logger})
	cfg := server.Config{
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
	env.Handler = server.New(cfg)
	env.Server = httptest.NewServer(env.Handler)
	t.Cleanup(env.Server.Close)
	return env
}

// Key creates an API key for the named organization.
func (e *Env) Key(t testing.TB, org string, live bool) string {
	t.Helper()
	key, err := apikey.Create(context.Background(), e.Client, org, live)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// WarmKey uses key once and sends the last_used_at write that its first use
// schedules, so that statement counts taken afterwards see only the
// requests themselves.
func (e *Env) WarmKey(t testing.TB, key string) {
	t.Helper()
	e.MustGraphQL(t, key, `{ viewer { livemode } }`, nil)
	e.Auth.Flush()
}

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Data   map[string]any
	Errors []GraphQLError
}

// GraphQLError is one entry of a response's errors.
type GraphQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e GraphQLError) Code() string { s, _ := e.Extensions["code"].(string); return s }

// GraphQL posts a query with key and decodes the answer.
func (e *Env) GraphQL(t testing.TB, key, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []GraphQLError `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decoding GraphQL response %q: %v", raw, err)
	}
	return Response{Status: res.StatusCode, Data: out.Data, Errors: out.Errors}
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

// Get walks a decoded JSON value by keys and indexes, e.g.
// Get(data, "conversations", "edges", 0, "node", "id").
func Get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				panic(fmt.Sprintf("testenv.Get: %v is not an object at %q", v, k))
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				panic(fmt.Sprintf("testenv.Get: no index %d in %v", k, v))
			}
			v = a[k]
		}
	}
	return v
}

// syncWriter serialises writes from concurrent requests to the log buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
