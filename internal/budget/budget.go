// Package budget bounds what one API request may make the database do: how
// many SQL statements it sends, how many rows it reads and how many bytes of
// text those rows carry. The limits are decided before the request runs
// (Limits); the database driver (Driver) charges every statement, row and
// string it sees to the budget in the request's context, and refuses what
// would go over, so a request stops at its budget instead of holding a
// core or gigabytes. Code without a budget in its context (the CLI, key
// lookups, background work) is not limited.
package budget

import (
	"context"
	"fmt"
	"sync"

	"github.com/parleyhq/parley/internal/apperr"
)

// Limits are the most one request may use.
type Limits struct {
	// Statements bounds the SQL statements sent.
	Statements int
	// Rows bounds the rows read.
	Rows int
	// Bytes bounds the text read (strings and JSON), and so, within a small
	// factor, the size of the answer.
	Bytes int64
}

// DefaultLimits admit every page the API serves at its largest size (100
// conversations with agent, participant and a transcript each, or 100
// messages of each of 100 conversations) with room to spare: measured, the
// largest dashboard page of the benchmark data needs 5 statements, about
// 1,700 rows and 400 KB. A request over them is one the API would not
// serve in reasonable time or memory.
var DefaultLimits = Limits{Statements: 100, Rows: 20_000, Bytes: 8 << 20}

// Budget is what is left of one request's limits. It is safe for the
// concurrent resolvers of one operation.
type Budget struct {
	limits Limits

	mu         sync.Mutex
	statements int
	rows       int
	bytes      int64
	exceeded   *apperr.Error
}

// New returns a full budget.
func New(l Limits) *Budget { return &Budget{limits: l} }

type ctxKey struct{}

// NewContext returns a context that charges b.
func NewContext(ctx context.Context, b *Budget) context.Context {
	return context.WithValue(ctx, ctxKey{}, b)
}

// FromContext returns the budget ctx charges, or nil.
func FromContext(ctx context.Context) *Budget {
	b, _ := ctx.Value(ctxKey{}).(*Budget)
	return b
}

// Exceeded returns the error of the first limit the request went over, or
// nil.
func (b *Budget) Exceeded() *apperr.Error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.exceeded
}

// Statement charges one SQL statement.
func (b *Budget) Statement() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.statements++
	if b.statements > b.limits.Statements && b.limits.Statements > 0 {
		return b.exceed("SQL statements", b.limits.Statements)
	}
	return b.exceededErr()
}

// Row charges one row read.
func (b *Budget) Row() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rows++
	if b.rows > b.limits.Rows && b.limits.Rows > 0 {
		return b.exceed("rows", b.limits.Rows)
	}
	return b.exceededErr()
}

// Bytes charges n bytes of text read or served.
func (b *Budget) Bytes(n int64) error {
	if b == nil || n == 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bytes += n
	if b.bytes > b.limits.Bytes && b.limits.Bytes > 0 {
		return b.exceed("bytes of data", int(b.limits.Bytes))
	}
	return b.exceededErr()
}

// Used returns what the request has used so far.
func (b *Budget) Used() Limits {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Limits{Statements: b.statements, Rows: b.rows, Bytes: b.bytes}
}

func (b *Budget) exceed(what string, limit int) error {
	if b.exceeded == nil {
		b.exceeded = apperr.New(apperr.BudgetExceeded,
			"the request needs more than the %d %s one request may read; ask for smaller pages or fewer fields", limit, what)
	}
	return b.exceeded
}

// exceededErr keeps a request that went over stopped: once over, every
// later charge fails too.
func (b *Budget) exceededErr() error {
	if b.exceeded != nil {
		return b.exceeded
	}
	return nil
}

// String describes the use, for logs.
func (b *Budget) String() string {
	u := b.Used()
	return fmt.Sprintf("%d statements, %d rows, %d bytes", u.Statements, u.Rows, u.Bytes)
}
