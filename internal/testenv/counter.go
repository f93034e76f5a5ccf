package testenv

import (
	"slices"
	"sync"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/internal/observe"
)

// Counter counts and records the SQL statements sent through a driver, like
// the counting driver of entgql's own tests.
type Counter struct {
	mu  sync.Mutex
	log []Statement
}

// Statement is one SQL statement sent through the driver, with the bind
// arguments it was sent with.
type Statement struct {
	Query string
	Args  []any
}

// Wrap returns drv with every statement recorded by c.
func (c *Counter) Wrap(drv dialect.Driver) dialect.Driver {
	return observe.WatchStatementArgs(drv, func(query string, args any) {
		st := Statement{Query: query}
		switch a := args.(type) {
		case []any:
			st.Args = slices.Clone(a)
		case nil:
		default:
			st.Args = []any{a}
		}
		c.mu.Lock()
		c.log = append(c.log, st)
		c.mu.Unlock()
	})
}

// Reset forgets the statements seen so far.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.log = nil
	c.mu.Unlock()
}

// Count returns the number of statements since the last Reset.
func (c *Counter) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.log)
}

// Statements returns the SQL sent since the last Reset.
func (c *Counter) Statements() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.log))
	for i, st := range c.log {
		out[i] = st.Query
	}
	return out
}

// Recorded returns the statements sent since the last Reset, with their
// arguments.
func (c *Counter) Recorded() []Statement {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.log)
}
