package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	entapikey "github.com/parleyhq/parley/ent/apikey"
	"github.com/parleyhq/parley/ent/organization"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/seed"
)

// commands are the one-shot commands, by name; serve is in serve.go.
var commands = map[string]func(ctx context.Context, p process, args []string) error{
	"migrate":       migrateCmd,
	"seed":          seedCmd,
	"apikey create": apikeyCreateCmd,
	"apikey list":   apikeyListCmd,
	"apikey revoke": apikeyRevokeCmd,
}

// newFlagSet returns a command's flag set with the flag every command has.
func newFlagSet(name string, p process) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("parley "+name, flag.ContinueOnError)
	fs.SetOutput(p.stderr)
	dbURL := fs.String("database-url", or(p.getenv("DATABASE_URL"), database.DefaultURL), "database URL: sqlite://PATH or postgres://... (env DATABASE_URL)")
	return fs, dbURL
}

// parseFlags parses args; the flag package prints a bad flag's error and
// the usage itself, so the error comes back marked as said.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return errPrinted{err}
	}
	return err
}

// or returns v, or def when v is empty.
func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
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

// withDatabase opens and migrates the database at url, runs body and closes
// the database.
func withDatabase(ctx context.Context, url string, body func(*database.DB) error) error {
	db, err := openMigrated(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	return body(db)
}

func migrateCmd(ctx context.Context, p process, args []string) error {
	fs, dbURL := newFlagSet("migrate", p)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return withDatabase(ctx, *dbURL, func(db *database.DB) error {
		p.logger.Info("schema is up to date", "database", db.Dialect)
		return nil
	})
}

func seedCmd(ctx context.Context, p process, args []string) error {
	fs, dbURL := newFlagSet("seed", p)
	org := fs.String("org", seed.DemoOrganization, "organization name (created if missing)")
	conversations := fs.Int("conversations", 200, "number of conversations to create")
	messages := fs.Int("messages", 12, "average messages per started conversation")
	seedValue := fs.Uint64("seed", 1, "random seed; the same seed gives the same content")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return withDatabase(ctx, *dbURL, func(db *database.DB) error {
		start := time.Now()
		res, err := seed.Run(ctx, db.Client, seed.Options{
			Organization: *org, Conversations: *conversations, Messages: *messages, Seed: *seedValue,
			Progress: func(done, total int) {
				if done%10_000 == 0 || done == total {
					p.logger.Info("seeding", "conversations", done, "of", total)
				}
			},
		})
		if err != nil {
			return err
		}
		p.logger.Info("seeded", "organization", *org, "conversations", res.Conversations, "messages", res.Messages, "duration", time.Since(start).Round(time.Millisecond).String())
		// A bulk load is when the planner's statistics go stale.
		if err := database.RefreshStats(ctx, db); err != nil {
			return err
		}
		key, err := apikey.Create(ctx, db.Client, *org, false)
		if err != nil {
			return err
		}
		fmt.Fprintln(p.stdout, key)
		return nil
	})
}

func apikeyCreateCmd(ctx context.Context, p process, args []string) error {
	fs, dbURL := newFlagSet("apikey create", p)
	org := fs.String("org", "", "organization name (created if missing)")
	live := fs.Bool("live", false, "create a live-mode key (default: test mode)")
	name := fs.String("name", "", "optional label shown by apikey list (at most 200 characters)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *org == "" {
		return errors.New("apikey create: --org is required")
	}
	if entapikey.NameValidator(*name) != nil {
		return fmt.Errorf("apikey create: --name is too long (%d characters; at most 200)", utf8.RuneCountInString(*name))
	}
	if organization.NameValidator(*org) != nil {
		return fmt.Errorf("apikey create: --org is too long (%d characters; at most 200)", utf8.RuneCountInString(*org))
	}
	return withDatabase(ctx, *dbURL, func(db *database.DB) error {
		key, err := apikey.Create(ctx, db.Client, *org, *live, apikey.WithName(*name))
		if err != nil {
			return err
		}
		fmt.Fprintln(p.stdout, key)
		return nil
	})
}

func apikeyListCmd(ctx context.Context, p process, args []string) error {
	fs, dbURL := newFlagSet("apikey list", p)
	org := fs.String("org", "", "organization name")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *org == "" {
		return errors.New("apikey list: --org is required")
	}
	return withDatabase(ctx, *dbURL, func(db *database.DB) error {
		keys, err := apikey.List(ctx, db.Client, *org)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(p.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tMODE\tPREFIX\tNAME\tCREATED_AT\tLAST_USED_AT\tREVOKED_AT")
		for _, k := range keys {
			fmt.Fprintln(tw, keyLine(k))
		}
		return tw.Flush()
	})
}

func apikeyRevokeCmd(ctx context.Context, p process, args []string) error {
	fs, dbURL := newFlagSet("apikey revoke", p)
	idFlag := fs.String("id", "", "ID of the key to revoke (apikey list shows it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *idFlag == "" {
		return errors.New("apikey revoke: --id is required")
	}
	id, err := uuid.Parse(*idFlag)
	if err != nil {
		return fmt.Errorf("apikey revoke: --id %q is not a key ID (a UUID)", *idFlag)
	}
	return withDatabase(ctx, *dbURL, func(db *database.DB) error {
		k, err := apikey.Revoke(ctx, db.Client, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(p.stdout, "revoked %s (%s) at %s\n", k.ID, k.Prefix, formatTime(k.RevokedAt))
		return nil
	})
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
