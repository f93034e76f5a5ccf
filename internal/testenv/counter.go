package testenv

import (
	"context"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// Counter is an ent driver that counts the SQL statements sent through it,
// like the counting driver of entgql's own tests.
type Counter struct {
	dialect.Driver
	n atomic.Int64

	mu     sync.Mutex
	record bool
	log    []string
}

// NewCounter wraps drv.
func NewCounter(drv dialect.Driver) *Counter { return &Counter{Driver: drv} }

// Reset zeroes the count and starts recording statements.
func (c *Counter) Reset() {
	c.n.Store(0)
	c.mu.Lock()
	c.log, c.record = nil, true
	c.mu.Unlock()
}

// Count returns the statements sent since the last Reset.
func (c *Counter) Count() int { return int(c.n.Load()) }

// Statements returns the SQL sent since the last Reset.
func (c *Counter) Statements() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

func (c *Counter) add(query string) {
	c.n.Add(1)
	c.mu.Lock()
	if c.record {
		c.log = append(c.log, query)
	}
	c.mu.Unlock()
}

func (c *Counter) Exec(ctx context.Context, query string, args, v any) error {
	c.add(query)
	return c.Driver.Exec(ctx, query, args, v)
}

func (c *Counter) Query(ctx context.Context, query string, args, v any) error {
	c.add(query)
	return c.Driver.Query(ctx, query, args, v)
}

func (c *Counter) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := c.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, c: c}, nil
}

type countingTx struct {
	dialect.Tx
	c *Counter
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.c.add(query)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.c.add(query)
	return t.Tx.Query(ctx, query, args, v)
}
