package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/agent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/participant"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/seed"
)

// benchOrg is the organization the benchmark seeds and queries.
const benchOrg = "Bench"

// dataset is what the benchmark runs against.
type dataset struct {
	dialect       string // sqlite or postgres
	conversations int
	messages      int
	key           string // a fresh test-mode key of benchOrg
}

// prepareData migrates the database, makes sure benchOrg has exactly the
// configured number of conversations, and creates a test key for it. The
// database is closed again before the server starts.
func prepareData(ctx context.Context, cfg config) (*dataset, error) {
	db, err := database.Open(ctx, cfg.databaseURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := database.Migrate(ctx, db); err != nil {
		return nil, err
	}
	// Trusted system code: no viewer, so opt out of the tenant rules.
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	org, err := apikey.EnsureOrganization(sys, db.Client, benchOrg)
	if err != nil {
		return nil, err
	}
	seeded, err := ensureSeeded(sys, db.Client, org.ID, cfg)
	if err != nil {
		return nil, err
	}
	if seeded {
		if err := database.RefreshStats(ctx, db); err != nil {
			return nil, err
		}
	}
	conversations, err := db.Client.Conversation.Query().Where(conversation.OrganizationID(org.ID)).Count(sys)
	if err != nil {
		return nil, fmt.Errorf("counting conversations: %w", err)
	}
	messages, err := db.Client.Message.Query().Where(message.OrganizationID(org.ID)).Count(sys)
	if err != nil {
		return nil, fmt.Errorf("counting messages: %w", err)
	}
	key, err := apikey.Create(ctx, db.Client, benchOrg, false)
	if err != nil {
		return nil, err
	}
	kind := databaseKind(db.Dialect)
	slog.Info("dataset ready", "database", kind, "conversations", conversations, "messages", messages)
	return &dataset{dialect: kind, conversations: conversations, messages: messages, key: key}, nil
}

// databaseKind names an ent dialect as the database URL does.
func databaseKind(d string) string {
	if d == dialect.SQLite { // "sqlite3"
		return "sqlite"
	}
	return d
}

// ensureSeeded seeds the organization unless it already has exactly
// cfg.conversations conversations, and reports whether it did. Data of
// another size (from an earlier run with other flags) is deleted first, so
// the count is always exact.
func ensureSeeded(ctx context.Context, client *ent.Client, orgID uuid.UUID, cfg config) (bool, error) {
	n, err := client.Conversation.Query().Where(conversation.OrganizationID(orgID)).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("counting conversations: %w", err)
	}
	if n == cfg.conversations {
		slog.Info("reusing seeded data", "organization", benchOrg, "conversations", n)
		return false, nil
	}
	if n > 0 {
		slog.Warn("deleting seeded data of another size", "organization", benchOrg, "conversations", n, "want", cfg.conversations)
		if err := deleteTenantData(ctx, client, orgID); err != nil {
			return false, err
		}
	}
	slog.Info("seeding", "organization", benchOrg, "conversations", cfg.conversations, "messages", cfg.messages)
	start := time.Now()
	res, err := seed.Run(ctx, client, seed.Options{
		Organization:  benchOrg,
		Conversations: cfg.conversations,
		Messages:      cfg.messages,
		Seed:          1,
		Progress: func(done, total int) {
			if done%10_000 == 0 && done < total {
				slog.Info("seeding", "conversations", done, "of", total)
			}
		},
	})
	if err != nil {
		return false, fmt.Errorf("seeding: %w", err)
	}
	slog.Info("seeded", "conversations", res.Conversations, "messages", res.Messages,
		"took", time.Since(start).Round(time.Millisecond).String())
	return true, nil
}

// deleteTenantData deletes the organization's messages, conversations,
// participants and agents (children first, for the foreign keys). Its API
// keys stay.
func deleteTenantData(ctx context.Context, client *ent.Client, orgID uuid.UUID) error {
	steps := []struct {
		what string
		del  func(context.Context) (int, error)
	}{
		{"messages", client.Message.Delete().Where(message.OrganizationID(orgID)).Exec},
		{"conversations", client.Conversation.Delete().Where(conversation.OrganizationID(orgID)).Exec},
		{"participants", client.Participant.Delete().Where(participant.OrganizationID(orgID)).Exec},
		{"agents", client.Agent.Delete().Where(agent.OrganizationID(orgID)).Exec},
	}
	for _, s := range steps {
		if _, err := s.del(ctx); err != nil {
			return fmt.Errorf("deleting the %s of %s: %w", s.what, benchOrg, err)
		}
	}
	return nil
}
