package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/seed"
)

// firstRun is what serve tells a person once it listens: the demo key it
// made, or how to get one.
type firstRun struct {
	seed.Demo
	// Organization is the organization a key can be made for, when the
	// database already had data.
	Organization string
	// Empty is a database without any organization that was not seeded.
	Empty bool
}

// seedDemo makes a first `go run .` useful: on an empty database (SQLite
// only, unless --demo true) it creates the demo organization and a test
// key for it.
func seedDemo(ctx context.Context, db *database.DB, mode demoMode) (firstRun, error) {
	if mode == demoTrue || mode == demoAuto && db.Dialect == dialect.SQLite {
		demo, err := seed.DemoIfEmpty(ctx, db.Client)
		if err != nil || demo.Seeded {
			return firstRun{Demo: demo}, err
		}
	}
	org, err := seed.AnyOrganization(ctx, db.Client)
	if err != nil {
		return firstRun{}, err
	}
	return firstRun{Organization: org, Empty: org == ""}, nil
}

// announce logs the first-run facts for machines (JSON, with the key) and
// writes them for people as plain text they can paste.
func (f firstRun) announce(logger *slog.Logger, out io.Writer, base string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nParley is running at %s\n  GraphQL:    %s/graphql\n  Playground: %s/\n  REST:       %s/v1/backend (OpenAPI: %s/v1/backend/openapi.json)\n", base, base, base, base, base)
	switch {
	case f.Seeded:
		logger.Info(fmt.Sprintf("empty database: seeded the %s organization with %d test conversations", seed.DemoOrganization, f.Conversations), "api_key", f.Key)
		fmt.Fprintf(&b, "\nThe database was empty, so it now holds the %s organization with %d test conversations.\nIts test API key (shown once; `apikey create` makes more):\n\n  %s\n\nTry it:\n\n", seed.DemoOrganization, f.Conversations, f.Key)
		fmt.Fprintf(&b, "  curl -s %s/graphql \\\n    -H 'Authorization: Bearer %s' \\\n    -H 'Content-Type: application/json' \\\n    -d '{\"query\":\"{ conversations(first: 3) { totalCount edges { node { id status agent { name } } } } }\"}'\n\n", base, f.Key)
		fmt.Fprintf(&b, "In the playground, paste into Headers: {\"Authorization\": \"Bearer %s\"}\n", f.Key)
	case f.Empty:
		logger.Info("the database has no organization yet: run `parley seed` for demo data and a key, or `parley apikey create --org NAME`")
		b.WriteString("\nThe database has no organization yet. For demo data and a test key:\n\n  go run . seed\n\nor for an empty organization of your own:\n\n  go run . apikey create --org NAME\n")
	default:
		logger.Info("to get an API key, run: go run . apikey create --org " + shellQuote(f.Organization) + " (add --live for live mode)")
		fmt.Fprintf(&b, "\nTo get an API key:\n\n  go run . apikey create --org %s\n\n(add --live for a live-mode key; `go run . apikey list --org %s` lists the keys)\n", shellQuote(f.Organization), shellQuote(f.Organization))
	}
	_, _ = io.WriteString(out, b.String())
}

// baseURL is the URL a person on this machine reaches addr at.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
