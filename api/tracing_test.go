package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/testenv"
)

// With tracing on, a request yields an HTTP span with resolver and SQL
// spans beneath it, all in one trace.
func TestTracing(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	previous := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder)))
	t.Cleanup(func() { otel.SetTracerProvider(previous) })

	db, err := database.Open(context.Background(), testenv.DatabaseURL(t), database.WithDriver(observe.TraceStatements))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := database.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	key, err := apikey.Create(context.Background(), db.Client, "Acme", false)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(observe.TraceHTTP(api.New(api.Config{Client: db.Client, Logger: logger, Loader: loader.DefaultOptions})))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"query Page { conversations(first: 2) { edges { node { id } } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}

	spans := recorder.Ended()
	names := map[string]bool{}
	trace := spans[0].SpanContext().TraceID()
	for _, s := range spans {
		names[s.Name()] = true
		if s.SpanContext().TraceID() != trace {
			t.Errorf("span %q is in another trace", s.Name())
		}
	}
	for _, want := range []string{"POST /graphql", "graphql Query.conversations", "sql"} {
		if !names[want] {
			t.Errorf("no %q span among %v", want, names)
		}
	}

	// A REST path with an ID is named by its route template.
	recorder.Reset()
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/v1/backend/agents/"+gid.New(gid.Agent).String(), nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown agent: status %d, want 404", res.StatusCode)
	}
	names = map[string]bool{}
	for _, s := range recorder.Ended() {
		names[s.Name()] = true
	}
	if !names["GET /v1/backend/agents/{id}"] {
		t.Errorf("no span named by the route template among %v", names)
	}
}
