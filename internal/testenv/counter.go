package testenv

import (
	"sync"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/internal/observe"
)

// Counter counts and records the SQL statements sent through a driver, like
// the counting driver of entgql's own tests.
type Counter struct {
	mu  sync.Mutex
	log []string
}

// Wrap returns drv with every statement recorded by c.
func (c *Counter) Wrap(drv dialect.Driver) dialect.Driver {
	return observe.WatchStatements(drv, func(query string) {
		c.mu.Lock()
		c.log = append(c.log, query)
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
	return append([]string(nil), c.log...)
}
