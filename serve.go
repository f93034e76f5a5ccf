package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/graph"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/budget"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/ratelimit"
)

// serveConfig is everything `parley serve` can be told, from flags or the
// environment.
type serveConfig struct {
	DatabaseURL   string
	Addr          string
	Demo          demoMode
	Introspection bool
	RateLimit     float64
	RateBurst     int
	MetricsAddr   listenAddr // empty: no metrics listener
	MetricsPublic bool
	PprofAddr     string
	// WebhookAllowPrivate lets webhooks reach internal addresses
	// (development and tests).
	WebhookAllowPrivate bool
	// GOGCSet: the environment sets the collector's target itself.
	GOGCSet         bool
	ShutdownDelay   time.Duration
	ShutdownTimeout time.Duration
	MaxBodyBytes    int64
	RequestTimeout  positiveDuration
	QueryCacheBytes positiveInt
	APQCacheBytes   positiveInt
	// What one GraphQL document may ask for (graph.Limits) and what one
	// request may read (budget.Limits).
	MaxTokens     positiveInt
	MaxRepeats    positiveInt
	MaxDepth      positiveInt
	MaxComplexity positiveInt
	MaxStatements positiveInt
	MaxRows       positiveInt
	MaxReadBytes  positiveInt
	// Live subscriptions: websocket origins besides the server's own, and
	// open subscriptions per key.
	AllowedOrigins   string
	MaxSubscriptions positiveInt
}

// parseServeConfig reads the configuration: defaults, then the environment,
// then the command line. A value that does not parse is an error naming
// where it came from, never a silent default.
func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	cfg := serveConfig{Demo: demoAuto, GOGCSet: getenv("GOGC") != ""}
	fs := flag.NewFlagSet("parley serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// Each flag has an environment variable of its own, named in its usage.
	env := map[string]string{}
	def := func(name, variable string) string {
		env[name] = variable
		return fmt.Sprintf(" (env %s)", variable)
	}
	fs.StringVar(&cfg.DatabaseURL, "database-url", database.DefaultURL, "database URL: sqlite://PATH or postgres://..."+def("database-url", "DATABASE_URL"))
	fs.StringVar(&cfg.Addr, "addr", ":3002", "listen address"+def("addr", "ADDR"))
	fs.Var(&cfg.Demo, "demo", "on an empty database, seed a demo organization and log its test key: auto (SQLite only), true or false"+def("demo", "PARLEY_DEMO"))
	fs.BoolVar(&cfg.Introspection, "introspection", true, "allow GraphQL introspection"+def("introspection", "GRAPHQL_INTROSPECTION"))
	fs.Float64Var(&cfg.RateLimit, "rate-limit", 50, "requests per second allowed per API key on average, 0 for no limit"+def("rate-limit", "RATE_LIMIT"))
	fs.IntVar(&cfg.RateBurst, "rate-burst", 100, "requests per API key allowed in a burst"+def("rate-burst", "RATE_BURST"))
	cfg.MetricsAddr = defaultMetricsAddr
	fs.Var(&cfg.MetricsAddr, "metrics-addr", "serve /metrics on this internal address (host:port), or off"+def("metrics-addr", "METRICS_ADDR"))
	fs.BoolVar(&cfg.MetricsPublic, "metrics-public", false, "also serve /metrics on --addr, to anyone who can reach it"+def("metrics-public", "METRICS_PUBLIC"))
	fs.BoolVar(&cfg.WebhookAllowPrivate, "webhook-allow-private", false, "let webhook endpoints be loopback, private or link-local addresses: for local development and tests only"+def("webhook-allow-private", "WEBHOOK_ALLOW_PRIVATE"))
	fs.StringVar(&cfg.PprofAddr, "pprof-addr", "", "serve net/http/pprof on this address, e.g. 127.0.0.1:6060; off when empty"+def("pprof-addr", "PPROF_ADDR"))
	fs.DurationVar(&cfg.ShutdownDelay, "shutdown-delay", 5*time.Second, "on SIGTERM, how long to keep serving with /readyz failing before closing the listener"+def("shutdown-delay", "SHUTDOWN_DELAY"))
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish on shutdown"+def("shutdown-timeout", "SHUTDOWN_TIMEOUT"))
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", api.DefaultMaxBodyBytes, "largest request body accepted"+def("max-body-bytes", "MAX_BODY_BYTES"))
	cfg.RequestTimeout = positiveDuration(api.DefaultRequestTimeout)
	fs.Var(&cfg.RequestTimeout, "request-timeout", "every request's deadline, SQL included; keep it under --shutdown-timeout"+def("request-timeout", "REQUEST_TIMEOUT"))
	cfg.QueryCacheBytes = graph.DefaultQueryCacheBytes
	fs.Var(&cfg.QueryCacheBytes, "query-cache-bytes", "bytes the parsed GraphQL query cache may hold (estimated)"+def("query-cache-bytes", "QUERY_CACHE_BYTES"))
	cfg.APQCacheBytes = graph.DefaultAPQCacheBytes
	fs.Var(&cfg.APQCacheBytes, "apq-cache-bytes", "bytes the automatic persisted query cache may hold"+def("apq-cache-bytes", "APQ_CACHE_BYTES"))
	limit := func(dst *positiveInt, value int, name, variable, usage string) {
		*dst = positiveInt(value)
		fs.Var(dst, name, usage+def(name, variable))
	}
	gl, bl := graph.DefaultLimits, budget.DefaultLimits
	limit(&cfg.MaxTokens, gl.MaxTokens, "graphql-max-tokens", "GRAPHQL_MAX_TOKENS", "most lexical tokens in a GraphQL document")
	limit(&cfg.MaxRepeats, gl.MaxRepeats, "graphql-max-repeats", "GRAPHQL_MAX_REPEATS", "most fields of one response name merged into one GraphQL selection")
	limit(&cfg.MaxDepth, gl.MaxDepth, "graphql-max-depth", "GRAPHQL_MAX_DEPTH", "deepest GraphQL field nesting")
	limit(&cfg.MaxComplexity, gl.MaxComplexity, "graphql-max-complexity", "GRAPHQL_MAX_COMPLEXITY", "largest GraphQL operation complexity")
	limit(&cfg.MaxStatements, int(bl.Statements), "max-statements", "MAX_STATEMENTS", "most SQL statements one request may send")
	limit(&cfg.MaxRows, int(bl.Rows), "max-rows", "MAX_ROWS", "most rows one request may read")
	limit(&cfg.MaxReadBytes, int(bl.Bytes), "max-read-bytes", "MAX_READ_BYTES", "most bytes of text one request may read")

	fs.StringVar(&cfg.AllowedOrigins, "allowed-origins", "", "comma-separated host patterns (app.example.com, *.example.com) whose pages may open GraphQL websockets, besides this server's own"+def("allowed-origins", "ALLOWED_ORIGINS"))
	limit(&cfg.MaxSubscriptions, live.DefaultMaxPerKey, "max-subscriptions", "MAX_SUBSCRIPTIONS", "most open subscriptions per API key on one server")

	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(env[f.Name]); v != "" && err == nil {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				err = fmt.Errorf("environment %s=%q: %w", env[f.Name], v, setErr)
			}
		}
	})
	if err != nil {
		return cfg, err
	}
	return cfg, parseFlags(fs, args)
}

// demoMode says when serve seeds a demo organization.
type demoMode string

const (
	demoAuto  demoMode = "auto" // on an empty SQLite database
	demoTrue  demoMode = "true"
	demoFalse demoMode = "false"
)

func (d *demoMode) String() string { return string(*d) }

func (d *demoMode) Set(v string) error {
	switch m := demoMode(v); m {
	case demoAuto, demoTrue, demoFalse:
		*d = m
		return nil
	}
	return fmt.Errorf("must be auto, true or false, not %q", v)
}

// defaultMetricsAddr keeps metrics on loopback: operation names in them are
// chosen by callers, so they are not for the public port.
const defaultMetricsAddr = "127.0.0.1:9090"

// listenAddr is a host:port to listen on, or empty (set as "off") for none.
type listenAddr string

func (a *listenAddr) String() string {
	if *a == "" {
		return "off"
	}
	return string(*a)
}

func (a *listenAddr) Set(v string) error {
	if v == "off" || v == "" {
		*a = ""
		return nil
	}
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		return fmt.Errorf("must be host:port (e.g. 127.0.0.1:9090) or off, not %q", v)
	}
	*a = listenAddr(v)
	return nil
}

// writeMargin is the time left after a request's deadline to write its
// answer before the connection's write deadline.
const writeMargin = 5 * time.Second

// positiveDuration is a duration that must be over zero.
type positiveDuration time.Duration

func (d *positiveDuration) String() string { return time.Duration(*d).String() }

func (d *positiveDuration) Set(v string) error {
	p, err := time.ParseDuration(v)
	if err != nil || p <= 0 {
		return fmt.Errorf("must be a duration over zero, e.g. 10s, not %q", v)
	}
	*d = positiveDuration(p)
	return nil
}

// positiveInt is a size that must be at least 1.
type positiveInt int64

func (n *positiveInt) String() string { return strconv.FormatInt(int64(*n), 10) }

func (n *positiveInt) Set(v string) error {
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil || i < 1 {
		return fmt.Errorf("must be a whole number of at least 1, not %q", v)
	}
	*n = positiveInt(i)
	return nil
}

// defaultGCPercent is the collector's target when GOGC is not set: a
// request allocates a lot and keeps little (a dashboard page, about 5 MB,
// all garbage once written), so letting the heap grow to three times what
// is live instead of two takes 17% off a dashboard page's time
// (BenchmarkDashboard with GOGC=200 against 100) for a few more MB.
const defaultGCPercent = 200

// serve runs the server until ctx ends, then drains it.
func serve(ctx context.Context, cfg serveConfig, logger *slog.Logger, stdout io.Writer) error {
	if !cfg.GOGCSet {
		debug.SetGCPercent(defaultGCPercent)
	}
	metrics := observe.NewMetrics()
	dbOpts := []database.Option{database.WithDriver(metrics.Driver)}
	tracing := observe.TracingEnabled()
	if tracing {
		stopTracing, err := observe.SetupTracing(ctx)
		if err != nil {
			return err
		}
		defer stopTracing(context.WithoutCancel(ctx)) //nolint:errcheck // best effort flush on exit
		dbOpts = append(dbOpts, database.WithDriver(observe.TraceStatements))
		logger.Info("tracing: exporting spans over OTLP")
	}
	db, err := openMigrated(ctx, cfg.DatabaseURL, dbOpts...)
	if err != nil {
		return err
	}
	defer db.Close()
	metrics.WatchPool(db.SQL)
	demo, err := seedDemo(ctx, db, cfg.Demo)
	if err != nil {
		return err
	}
	if err := database.KeepStatsFresh(ctx, db, time.Hour, logger); err != nil {
		return err
	}

	deliveryOpts := delivery.DefaultOptions()
	deliveryOpts.Client.AllowPrivate = cfg.WebhookAllowPrivate
	deliveryOpts.Logger, deliveryOpts.Metrics = logger, metrics
	webhooks, err := delivery.Start(ctx, db, deliveryOpts)
	if err != nil {
		return err
	}
	// Stopped after the HTTP server (deferred calls run last-first) and
	// before the database closes; attempts in flight get a few seconds.
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := webhooks.Stop(stopCtx); err != nil {
			logger.Error("stopping webhook deliveries", "error", err)
		}
	}()

	auth := apikey.New(db.Client, apikey.Options{Logger: logger})
	liveCtx, stopLive := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLive()
	broker, _ := live.Start(liveCtx, db.Client, db.Dialect, cfg.DatabaseURL, live.Options{MaxPerKey: int(cfg.MaxSubscriptions)}, logger)
	handler := api.New(api.Config{
		Live:            broker,
		AllowedOrigins:  splitList(cfg.AllowedOrigins),
		Auth:            auth,
		Client:          db.Client,
		Logger:          logger,
		Introspection:   cfg.Introspection,
		Loader:          loader.DefaultOptions,
		Metrics:         metrics,
		Ready:           db.SQL.PingContext,
		RateLimit:       ratelimit.New(cfg.RateLimit, cfg.RateBurst),
		MaxBodyBytes:    cfg.MaxBodyBytes,
		MetricsPublic:   cfg.MetricsPublic,
		RequestTimeout:  time.Duration(cfg.RequestTimeout),
		QueryCacheBytes: int64(cfg.QueryCacheBytes),
		APQCacheBytes:   int64(cfg.APQCacheBytes),

		Webhooks:            webhooks,
		WebhookAllowPrivate: cfg.WebhookAllowPrivate,
		GraphQLLimits: graph.Limits{
			MaxTokens: int(cfg.MaxTokens), MaxRepeats: int(cfg.MaxRepeats),
			MaxDepth: int(cfg.MaxDepth), MaxComplexity: int(cfg.MaxComplexity),
		},
		Budget: budget.Limits{Statements: int64(cfg.MaxStatements), Rows: int64(cfg.MaxRows), Bytes: int64(cfg.MaxReadBytes)},
	})
	var root http.Handler = handler
	if tracing {
		root = observe.TraceHTTP(handler)
	}
	srv := &http.Server{
		Handler:           root,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// From the end of the headers: the request's own deadline, then
		// time to write its answer (a timeout error, at worst).
		WriteTimeout: time.Duration(cfg.RequestTimeout) + writeMargin,
		IdleTimeout:  120 * time.Second,
	}
	// Streams never finish by themselves: end them (websockets with 1001)
	// as soon as shutdown begins.
	srv.RegisterOnShutdown(handler.CloseStreams)
	// Metrics and profiles may have listeners of their own, never reachable
	// through the public port.
	internal := []struct {
		name, addr string
		handler    http.Handler
	}{
		{"metrics", string(cfg.MetricsAddr), metricsMux(metrics)},
		{"pprof", cfg.PprofAddr, pprofMux()},
	}
	// Bind every port before saying anything: a port in use is an error,
	// never a "listening" line followed by one.
	public, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	errc := make(chan error, 1+len(internal)) // one per listener, so none blocks after shutdown
	for _, l := range internal {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			public.Close()
			return fmt.Errorf("listening for %s on %s: %w", l.name, l.addr, err)
		}
		side := &http.Server{Handler: l.handler, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- side.Serve(ln) }()
		defer side.Close()
		logger.Info(l.name+" listening", "addr", ln.Addr().String())
	}
	go func() { errc <- srv.Serve(public) }()
	if time.Duration(cfg.RequestTimeout) >= cfg.ShutdownTimeout {
		logger.Warn("--request-timeout is not under --shutdown-timeout: on shutdown a stuck request can outlast the drain and the server exits with status 2",
			"request_timeout", time.Duration(cfg.RequestTimeout).String(), "shutdown_timeout", cfg.ShutdownTimeout.String())
	}
	base := baseURL(public.Addr())
	logger.Info("parley listening", "addr", public.Addr().String(), "graphql", "/graphql", "playground", "/", "database", db.Dialect)
	demo.announce(logger, stdout, base)

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	if errors.Is(context.Cause(ctx), errInterrupted) {
		// Ctrl-C at a terminal: nobody's load balancer is waiting, so no
		// drain delay; in-flight requests still finish.
		logger.Info("interrupted: stopping now (press Ctrl-C again to stop without waiting for in-flight requests)")
	} else {
		// Fail readiness first and keep serving for a while, so load
		// balancers stop sending traffic before the listener closes; then
		// let in-flight requests finish.
		logger.Info("shutting down: readiness is off", "delay", cfg.ShutdownDelay.String())
		handler.Drain()
		time.Sleep(cfg.ShutdownDelay)
	}
	logger.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	auth.Flush() // record the last uses of keys before the database closes
	return nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func metricsMux(m *observe.Metrics) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
