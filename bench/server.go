package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/procfs"
)

const (
	readyTimeout = 30 * time.Second
	// stopTimeout exceeds the server's default --shutdown-timeout (30s).
	stopTimeout = 40 * time.Second
)

// buildServer builds the server binary from the module root into outDir.
func buildServer(ctx context.Context) (string, error) {
	bin := filepath.Join(outDir, "parley")
	slog.Info("building the server", "binary", bin)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the server: %w", err)
	}
	return bin, nil
}

// server is the running server process.
type server struct {
	cmd        *exec.Cmd
	log        *os.File
	baseURL    string
	metricsURL string // the internal metrics listener
	pprofURL   string // empty unless started with pprof

	done    chan struct{} // closed when the process has exited
	waitErr error         // the process's exit error; read after done
}

// startServer starts the binary on free loopback ports with its output in
// outDir/server.log.
func startServer(bin, databaseURL string, withPprof bool) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", addr, "--metrics-addr", metricsAddr, "--database-url", databaseURL,
		"--demo", "false", "--rate-limit", "0", "--shutdown-delay", "0s"}
	s := &server{baseURL: "http://" + addr, metricsURL: "http://" + metricsAddr, done: make(chan struct{})}
	if withPprof {
		pprofAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args = append(args, "--pprof-addr", pprofAddr)
		s.pprofURL = "http://" + pprofAddr
	}
	logPath := filepath.Join(outDir, "server.log")
	if s.log, err = os.Create(logPath); err != nil {
		return nil, fmt.Errorf("creating the server log: %w", err)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.log.Close()
		return nil, fmt.Errorf("starting the server: %w", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	slog.Info("server started", "pid", s.pid(), "url", s.baseURL, "pprof", s.pprofURL, "log", logPath)
	return s, nil
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// exited reports the process's exit, if it has exited.
func (s *server) exited() error {
	select {
	case <-s.done:
		return fmt.Errorf("the server exited (%v); see %s", s.waitErr, s.log.Name())
	default:
		return nil
	}
}

// waitReady polls /readyz until it answers 200, for at most readyTimeout.
func (s *server) waitReady(ctx context.Context, client *http.Client) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := s.exited(); err != nil {
			return err
		}
		if s.ready(ctx, client) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server was not ready within %s; see %s", readyTimeout, s.log.Name())
		case <-tick.C:
		}
	}
}

func (s *server) ready(ctx context.Context, client *http.Client) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.baseURL+"/readyz", nil)
	if err != nil {
		return false
	}
	res, err := client.Do(req)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode == http.StatusOK
}

// stop sends SIGTERM and waits for the process to exit, killing it if it
// takes longer than stopTimeout.
func (s *server) stop() error {
	defer s.log.Close()
	if err := s.exited(); err != nil {
		return err
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		slog.Warn("the server did not stop in time; killing it", "pid", s.pid())
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	if s.waitErr != nil {
		return fmt.Errorf("the server exited with %w; see %s", s.waitErr, s.log.Name())
	}
	slog.Info("server stopped")
	return nil
}

// sqlStatements reads the server's parley_sql_statements_total counter.
func (s *server) sqlStatements(ctx context.Context, client *http.Client) (float64, error) {
	body, err := get(ctx, client, s.metricsURL+"/metrics")
	if err != nil {
		return 0, fmt.Errorf("reading metrics: %w", err)
	}
	const name = "parley_sql_statements_total"
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("parsing metrics: %w", err)
	}
	family := families[name]
	if family == nil || len(family.GetMetric()) != 1 {
		return 0, fmt.Errorf("%s is missing from /metrics", name)
	}
	return family.GetMetric()[0].GetCounter().GetValue(), nil
}

// cpuProfile saves a CPU profile of the given length to path.
func (s *server) cpuProfile(ctx context.Context, client *http.Client, seconds int, path string) error {
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.pprofURL, seconds)
	body, err := get(ctx, client, url)
	if err != nil {
		return fmt.Errorf("taking a CPU profile: %w", err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return fmt.Errorf("saving the CPU profile: %w", err)
	}
	return nil
}

// resetPeakRSS resets the process's peak resident set size (VmHWM). Linux
// only.
func (s *server) resetPeakRSS() error {
	path := fmt.Sprintf("/proc/%d/clear_refs", s.pid())
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		return fmt.Errorf("resetting peak RSS: %w", err)
	}
	return nil
}

// peakRSS returns the process's peak resident set size in bytes (VmHWM).
// Linux only.
func (s *server) peakRSS() (int64, error) {
	proc, err := procfs.NewProc(s.pid())
	if err != nil {
		return 0, fmt.Errorf("reading peak RSS: %w", err)
	}
	status, err := proc.NewStatus()
	if err != nil {
		return 0, fmt.Errorf("reading peak RSS: %w", err)
	}
	return int64(status.VmHWM), nil
}
