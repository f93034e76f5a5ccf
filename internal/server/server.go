// Package server assembles Parley's HTTP surface: GraphQL at /graphql, the
// GraphiQL playground at /, and the REST API under /v1/backend.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/graph"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/rest"
)

// Config is what the HTTP handler needs.
type Config struct {
	Client *ent.Client
	Logger *slog.Logger
	// Introspection enables GraphQL introspection (GraphiQL needs it).
	Introspection bool
	Loader        loader.Options
	// Metrics, if set, are recorded and served at /metrics.
	Metrics *observe.Metrics
	// MetricsElsewhere keeps /metrics off this handler: the caller serves
	// Metrics.Handler() on a listener of its own (serve --metrics-addr).
	MetricsElsewhere bool
	// Ready reports whether the database can serve requests; nil means it
	// always can.
	Ready func(context.Context) error
	// Auth checks API keys and records their use; nil means one with
	// default options.
	Auth *apikey.Authenticator
	// RateLimit limits requests per API key; nil means no limit.
	RateLimit *ratelimit.Limiter
	// MaxBodyBytes bounds request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
}

// DefaultMaxBodyBytes bounds a request body: far above any GraphQL
// operation or message batch a client sends, far below what could hurt.
const DefaultMaxBodyBytes = 1 << 20

// Server is Parley's root HTTP handler.
type Server struct {
	handler  http.Handler
	ready    func(context.Context) error
	draining atomic.Bool
}

// New returns the root HTTP handler.
func New(cfg Config) *Server {
	s := &Server{ready: cfg.Ready}
	gql := graph.NewServer(cfg.Client, cfg.Logger, graph.Options{Introspection: cfg.Introspection})
	restAPI := rest.New(graph.NewExecutor(cfg.Client, cfg.Logger), cfg.Logger)
	loaders := loader.Middleware(cfg.Client, cfg.Loader)

	auth := cfg.Auth
	if auth == nil {
		auth = apikey.New(cfg.Client, apikey.Options{Logger: cfg.Logger})
	}
	maxBody := cfg.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	// Each API answers failures in its own format; the chain is the same.
	api := func(h http.Handler, write func(http.ResponseWriter, *http.Request, *apperr.Error)) http.Handler {
		h = loaders(h)
		h = ratelimit.Middleware(cfg.RateLimit, cfg.Metrics.RateLimited, write)(h)
		h = auth.Middleware(write)(h)
		return limitBody(maxBody, write)(h)
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", route("/graphql", api(gql, writeGraphQLError)))
	mux.Handle(rest.Prefix+"/", api(restAPI, rest.WriteError))
	mux.Handle(rest.Prefix+"/openapi.json", route(rest.Prefix+"/openapi.json", http.HandlerFunc(rest.OpenAPI)))
	mux.Handle("GET /{$}", route("/", playground.Handler("Parley GraphQL", "/graphql", playgroundOptions()...)))
	mux.Handle("GET "+playgroundAssetsPath, route(playgroundAssetsPath, playgroundAssets()))
	mux.Handle("GET /healthz", route("/healthz", http.HandlerFunc(s.healthz)))
	mux.Handle("GET /readyz", route("/readyz", http.HandlerFunc(s.readyz)))
	if cfg.Metrics != nil && !cfg.MetricsElsewhere {
		mux.Handle("GET /metrics", route("/metrics", cfg.Metrics.Handler()))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest.WriteError(w, r, apperr.NotFoundf("no route %s %s", r.Method, r.URL.Path))
	}))
	s.handler = observe.Middleware(cfg.Logger, cfg.Metrics)(mux)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Drain turns readiness off, so load balancers stop sending new requests
// while in-flight ones finish.
func (s *Server) Drain() { s.draining.Store(true) }

// limitBody answers 413 to a body over max bytes, before it is parsed. A
// body without a declared length is read up to the limit first.
func limitBody(max int64, write func(http.ResponseWriter, *http.Request, *apperr.Error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tooLarge := func() {
				write(w, r, apperr.New(apperr.PayloadTooLarge, "the request body is larger than %d bytes", max))
			}
			if r.ContentLength > max {
				tooLarge()
				return
			}
			if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
				body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
				if err != nil {
					write(w, r, apperr.Invalidf("reading the request body: %v", err))
					return
				}
				if int64(len(body)) > max {
					tooLarge()
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			} else {
				r.Body = http.MaxBytesReader(w, r.Body, max)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// route names the route template in the access log and metrics.
func route(template string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		observe.SetRoute(r.Context(), template)
		next.ServeHTTP(w, r)
	})
}

// healthz says the process is up.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, "ok")
}

// readyz says the server should get traffic: not shutting down, and the
// database answers (the schema was migrated before the server started).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeStatus(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			writeStatus(w, http.StatusServiceUnavailable, "database unavailable")
			return
		}
	}
	writeStatus(w, http.StatusOK, "ok")
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": status})
}

// writeGraphQLError answers a request rejected before GraphQL execution with
// a GraphQL-shaped error body.
func writeGraphQLError(w http.ResponseWriter, _ *http.Request, err *apperr.Error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(err.Code.HTTPStatus())
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{
			"message":    err.Message,
			"extensions": map[string]any{"code": err.Code},
		}},
	})
}
