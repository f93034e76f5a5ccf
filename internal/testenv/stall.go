package testenv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
)

// Stall is a driver wrapper whose matching statements never reach the
// database: each waits until its context ends and fails with the
// context's error, as a statement stuck on a lock would. Wrap a test
// database with database.WithDriver(stall.Wrap).
type Stall struct {
	// Match picks the statements that stall.
	Match func(query string) bool
	// Started receives a value when a statement begins to stall, Ended the
	// context error that ended it (both without blocking; buffer them).
	Started chan struct{}
	Ended   chan error
}

// errNeverCancelled ends a stalled statement whose context never ends, so
// a missing deadline fails a test instead of hanging it.
var errNeverCancelled = errors.New("testenv: stalled statement: its context never ended")

// NewStall returns a Stall of the statements match picks.
func NewStall(match func(query string) bool) *Stall {
	return &Stall{Match: match, Started: make(chan struct{}, 64), Ended: make(chan error, 64)}
}

// Wrap returns drv with the matching statements stalled.
func (s *Stall) Wrap(drv dialect.Driver) dialect.Driver { return &stallDriver{Driver: drv, s: s} }

func (s *Stall) wait(ctx context.Context, query string) error {
	select {
	case s.Started <- struct{}{}:
	default:
	}
	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(10 * time.Second):
		err = errNeverCancelled
	}
	select {
	case s.Ended <- err:
	default:
	}
	return fmt.Errorf("stalled %q: %w", query, err)
}

type stallDriver struct {
	dialect.Driver
	s *Stall
}

func (d *stallDriver) Query(ctx context.Context, query string, args, v any) error {
	if d.s.Match(query) {
		return d.s.wait(ctx, query)
	}
	return d.Driver.Query(ctx, query, args, v)
}

func (d *stallDriver) Exec(ctx context.Context, query string, args, v any) error {
	if d.s.Match(query) {
		return d.s.wait(ctx, query)
	}
	return d.Driver.Exec(ctx, query, args, v)
}
