package database

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/ent/migrate"
)

// migrationLockID is the PostgreSQL advisory lock key that serialises schema
// migrations between servers starting at once ("parley" in ASCII).
const migrationLockID = 0x7061726c6579

// Migrate brings the schema up to date. It only ever adds tables, columns
// and indexes (ent's additive auto-migration), so servers still running the
// previous version keep working during a rolling deploy. On PostgreSQL it
// holds an advisory lock so that concurrent starts migrate one at a time;
// SQLite serialises writers on its own.
func Migrate(ctx context.Context, db *DB) error {
	if db.Dialect == dialect.Postgres {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: getting a connection for the lock: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
			return fmt.Errorf("migrate: taking the advisory lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockID) //nolint:errcheck // released with the session anyway
	}
	if err := db.Client.Schema.Create(ctx, migrate.WithForeignKeys(true)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
