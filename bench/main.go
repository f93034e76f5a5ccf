// Command bench measures Parley's server under load. It seeds a large
// organization ("Bench") unless the database already holds it, builds and
// starts the real server binary as a child process, runs fixed REST and
// GraphQL scenarios against it and prints a Markdown table of throughput,
// latency, SQL statements per request and the server's peak memory.
//
// Run it from the module root:
//
//	go run ./bench [--database-url URL] [--conversations N] [--messages M]
//	               [--concurrency C] [--duration D] [--warmup W]
//	               [--scenarios a,b,...] [--pprof]
//
// Everything it writes goes to bench-out/: the server binary and its log,
// the SQLite database by default, CPU profiles and results-<dialect>.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	_ "github.com/parleyhq/parley/ent/runtime" // registers schema defaults, hooks and policies
)

// outDir holds everything the benchmark writes; it is git-ignored.
const outDir = "bench-out"

// config is the parsed command line.
type config struct {
	databaseURL   string
	conversations int
	messages      int
	concurrency   int
	duration      time.Duration
	warmup        time.Duration
	scenarios     []string
	pprof         bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))

	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		err = run(ctx, cfg, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&cfg.databaseURL, "database-url", "sqlite://"+outDir+"/bench.db", "database URL: sqlite://PATH or postgres://...")
	fs.IntVar(&cfg.conversations, "conversations", 100_000, "conversations of the Bench organization")
	fs.IntVar(&cfg.messages, "messages", 20, "average messages per started conversation")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "concurrent client workers")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured time per scenario")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unrecorded load before each scenario")
	scenarios := fs.String("scenarios", strings.Join(scenarioNames, ","), "comma-separated scenarios to run")
	fs.BoolVar(&cfg.pprof, "pprof", false, "serve pprof from the server and save a CPU profile of each scenario to "+outDir+"/<scenario>.cpu.pprof")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	switch {
	case cfg.conversations < 1:
		return cfg, errors.New("--conversations must be at least 1")
	case cfg.messages < 0:
		return cfg, errors.New("--messages must not be negative")
	case cfg.concurrency < 1:
		return cfg, errors.New("--concurrency must be at least 1")
	case cfg.duration <= 0:
		return cfg, errors.New("--duration must be positive")
	case cfg.warmup < 0:
		return cfg, errors.New("--warmup must not be negative")
	}
	names, err := parseScenarios(*scenarios)
	if err != nil {
		return cfg, err
	}
	cfg.scenarios = names
	return cfg, nil
}

func run(ctx context.Context, cfg config, stdout io.Writer) (err error) {
	if _, err := os.Stat("go.mod"); err != nil {
		return errors.New("run the benchmark from the module root: go run ./bench")
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", outDir, err)
	}
	data, err := prepareData(ctx, cfg)
	if err != nil {
		return err
	}
	bin, err := buildServer(ctx)
	if err != nil {
		return err
	}
	srv, err := startServer(bin, cfg.databaseURL, cfg.pprof)
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := srv.stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
	}()
	client := newHTTPClient(cfg.concurrency)
	if err := srv.waitReady(ctx, client); err != nil {
		return err
	}

	api := &apiClient{http: client, baseURL: srv.baseURL, key: data.key}
	fx := &fixtures{api: api, conversations: data.conversations}
	scenarios, err := buildScenarios(ctx, fx, cfg.scenarios)
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, api: api, srv: srv}
	loadBefore := loadAverage()
	results := make([]result, 0, len(scenarios))
	for _, sc := range scenarios {
		res, err := b.run(ctx, sc)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	notes := append(fx.notes, b.notes()...)
	if loadBefore != "" {
		notes = append(notes, fmt.Sprintf("Host load average (1, 5, 15 min): %s before the scenarios, %s after.", loadBefore, loadAverage()))
	}

	rep := report{
		dialect:       data.dialect,
		conversations: data.conversations,
		messages:      data.messages,
		concurrency:   cfg.concurrency,
		duration:      cfg.duration,
		warmup:        cfg.warmup,
		gomaxprocs:    runtime.GOMAXPROCS(0),
		numCPU:        runtime.NumCPU(),
		results:       results,
		notes:         notes,
	}
	table := rep.markdown()
	fmt.Fprint(stdout, table)
	path := filepath.Join(outDir, "results-"+data.dialect+".md")
	if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	slog.Info("results written", "path", path)
	return nil
}

// loadAverage returns the host's load averages from /proc/loadavg, or ""
// where there is none: the client and server share the CPUs, and anything
// else running skews the numbers.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	fields := strings.Fields(string(b))
	if len(fields) < 3 {
		return ""
	}
	return strings.Join(fields[:3], " ")
}
