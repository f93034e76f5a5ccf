package testenv

import (
	"context"
	"sync"

	"entgo.io/ent/dialect"
)

// Faults injects database failures for tests: open the database with
// Open(t, database.WithDriver(faults.Wrap)), then arm a fault. Nothing is
// injected until one is armed.
type Faults struct {
	mu          sync.Mutex
	begin       error
	commit      error
	onStatement func(ctx context.Context, query string, conn dialect.ExecQuerier) error
}

// FailBegin makes every transaction fail to begin with err (nil: begin
// normally again).
func (f *Faults) FailBegin(err error) { f.mu.Lock(); f.begin = err; f.mu.Unlock() }

// FailCommit makes every commit fail with err, after rolling the
// transaction back, as a database that cannot commit leaves nothing
// behind (nil: commit normally again).
func (f *Faults) FailCommit(err error) { f.mu.Lock(); f.commit = err; f.mu.Unlock() }

// OnStatement runs fn before each statement, with the connection (or
// transaction) the statement is about to use; an error fn returns fails the
// statement instead. nil removes it.
func (f *Faults) OnStatement(fn func(ctx context.Context, query string, conn dialect.ExecQuerier) error) {
	f.mu.Lock()
	f.onStatement = fn
	f.mu.Unlock()
}

func (f *Faults) armed() (begin, commit error, onStatement func(context.Context, string, dialect.ExecQuerier) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.begin, f.commit, f.onStatement
}

// Wrap returns drv with the armed faults.
func (f *Faults) Wrap(drv dialect.Driver) dialect.Driver { return &faultyDriver{Driver: drv, f: f} }

type faultyDriver struct {
	dialect.Driver
	f *Faults
}

func (d *faultyDriver) Exec(ctx context.Context, query string, args, v any) error {
	if err := d.f.before(ctx, query, d.Driver); err != nil {
		return err
	}
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *faultyDriver) Query(ctx context.Context, query string, args, v any) error {
	if err := d.f.before(ctx, query, d.Driver); err != nil {
		return err
	}
	return d.Driver.Query(ctx, query, args, v)
}

func (d *faultyDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	if err, _, _ := d.f.armed(); err != nil {
		return nil, err
	}
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &faultyTx{Tx: tx, f: d.f}, nil
}

func (f *Faults) before(ctx context.Context, query string, conn dialect.ExecQuerier) error {
	if _, _, fn := f.armed(); fn != nil {
		return fn(ctx, query, conn)
	}
	return nil
}

type faultyTx struct {
	dialect.Tx
	f *Faults
}

func (t *faultyTx) Exec(ctx context.Context, query string, args, v any) error {
	if err := t.f.before(ctx, query, t.Tx); err != nil {
		return err
	}
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *faultyTx) Query(ctx context.Context, query string, args, v any) error {
	if err := t.f.before(ctx, query, t.Tx); err != nil {
		return err
	}
	return t.Tx.Query(ctx, query, args, v)
}

func (t *faultyTx) Commit() error {
	if _, err, _ := t.f.armed(); err != nil {
		_ = t.Tx.Rollback()
		return err
	}
	return t.Tx.Commit()
}
