// Command parley serves Parley's GraphQL and REST APIs over the stored
// conversations of AI interview agents.
//
//	parley [serve]     run the server (serve.go)
//	parley migrate     bring the database schema up to date (commands.go)
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
	"os"
	"os/signal"
	"syscall"

	_ "github.com/parleyhq/parley/ent/runtime" // registers schema hooks and policies
	"github.com/parleyhq/parley/internal/observe"
)

func main() {
	ctx := onSignals(context.Background())
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	var printed errPrinted
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return
	case errors.As(err, &printed): // the flag package has already said it
	default:
		fmt.Fprintln(os.Stderr, "parley:", err)
	}
	os.Exit(2)
}

// errInterrupted is why the context ends on Ctrl-C (SIGINT): serve then
// stops at once, without the drain delay meant for load balancers.
var errInterrupted = errors.New("interrupted")

// onSignals returns a context that ends on SIGINT (cause errInterrupted)
// or SIGTERM. A second signal ends the process at once.
func onSignals(parent context.Context) context.Context {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		cause := errors.New("terminated")
		if sig == os.Interrupt {
			cause = errInterrupted
		}
		cancel(cause)
		<-sigs
		fmt.Fprintln(os.Stderr, "parley: second signal, exiting without waiting")
		os.Exit(1)
	}()
	return ctx
}

// errPrinted is an error the flag package already printed, with the usage.
type errPrinted struct{ error }

func (e errPrinted) Unwrap() error { return e.error }

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

// process is what a command gets from the process: its environment and its
// output streams. Tests pass their own.
type process struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer    // flag errors and usage
	logger *slog.Logger // JSON lines on stderr
}

// run dispatches the command line to a command.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	p := process{
		getenv: getenv,
		stdout: stdout,
		stderr: stderr,
		logger: slog.New(observe.LogHandler{Handler: slog.NewJSONHandler(stderr, nil)}),
	}
	slog.SetDefault(p.logger)

	name := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	switch name {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		cfg, err := parseServeConfig(args, getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, p.logger, stdout)
	}
	if cmd, ok := commands[name]; ok {
		return cmd(ctx, p, args)
	}
	if name == "apikey" {
		if len(args) > 0 {
			if cmd, ok := commands["apikey "+args[0]]; ok {
				return cmd(ctx, p, args[1:])
			}
		}
		return errors.New(apikeyUsage)
	}
	return fmt.Errorf("unknown command %q\n\n%s", name, usage)
}
