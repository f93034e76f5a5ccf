package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// profileLength is the CPU profile taken of each scenario with --pprof.
const profileLength = 5 * time.Second

// result is one scenario's measurements.
type result struct {
	name      string
	requests  int
	elapsed   time.Duration
	p50, p99  time.Duration
	sqlPerReq float64
	peakRSS   int64 // bytes; -1 when unknown
}

func (r result) throughput() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// bench runs scenarios against the server.
type bench struct {
	cfg config
	api *apiClient
	srv *server

	peaksCumulative bool // resetting the peak RSS failed at least once
}

// run warms up, then measures one scenario.
func (b *bench) run(ctx context.Context, sc scenario) (result, error) {
	res := result{name: sc.name, peakRSS: -1}
	slog.Info("running scenario", "name", sc.name, "warmup", b.cfg.warmup.String(), "duration", b.cfg.duration.String())
	if err := b.srv.resetPeakRSS(); err != nil && !b.peaksCumulative {
		slog.Warn("peak RSS cannot be reset: peaks are cumulative from now on", "error", err)
		b.peaksCumulative = true
	}
	if b.cfg.warmup > 0 {
		if warm := b.phase(ctx, sc, b.cfg.warmup); warm.failures > 0 {
			return res, warm.failed(sc.name + " (warmup)")
		}
	}

	before, err := b.srv.sqlStatements(ctx, b.api.http)
	if err != nil {
		return res, err
	}
	profile := b.startProfile(ctx, sc.name)
	m := b.phase(ctx, sc, b.cfg.duration)
	if err := profile(); err != nil {
		return res, err
	}
	if m.failures > 0 {
		return res, m.failed(sc.name)
	}
	after, err := b.srv.sqlStatements(ctx, b.api.http)
	if err != nil {
		return res, err
	}
	if peak, err := b.srv.peakRSS(); err == nil {
		res.peakRSS = peak
	} else {
		slog.Warn("no peak RSS", "error", err)
	}

	res.requests = len(m.latencies)
	if res.requests == 0 {
		return res, fmt.Errorf("scenario %s: no request finished", sc.name)
	}
	res.elapsed = m.elapsed
	res.p50, res.p99 = percentile(m.latencies, 0.50), percentile(m.latencies, 0.99)
	res.sqlPerReq = (after - before) / float64(res.requests)
	slog.Info("scenario done", "name", sc.name, "requests", res.requests,
		"rps", fmt.Sprintf("%.1f", res.throughput()), "p50", res.p50.String(), "p99", res.p99.String(),
		"sql_per_request", fmt.Sprintf("%.1f", res.sqlPerReq))
	return res, nil
}

// startProfile starts a CPU profile of the server when --pprof is set and
// returns a function that waits for it to be saved.
func (b *bench) startProfile(ctx context.Context, name string) (wait func() error) {
	if b.srv.pprofURL == "" {
		return func() error { return nil }
	}
	seconds := int(math.Ceil(min(profileLength, b.cfg.duration).Seconds()))
	path := filepath.Join(outDir, name+".cpu.pprof")
	done := make(chan error, 1)
	go func() { done <- b.srv.cpuProfile(ctx, b.api.http, seconds, path) }()
	return func() error {
		if err := <-done; err != nil {
			return fmt.Errorf("scenario %s: %w", name, err)
		}
		slog.Info("CPU profile saved", "path", path, "seconds", seconds)
		return nil
	}
}

// notes are the caveats of the measurements, for the report.
func (b *bench) notes() []string {
	var notes []string
	if b.peaksCumulative {
		notes = append(notes, "Peak RSS could not be reset between scenarios: each peak includes the scenarios before it.")
	}
	if b.srv.pprofURL != "" {
		notes = append(notes, fmt.Sprintf("A %s CPU profile ran during each measured window (%s/<scenario>.cpu.pprof).", min(profileLength, b.cfg.duration), outDir))
	}
	return notes
}

// phaseResult is what one timed phase of a scenario saw.
type phaseResult struct {
	latencies []time.Duration // of the successful requests
	failures  int
	firstErr  error
	elapsed   time.Duration // until the last request finished
}

func (p phaseResult) failed(name string) error {
	return fmt.Errorf("scenario %s: %d of %d requests failed; the first: %w",
		name, p.failures, p.failures+len(p.latencies), p.firstErr)
}

// phase runs the scenario's requests back to back on cfg.concurrency
// workers for d. Requests under way at the deadline finish and count.
func (b *bench) phase(ctx context.Context, sc scenario, d time.Duration) phaseResult {
	var (
		next    atomic.Uint64
		wg      sync.WaitGroup
		workers = make([]phaseResult, b.cfg.concurrency)
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Go(func() {
			own := &workers[w]
			for ctx.Err() == nil && time.Now().Before(deadline) {
				req := sc.requests[(next.Add(1)-1)%uint64(len(sc.requests))]
				t0 := time.Now()
				err := b.check(ctx, sc, req)
				if err != nil {
					own.failures++
					if own.firstErr == nil {
						own.firstErr = err
					}
					continue
				}
				own.latencies = append(own.latencies, time.Since(t0))
			}
		})
	}
	wg.Wait()

	out := phaseResult{elapsed: time.Since(start)}
	for _, w := range workers {
		out.latencies = append(out.latencies, w.latencies...)
		out.failures += w.failures
		if out.firstErr == nil {
			out.firstErr = w.firstErr
		}
	}
	if err := ctx.Err(); err != nil && out.firstErr == nil {
		out.failures++
		out.firstErr = err
	}
	return out
}

// check sends one request and verifies its answer.
func (b *bench) check(ctx context.Context, sc scenario, req request) error {
	body, err := b.api.send(ctx, req)
	if err != nil {
		return err
	}
	if sc.graphQL {
		return graphQLErrors(body)
	}
	return nil
}

// percentile returns the nearest-rank percentile p (0 < p <= 1) of ds,
// which it sorts.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := int(math.Ceil(p*float64(len(ds)))) - 1
	return ds[max(rank, 0)]
}
