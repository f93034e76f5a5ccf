package api

import (
	"net/http"

	"github.com/parleyhq/parley/api/dashboard"
	"github.com/parleyhq/parley/api/playground"
	"github.com/parleyhq/parley/graph"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/rest"
)

// routes is the whole route table. Every route is named by its template in
// the access log and metrics; the two APIs sit behind the same chain of key
// check, rate limit and body limit, each answering failures in its own
// format.
func (h *Handler) routes(cfg Config) http.Handler {
	opts := graph.Options{
		Introspection:   cfg.Introspection,
		Loader:          cfg.Loader,
		Budget:          cfg.Budget,
		Limits:          cfg.GraphQLLimits,
		QueryCacheBytes: cfg.QueryCacheBytes,
		APQCacheBytes:   cfg.APQCacheBytes,

		Webhooks:            cfg.Webhooks,
		WebhookAllowPrivate: cfg.WebhookAllowPrivate,
		Live:                cfg.Live,
		Streams: graph.StreamOptions{
			Authenticate:   cfg.Auth.Authenticate,
			AllowedOrigins: cfg.AllowedOrigins,
			PingInterval:   cfg.PingInterval,
			Shutdown:       h.closing,
		},
	}
	gql := graph.NewHandler(cfg.Client, cfg.Logger, opts)
	restAPI := rest.New(graph.NewExecutor(cfg.Client, cfg.Logger, opts), cfg.Logger, rest.WithEvents(cfg.Live, cfg.Client))

	authenticated := func(next http.Handler, write errorWriter) http.Handler {
		next = ratelimit.Middleware(cfg.RateLimit, cfg.Metrics.RateLimited, write)(next)
		next = cfg.Auth.Middleware(write)(next)
		return limitBody(cfg.MaxBodyBytes, write)(next)
	}

	mux := http.NewServeMux()
	graphqlAPI := authenticated(gql, writeGraphQLError)
	mux.Handle("/graphql", named("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A browser's WebSocket cannot send headers: a websocket's key
		// comes in its connection_init, checked by the transport.
		if graph.IsWebsocket(r) {
			gql.ServeHTTP(w, r)
			return
		}
		graphqlAPI.ServeHTTP(w, r)
	})))
	mux.Handle(rest.Prefix+"/", restAPI.NameRoutes(authenticated(restAPI, rest.WriteError)))
	mux.Handle(rest.Prefix+"/openapi.json", named(rest.Prefix+"/openapi.json", http.HandlerFunc(rest.OpenAPI)))
	mux.Handle("GET /{$}", named("/", playground.Page("/graphql")))
	mux.Handle("GET "+playground.AssetsPath, named(playground.AssetsPath, playground.Assets()))
	mux.Handle("GET "+dashboard.Path, named(dashboard.Path, dashboard.Page("/graphql")))
	mux.Handle("GET "+dashboard.AssetsPath, named(dashboard.AssetsPath, dashboard.Assets()))
	mux.Handle("GET /healthz", named("/healthz", http.HandlerFunc(h.healthz)))
	mux.Handle("GET /readyz", named("/readyz", http.HandlerFunc(h.readyz)))
	if cfg.Metrics != nil && cfg.MetricsPublic {
		mux.Handle("GET /metrics", named("/metrics", cfg.Metrics.Handler()))
	}
	noRoute := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest.WriteError(w, r, apperr.NotFoundf("no route %s %s", r.Method, r.URL.Path))
	})
	// The prefix alone is no route either; without this, ServeMux would
	// answer it with an HTML redirect to the prefix's subtree.
	mux.Handle(rest.Prefix, noRoute)
	mux.Handle("/", noRoute)
	return mux
}
