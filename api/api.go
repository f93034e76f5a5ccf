// Package api assembles Parley's HTTP surface: the GraphQL endpoint, the
// REST API, the playground, health checks and metrics, behind one chain of
// request logging, authentication, rate limiting and body limits. The route
// table is in routes.go.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/graph"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/budget"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/ratelimit"
)

// Config is what the HTTP handler needs.
type Config struct {
	Client *ent.Client
	Logger *slog.Logger
	// Introspection enables GraphQL introspection (GraphiQL needs it).
	Introspection bool
	// Loader tunes the dataloaders each GraphQL operation gets.
	Loader loader.Options
	// Budget bounds each request's statements, rows and bytes; zero means
	// budget.DefaultLimits.
	Budget budget.Limits
	// GraphQLLimits bound what one GraphQL document may ask for; zero means
	// graph.DefaultLimits.
	GraphQLLimits graph.Limits
	// Metrics, if set, are recorded; their handler is served by the caller
	// on an internal listener (serve --metrics-addr).
	Metrics *observe.Metrics
	// MetricsPublic also serves /metrics on this handler (serve
	// --metrics-public). Off by default: operation names are chosen by
	// callers, so one tenant could read what others run.
	MetricsPublic bool
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
	// RequestTimeout is every request's deadline (0: DefaultRequestTimeout).
	RequestTimeout time.Duration
	// QueryCacheBytes and APQCacheBytes bound GraphQL's parsed-query and
	// persisted-query caches (0: graph's defaults).
	QueryCacheBytes int64
	APQCacheBytes   int64
	// Webhooks queues test events and redeliveries (internal/delivery);
	// nil where no delivery service runs.
	Webhooks graph.WebhookQueue
	// WebhookAllowPrivate admits endpoint URLs on internal networks
	// (serve --webhook-allow-private; development and tests only).
	WebhookAllowPrivate bool
	// Live delivers committed changes to GraphQL subscriptions; nil
	// refuses them.
	Live *live.Broker
	// AllowedOrigins are host patterns ("app.example.com",
	// "*.example.com") whose pages may open websockets, besides the
	// server's own.
	AllowedOrigins []string
	// PingInterval is how often streams are pinged (0: graph's default).
	PingInterval time.Duration
}

// DefaultMaxBodyBytes bounds a request body: far above any GraphQL
// operation or message batch a client sends, far below what could hurt.
const DefaultMaxBodyBytes = 1 << 20

// DefaultRequestTimeout is every request's deadline: the slowest request
// the benchmarks saw (a GraphQL page of 50 conversations with 800 messages,
// p99 0.28 s with the CPUs saturated) has 35 times that, and it is well
// under the 30-second shutdown timeout, so a draining server never waits
// out a stuck request.
const DefaultRequestTimeout = 10 * time.Second

// Handler is Parley's root HTTP handler.
type Handler struct {
	handler  http.Handler
	ready    func(context.Context) error
	draining atomic.Bool

	live      *live.Broker
	closing   chan struct{}
	closeOnce sync.Once
}

// New returns the root HTTP handler.
func New(cfg Config) *Handler {
	if cfg.Auth == nil {
		cfg.Auth = apikey.New(cfg.Client, apikey.Options{Logger: cfg.Logger})
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	h := &Handler{ready: cfg.Ready, live: cfg.Live, closing: make(chan struct{})}
	h.handler = observe.Middleware(cfg.Logger, cfg.Metrics)(withDeadline(cfg.RequestTimeout, h.routes(cfg)))
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.handler.ServeHTTP(w, r) }

// Drain turns readiness off, so load balancers stop sending new requests
// while in-flight ones finish.
func (h *Handler) Drain() { h.draining.Store(true) }

// CloseStreams closes every websocket with 1001, so clients reconnect to
// another server and subscribe again, then ends the other streams (SSE),
// each told why: the HTTP server's Shutdown neither closes hijacked
// connections nor ends streams. Call it when shutdown begins
// (http.Server.RegisterOnShutdown).
func (h *Handler) CloseStreams() {
	h.closeOnce.Do(func() {
		close(h.closing) // first: an error message would end a graphql-ws subscription for good
		if h.live != nil {
			h.live.Close()
		}
	})
}
