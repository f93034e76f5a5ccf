package database

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"
)

// RefreshStats brings the query planner's statistics up to date after the
// data has grown or changed a lot (a migration, a seed, hours of traffic).
//
// SQLite never gathers statistics by itself. Without them it prefers any
// index whose leading columns match equalities, so the tenant filter that
// every query carries (organization_id = ? AND livemode = ?) wins over the
// primary key: loading the 20 participants of a page by `id IN (...)` then
// walks all of the organization's participants (7ms instead of 0.03ms with
// 20,000 of them). `PRAGMA optimize` analyses just the tables that changed
// enough since their last analysis, with a bounded effort, as SQLite advises
// long-running applications to do. PostgreSQL's autovacuum keeps its own
// statistics; after a bulk load, ANALYZE saves waiting for it.
func RefreshStats(ctx context.Context, db *DB) error {
	query := "ANALYZE"
	if db.Dialect == dialect.SQLite {
		// 0x10002: look at every table, not only those this connection used.
		query = "PRAGMA optimize=0x10002"
	}
	if _, err := db.SQL.ExecContext(ctx, query); err != nil {
		return fmt.Errorf("refreshing planner statistics: %w", err)
	}
	return nil
}

// KeepStatsFresh keeps SQLite's statistics current for a long-running
// server: it refreshes them now, then every interval until ctx ends.
// PostgreSQL needs nothing (autovacuum analyses changed tables). Failures
// after the first are logged: stale statistics make queries slower, never
// wrong.
func KeepStatsFresh(ctx context.Context, db *DB, interval time.Duration, logger *slog.Logger) error {
	if db.Dialect != dialect.SQLite {
		return nil
	}
	if err := RefreshStats(ctx, db); err != nil {
		return err
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := RefreshStats(ctx, db); err != nil && ctx.Err() == nil {
					logger.WarnContext(ctx, "planner statistics not refreshed", "error", err)
				}
			}
		}
	}()
	return nil
}
