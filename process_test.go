package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testenv"
)

// serverArgsEnv makes the test binary run as a Parley server process with
// these arguments (separated by \x1f), for tests that kill one.
const serverArgsEnv = "PARLEY_TEST_SERVER_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(serverArgsEnv); args != "" {
		os.Args = append(os.Args[:1], strings.Split(args, "\x1f")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serverProcess starts this binary as `parley serve` on url in a process
// of its own, with extra flags; the test may kill it. Its output can be
// read once it has exited.
func serverProcess(t *testing.T, url, addr string, extra ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	args := []string{"serve", "--addr", addr, "--database-url", url, "--demo", "false", "--metrics-addr", "off", "--webhook-allow-private"}
	args = append(args, extra...)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serverArgsEnv+"="+strings.Join(args, "\x1f"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	waitFor(t, "the server to be ready", func() bool { return status("http://"+addr+"/readyz") == http.StatusOK })
	return cmd, &logs
}

// A second signal during shutdown ends the process at once: here the first
// SIGTERM starts a drain of an hour, and the second must not wait for it.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	addr := freeAddr(t)
	cmd, logs := serverProcess(t, testenv.DatabaseURL(t), addr, "--shutdown-delay", "1h")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the drain to start", func() bool { return status("http://"+addr+"/readyz") == http.StatusServiceUnavailable })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if cmd.ProcessState.ExitCode() != 1 {
			t.Errorf("exit after a second signal: %v, want exit status 1", err)
		}
		if !strings.Contains(logs.String(), "second signal, exiting without waiting") {
			t.Errorf("no word of the second signal:\n%s", logs.String())
		}
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatal("the server still drains after a second signal")
	}
}
