// Package database opens Parley's database from a URL (SQLite or
// PostgreSQL) and brings its schema up to date.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the pure-Go "sqlite" driver

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/internal/budget"
)

// DefaultURL is a SQLite file in the working directory.
const DefaultURL = "sqlite://parley.db"

// DB is an open database: the ent client and the pool beneath it.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB
	Dialect string
	driver  dialect.Driver
	// What Open opened, so OpenPool can open another pool on it.
	driverName, dsn string
}

// Close closes the client and its pool.
func (db *DB) Close() error { return db.Client.Close() }

// Option customises Open.
type Option func(*options)

type options struct {
	wrap []func(dialect.Driver) dialect.Driver
}

// WithDriver wraps the ent driver, for instance to count or trace queries.
func WithDriver(wrap func(dialect.Driver) dialect.Driver) Option {
	return func(o *options) { o.wrap = append(o.wrap, wrap) }
}

// Open connects to the database named by rawURL: `sqlite://PATH` or
// `postgres://...` (also `postgresql://`). It does not migrate.
func Open(ctx context.Context, rawURL string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	driverName, dsn, dialectName, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	pool, err := openSQL(driverName, dsn, dialectName)
	if err != nil {
		return nil, fmt.Errorf("opening %s database: %w", dialectName, err)
	}
	configurePool(pool, dialectName)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.PingContext(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to %s database: %w", dialectName, err)
	}
	var drv dialect.Driver = entsql.OpenDB(dialectName, pool)
	for _, wrap := range o.wrap {
		drv = wrap(drv)
	}
	// Outermost, so a statement over the request's budget reaches no other
	// wrapper and not the database.
	drv = budget.Driver(drv)
	return &DB{
		Client:     ent.NewClient(ent.Driver(drv)),
		driver:     drv,
		SQL:        pool,
		Dialect:    dialectName,
		driverName: driverName,
		dsn:        dsn,
	}, nil
}

// openSQL opens a database/sql pool, on PostgreSQL with pgx taught to
// encode uuid.UUID (openPostgres). Every pool Parley opens comes from here.
func openSQL(driverName, dsn, dialectName string) (*sql.DB, error) {
	if dialectName == dialect.Postgres {
		return openPostgres(dsn)
	}
	return sql.Open(driverName, dsn)
}

// parseURL maps a database URL to a database/sql driver and DSN.
func parseURL(rawURL string) (driverName, dsn, dialectName string, err error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		path := strings.TrimPrefix(rawURL, "sqlite://")
		if path == "" {
			return "", "", "", errors.New("database URL sqlite:// needs a file path, e.g. sqlite://parley.db")
		}
		if dir := filepath.Dir(path); dir != "" {
			if info, err := os.Stat(dir); err != nil || !info.IsDir() {
				return "", "", "", fmt.Errorf("database URL %s: the folder %s does not exist; create it first", rawURL, dir)
			}
		}
		return "sqlite", sqliteDSN(path), dialect.SQLite, nil
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		if _, err := url.Parse(rawURL); err != nil {
			// url.Parse's error quotes the URL, password included.
			return "", "", "", errors.New("database URL is not a valid postgres:// URL")
		}
		return "pgx", rawURL, dialect.Postgres, nil
	}
	return "", "", "", fmt.Errorf("database URL %q: use sqlite://PATH or postgres://...", redact(rawURL))
}

// sqliteDSN configures SQLite for a server: write-ahead logging so readers
// never wait for the writer, a busy timeout instead of immediate "database is
// locked" errors, foreign keys on (ent's migrator needs them), and BEGIN
// IMMEDIATE so a transaction that reads then writes cannot deadlock with
// another one on lock upgrade.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

func configurePool(pool *sql.DB, dialectName string) {
	switch dialectName {
	case dialect.SQLite:
		// One file, one writer: a small pool avoids piling up lock waits.
		pool.SetMaxOpenConns(8)
		pool.SetMaxIdleConns(8)
	case dialect.Postgres:
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(20)
		pool.SetConnMaxIdleTime(5 * time.Minute)
	}
	pool.SetConnMaxLifetime(time.Hour)
}

// redact hides a password in a URL before it is shown.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
