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
	Statements int64
	// Rows bounds the rows read.
	Rows int64
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
	statements int64
	rows       int64
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
	return b.charge(&b.statements, 1, b.limits.Statements, "SQL statements")
}

// Row charges one row read.
func (b *Budget) Row() error {
	if b == nil {
		return nil
	}
	return b.charge(&b.rows, 1, b.limits.Rows, "rows")
}

// Bytes charges n bytes of text read or served.
func (b *Budget) Bytes(n int64) error {
	if b == nil {
		return nil
	}
	return b.charge(&b.bytes, n, b.limits.Bytes, "bytes of data")
}

// charge adds n to one counter and fails once it is over its limit (0: no
// limit); once one limit is over, every later charge fails too, so a
// request that went over stays stopped.
func (b *Budget) charge(used *int64, n, limit int64, what string) error {
	if n == 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	*used += n
	if limit > 0 && *used > limit && b.exceeded == nil {
		b.exceeded = apperr.New(apperr.BudgetExceeded,
			"the request needs more than the %d %s one request may read; ask for smaller pages or fewer fields", limit, what)
	}
	if b.exceeded != nil {
		return b.exceeded
	}
	return nil
}

// Used returns what the request has used so far.
func (b *Budget) Used() Limits {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Limits{Statements: b.statements, Rows: b.rows, Bytes: b.bytes}
}

// String describes the use, for logs.
func (b *Budget) String() string {
	u := b.Used()
	return fmt.Sprintf("%d statements, %d rows, %d bytes", u.Statements, u.Rows, u.Bytes)
}
