package database

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley/ent"
)

// InTx runs fn in the caller's transaction (one in ctx), or in one of its
// own that it commits, so the writes fn makes land together or not at all.
// fn gets the context and the client to write with.
func InTx(ctx context.Context, c *ent.Client, fn func(context.Context, *ent.Client) error) error {
	if ent.TxFromContext(ctx) != nil {
		return fn(ctx, c)
	}
	tx, err := c.Tx(ctx)
	if err != nil {
		return fmt.Errorf("beginning a transaction: %w", err)
	}
	if err := fn(ent.NewTxContext(ctx, tx), tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// AfterCommit runs fn once tx has committed (not if it rolls back), or at
// once when tx is nil: for work outside the transaction that must not
// happen for a change that did not, such as announcing it.
func AfterCommit(ctx context.Context, tx *ent.Tx, fn func(context.Context) error) error {
	if tx == nil {
		return fn(ctx)
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			return fn(ctx)
		})
	})
	return nil
}
