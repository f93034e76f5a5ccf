package database_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/ent/participant"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/testenv"
)

// After RefreshStats, loading rows by primary key under the tenant filter
// uses the primary key, not the tenant index that would walk every row of
// the organization. On PostgreSQL, whose planner already
// has statistics once autovacuum ran, it checks that ANALYZE ran.
func TestRefreshStatsLetsPrimaryKeyLookupsWin(t *testing.T) {
	env := testenv.Open(t)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	res, err := seed.Run(ctx, env.Client, seed.Options{Organization: "Stats", Conversations: 600, Messages: 1, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := env.Client.Participant.Query().Limit(5).IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := database.RefreshStats(context.Background(), env.DB); err != nil {
		t.Fatal(err)
	}

	if env.DB.Dialect != dialect.SQLite {
		// reltuples is -1 until the table is first analyzed or vacuumed.
		var tuples float64
		if err := env.DB.SQL.QueryRow(`SELECT reltuples FROM pg_class WHERE oid = 'participants'::regclass`).Scan(&tuples); err != nil {
			t.Fatal(err)
		}
		if tuples <= 0 {
			t.Fatalf("participants were not analyzed: reltuples %v", tuples)
		}
		return
	}
	placeholders := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	query := fmt.Sprintf("SELECT * FROM %s WHERE %s IN (%s) AND %s = ? AND %s = ?",
		participant.Table, participant.FieldID, placeholders, participant.FieldOrganizationID, participant.FieldLivemode)
	args := []any{}
	for _, id := range ids {
		args = append(args, id.String())
	}
	args = append(args, res.Organization.ID.String(), false)
	plan, err := env.Explain(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || !strings.Contains(plan[0], "sqlite_autoindex_participants_1 (id=?)") {
		t.Fatalf("participants by id use %q, want the primary key", plan)
	}
}
