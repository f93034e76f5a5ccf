package database

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// OpenPool opens a further pool of at most maxConns connections on the same
// database, for work that must not queue behind requests (or, on SQLite,
// that River wants on a single connection).
func (db *DB) OpenPool(ctx context.Context, maxConns int) (*sql.DB, error) {
	pool, err := openSQL(db.driverName, db.dsn, db.Dialect)
	if err != nil {
		return nil, fmt.Errorf("opening a %s pool: %w", db.Dialect, err)
	}
	pool.SetMaxOpenConns(maxConns)
	pool.SetMaxIdleConns(maxConns)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting a %s pool: %w", db.Dialect, err)
	}
	return pool, nil
}

// QueueDriver is River's driver for this database over pool: River keeps
// its job tables (river_*) in the same database as Parley's, so a job can
// be inserted in the transaction of the change that causes it.
func (db *DB) QueueDriver(pool *sql.DB) riverdriver.Driver[*sql.Tx] {
	if db.Dialect == dialect.SQLite {
		return riversqlite.New(pool)
	}
	return riverdatabasesql.New(pool)
}

// migrateQueue brings River's tables up to date, one server at a time.
// On PostgreSQL River applies each version in a transaction of its own (a
// version may use an enum value an earlier one added, which one
// transaction cannot), so servers starting together are serialised by a
// session advisory lock held on a connection of its own. On SQLite every
// version runs in one transaction, whose BEGIN IMMEDIATE takes the write
// lock first: a server that waited finds nothing left to do.
func migrateQueue(ctx context.Context, db *DB) error {
	migrator, err := rivermigrate.New(db.QueueDriver(db.SQL), nil)
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	if db.Dialect == dialect.SQLite {
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate queue: beginning transaction: %w", err)
		}
		if _, err := migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate queue: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate queue: committing: %w", err)
		}
		return nil
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
		return fmt.Errorf("migrate queue: taking the advisory lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockID) //nolint:errcheck // closing the session releases it too
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	return nil
}
