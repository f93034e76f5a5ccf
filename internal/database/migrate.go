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
// previous version keep working during a rolling deploy.
//
// ent inspects the schema before it opens its own transaction, so two
// servers starting together could both plan the same CREATE TABLE. Here the
// whole inspect-and-apply runs in one transaction that first takes a lock:
// an advisory transaction lock on PostgreSQL, and on SQLite the write lock
// that BEGIN IMMEDIATE takes. A server that waited then finds nothing to do.
func Migrate(ctx context.Context, db *DB) (err error) {
	tx, err := db.driver.Tx(ctx)
	if err != nil {
		return fmt.Errorf("migrate: beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if db.Dialect == dialect.Postgres {
		if err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", []any{migrationLockID}, nil); err != nil {
			return fmt.Errorf("migrate: taking the advisory lock: %w", err)
		}
	}
	schema := migrate.NewSchema(txDriver{ExecQuerier: tx, dialect: db.Dialect})
	if err := schema.Create(ctx, migrate.WithForeignKeys(true)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: committing: %w", err)
	}
	return migrateQueue(ctx, db)
}

// txDriver lets ent's migrator run inside a transaction we opened: its own
// "transaction" becomes a no-op wrapper of ours.
type txDriver struct {
	dialect.ExecQuerier
	dialect string
}

func (d txDriver) Dialect() string                        { return d.dialect }
func (d txDriver) Close() error                           { return nil }
func (d txDriver) Tx(context.Context) (dialect.Tx, error) { return dialect.NopTx(d), nil }
