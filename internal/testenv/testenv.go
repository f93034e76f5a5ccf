// Package testenv is the one test harness below the HTTP assembly: a real
// database for a test (SQLite in a temporary file, or PostgreSQL when
// TEST_DATABASE_URL is set, each test then in a schema of its own), a
// statement counter, API keys, one way to send a request with a key and read
// the answer, and a log buffer safe for concurrent writers. It never skips:
// a PostgreSQL URL that cannot be reached fails the test. api/apitest runs
// the whole server on top of it.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/parleyhq/parley/ent"
	_ "github.com/parleyhq/parley/ent/runtime" // schema hooks and policies
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/observe"
)

// Env is a migrated database for one test.
type Env struct {
	DB      *database.DB
	Client  *ent.Client
	Queries *Counter
	Metrics *observe.Metrics
	// URL is the database's URL (postgres:// with the test's schema as
	// search_path, or sqlite://), for a second connection to it.
	URL string
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

// Open returns a migrated database for t, with a statement counter and
// any further options (a driver wrapper that injects failures, say).
func Open(t testing.TB, opts ...database.Option) *Env {
	t.Helper()
	return openURL(t, DatabaseURL(t), opts...)
}

// Reopen opens env's database again with a client and pool of its own, as
// another server process sharing it would.
func Reopen(t testing.TB, env *Env, opts ...database.Option) *Env {
	t.Helper()
	return openURL(t, env.URL, opts...)
}

func openURL(t testing.TB, url string, opts ...database.Option) *Env {
	t.Helper()
	counter := &Counter{}
	metrics := observe.NewMetrics()
	opts = append([]database.Option{database.WithDriver(counter.Wrap), database.WithDriver(metrics.Driver)}, opts...)
	db, err := database.Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := database.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	metrics.WatchPool(db.SQL)
	return &Env{URL: url, DB: db, Client: db.Client, Queries: counter, Metrics: metrics}
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

// GraphQL posts a query with key to the GraphQL endpoint at url and decodes
// the answer.
func GraphQL(t testing.TB, client *http.Client, url, key, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	res := Send(t, client, http.MethodPost, url, key, bytes.NewReader(body), http.Header{"Content-Type": {"application/json"}})
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []GraphQLError `json:"errors"`
	}
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatalf("decoding GraphQL response %q: %v", res.Body, err)
	}
	return Response{Status: res.Status, Data: out.Data, Errors: out.Errors}
}

// HTTPResponse is a raw HTTP answer, read whole.
type HTTPResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r HTTPResponse) String() string {
	return fmt.Sprintf("HTTP %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
}

// Send makes one request with key as Bearer token (none if key is empty)
// and the given headers, and reads the whole answer.
func Send(t testing.TB, client *http.Client, method, url, key string, body io.Reader, header http.Header) HTTPResponse {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return HTTPResponse{Status: res.StatusCode, Header: res.Header, Body: raw}
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

// SyncBuffer is a log buffer that concurrent requests may write to.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
