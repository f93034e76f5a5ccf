// Command parley serves Parley's GraphQL and REST APIs over the stored
// conversations of AI interview agents.
//
//	parley [serve]     run the server
//	parley migrate     bring the database schema up to date
//	parley seed        generate a demo organization and print a test key
//	parley apikey create --org NAME [--live] [--name LABEL]
//	parley apikey list --org NAME
//	parley apikey revoke --id ID
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	entapikey "github.com/parleyhq/parley/ent/apikey"
	"github.com/parleyhq/parley/ent/privacy"
	_ "github.com/parleyhq/parley/ent/runtime" // registers schema hooks and policies
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(observe.LogHandler{Handler: slog.NewJSONHandler(os.Stderr, nil)})
	slog.SetDefault(logger)
	if err := run(ctx, os.Args[1:], os.Stdout, logger); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "parley:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage: parley [command] [flags]

commands:
  serve                     run the server (the default)
  migrate                   bring the database schema up to date and exit
  seed                      fill the database with a demo organization; prints a test key
  apikey create --org NAME  create an API key (test mode unless --live; --name LABEL); prints it
  apikey list --org NAME    list an organization's keys (prefixes only, never secrets)
  apikey revoke --id ID     revoke a key; it is refused from its next request on

Every command takes --database-url (env DATABASE_URL, default sqlite://parley.db).
Run 'parley COMMAND -h' for a command's flags.
`

const apikeyUsage = `usage: parley apikey create --org NAME [--live] [--name LABEL]
       parley apikey list --org NAME
       parley apikey revoke --id ID`

func run(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCmd(ctx, args, logger)
	case "migrate":
		return migrateCmd(ctx, args, logger)
	case "seed":
		return seedCmd(ctx, args, stdout, logger)
	case "apikey":
		sub := ""
		if len(args) > 0 {
			sub, args = args[0], args[1:]
		}
		switch sub {
		case "create":
			return apikeyCreateCmd(ctx, args, stdout)
		case "list":
			return apikeyListCmd(ctx, args, stdout)
		case "revoke":
			return apikeyRevokeCmd(ctx, args, stdout)
		}
		return errors.New(apikeyUsage)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

// env returns the environment variable, or def when it is unset or empty.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envFloat returns a numeric environment variable, or def when it is unset
// or not a number.
func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// envDuration returns a duration environment variable, or def when it is
// unset or not a duration.
func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func newFlagSet(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("parley "+name, flag.ContinueOnError)
	dbURL := fs.String("database-url", env("DATABASE_URL", database.DefaultURL), "database URL: sqlite://PATH or postgres://... (env DATABASE_URL)")
	return fs, dbURL
}

// openMigrated opens the database and brings its schema up to date.
func openMigrated(ctx context.Context, url string, opts ...database.Option) (*database.DB, error) {
	db, err := database.Open(ctx, url, opts...)
	if err != nil {
		return nil, err
	}
	if err := database.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func serveCmd(ctx context.Context, args []string, logger *slog.Logger) error {
	fs, dbURL := newFlagSet("serve")
	addr := fs.String("addr", env("ADDR", ":3002"), "listen address (env ADDR)")
	demo := fs.String("demo", env("PARLEY_DEMO", "auto"), "on an empty database, seed a demo organization and log its test key: auto (SQLite only), true or false (env PARLEY_DEMO)")
	introspection := fs.Bool("introspection", env("GRAPHQL_INTROSPECTION", "true") == "true", "allow GraphQL introspection (env GRAPHQL_INTROSPECTION)")
	rateLimit := fs.Float64("rate-limit", envFloat("RATE_LIMIT", 50), "requests per second allowed per API key on average, 0 for no limit (env RATE_LIMIT)")
	rateBurst := fs.Int("rate-burst", int(envFloat("RATE_BURST", 100)), "requests per API key allowed in a burst (env RATE_BURST)")
	metricsAddr := fs.String("metrics-addr", env("METRICS_ADDR", ""), "serve /metrics on this address only, e.g. 127.0.0.1:9090, instead of on --addr (env METRICS_ADDR)")
	pprofAddr := fs.String("pprof-addr", env("PPROF_ADDR", ""), "serve net/http/pprof on this address, e.g. 127.0.0.1:6060; off when empty (env PPROF_ADDR)")
	shutdownDelay := fs.Duration("shutdown-delay", envDuration("SHUTDOWN_DELAY", 5*time.Second), "on SIGTERM, how long to keep serving with /readyz failing before closing the listener (env SHUTDOWN_DELAY)")
	shutdownTimeout := fs.Duration("shutdown-timeout", envDuration("SHUTDOWN_TIMEOUT", 30*time.Second), "how long in-flight requests may take to finish on shutdown (env SHUTDOWN_TIMEOUT)")
	maxBody := fs.Int64("max-body-bytes", int64(envFloat("MAX_BODY_BYTES", server.DefaultMaxBodyBytes)), "largest request body accepted (env MAX_BODY_BYTES)")
	if err := fs.Parse(args); err != nil {
		return err
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
	db, err := openMigrated(ctx, *dbURL, dbOpts...)
	if err != nil {
		return err
	}
	defer db.Close()
	metrics.WatchPool(db.SQL)
	if err := maybeSeedDemo(ctx, db, *demo, logger); err != nil {
		return err
	}
	if err := database.KeepStatsFresh(ctx, db, time.Hour, logger); err != nil {
		return err
	}

	auth := apikey.New(db.Client, apikey.Options{Logger: logger})
	handler := server.New(server.Config{
		Auth:             auth,
		Client:           db.Client,
		Logger:           logger,
		Introspection:    *introspection,
		Loader:           loader.DefaultOptions,
		Metrics:          metrics,
		Ready:            db.SQL.PingContext,
		RateLimit:        ratelimit.New(*rateLimit, *rateBurst),
		MaxBodyBytes:     *maxBody,
		MetricsElsewhere: *metricsAddr != "",
	})
	var root http.Handler = handler
	if tracing {
		root = observe.TraceHTTP(handler)
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           root,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	// Metrics and profiles may have listeners of their own, never reachable
	// through the public port; bind them to loopback.
	internal := []struct {
		name, addr string
		handler    http.Handler
	}{
		{"metrics", *metricsAddr, metricsMux(metrics)},
		{"pprof", *pprofAddr, pprofMux()},
	}
	errc := make(chan error, 1+len(internal)) // one per listener, so none blocks after shutdown
	go func() { errc <- srv.ListenAndServe() }()
	for _, l := range internal {
		if l.addr == "" {
			continue
		}
		side := &http.Server{Addr: l.addr, Handler: l.handler, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- side.ListenAndServe() }()
		defer side.Close()
		logger.Info(l.name+" listening", "addr", l.addr)
	}
	logger.Info("parley listening", "addr", *addr, "graphql", "/graphql", "playground", "/", "database", db.Dialect)

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	// Fail readiness first and keep serving for a while, so load balancers
	// stop sending traffic before the listener closes; then let in-flight
	// requests finish.
	logger.Info("shutting down: readiness is off", "delay", shutdownDelay.String())
	handler.Drain()
	time.Sleep(*shutdownDelay)
	logger.Info("shutting down: finishing in-flight requests", "timeout", shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	auth.Flush() // record the last uses of keys before the database closes
	return nil
}

// maybeSeedDemo makes a first `go run .` useful: on an empty SQLite
// database it creates the demo organization and logs a test key for it.
func maybeSeedDemo(ctx context.Context, db *database.DB, mode string, logger *slog.Logger) error {
	switch mode {
	case "false":
		return nil
	case "auto":
		if db.Dialect != dialect.SQLite {
			return nil
		}
	case "true":
	default:
		return fmt.Errorf("--demo must be auto, true or false, not %q", mode)
	}
	n, err := db.Client.Organization.Query().Count(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return fmt.Errorf("checking for existing data: %w", err)
	}
	if n > 0 {
		logger.Info("to get an API key, run: go run . apikey create --org NAME (add --live for live mode)")
		return nil
	}
	if _, err := seed.Run(ctx, db.Client, seed.Options{Organization: "Demo", Conversations: 200, Messages: 12, Seed: 1}); err != nil {
		return err
	}
	key, err := apikey.Create(ctx, db.Client, "Demo", false)
	if err != nil {
		return err
	}
	logger.Info("empty database: seeded the Demo organization with 200 test conversations", "api_key", key,
		"try", `curl -s localhost:3002/graphql -H "Authorization: Bearer `+key+`" -H 'Content-Type: application/json' -d '{"query":"{ conversations(first: 3) { totalCount edges { node { id status agent { name } } } } }"}'`)
	return nil
}

func migrateCmd(ctx context.Context, args []string, logger *slog.Logger) error {
	fs, dbURL := newFlagSet("migrate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	logger.Info("schema is up to date", "database", db.Dialect)
	return db.Close()
}

func seedCmd(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	fs, dbURL := newFlagSet("seed")
	org := fs.String("org", "Demo", "organization name (created if missing)")
	conversations := fs.Int("conversations", 200, "number of conversations to create")
	messages := fs.Int("messages", 12, "average messages per started conversation")
	seedValue := fs.Uint64("seed", 1, "random seed; the same seed gives the same content")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	res, err := seed.Run(ctx, db.Client, seed.Options{
		Organization: *org, Conversations: *conversations, Messages: *messages, Seed: *seedValue,
		Progress: func(done, total int) {
			if done%10_000 == 0 || done == total {
				logger.Info("seeding", "conversations", done, "of", total)
			}
		},
	})
	if err != nil {
		return err
	}
	logger.Info("seeded", "organization", *org, "conversations", res.Conversations, "messages", res.Messages, "duration", time.Since(start).Round(time.Millisecond).String())
	// A bulk load is when the planner's statistics go stale.
	if err := database.RefreshStats(ctx, db); err != nil {
		return err
	}
	key, err := apikey.Create(ctx, db.Client, *org, false)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}

func apikeyCreateCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs, dbURL := newFlagSet("apikey create")
	org := fs.String("org", "", "organization name (created if missing)")
	live := fs.Bool("live", false, "create a live-mode key (default: test mode)")
	name := fs.String("name", "", "optional label shown by `apikey list`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" {
		return errors.New("apikey create: --org is required")
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	key, err := apikey.Create(ctx, db.Client, *org, *live, apikey.WithName(*name))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}

func apikeyListCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs, dbURL := newFlagSet("apikey list")
	org := fs.String("org", "", "organization name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" {
		return errors.New("apikey list: --org is required")
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := apikey.List(ctx, db.Client, *org)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMODE\tPREFIX\tNAME\tCREATED_AT\tLAST_USED_AT\tREVOKED_AT")
	for _, k := range keys {
		fmt.Fprintln(tw, keyLine(k))
	}
	return tw.Flush()
}

func apikeyRevokeCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs, dbURL := newFlagSet("apikey revoke")
	idFlag := fs.String("id", "", "ID of the key to revoke (see `apikey list`)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *idFlag == "" {
		return errors.New("apikey revoke: --id is required")
	}
	id, err := uuid.Parse(*idFlag)
	if err != nil {
		return fmt.Errorf("apikey revoke: --id %q is not a key ID (a UUID)", *idFlag)
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := apikey.Revoke(ctx, db.Client, id); err != nil {
		return err
	}
	k, err := db.Client.APIKey.Query().Where(entapikey.ID(id)).Only(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %s (%s) at %s\n", k.ID, k.Prefix, formatTime(k.RevokedAt))
	return nil
}

// keyLine is one row of `apikey list`: tab-separated, never the secret.
func keyLine(k *ent.APIKey) string {
	mode := "test"
	if k.Livemode {
		mode = "live"
	}
	name := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, k.Name)
	if strings.TrimSpace(name) == "" {
		name = "-"
	}
	return strings.Join([]string{k.ID.String(), mode, k.Prefix, name, formatTime(&k.CreatedAt), formatTime(k.LastUsedAt), formatTime(k.RevokedAt)}, "\t")
}

func formatTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
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
