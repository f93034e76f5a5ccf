package gid

import (
	"testing"

	"github.com/parleyhq/parley/ent/migrate"
)

// Every table has a type tag, so node and nodes can route every ID; the
// list in gid.go is checked against the generated schema here.
func TestEveryTableHasAType(t *testing.T) {
	known := map[string]bool{}
	for _, table := range tables {
		known[table] = true
	}
	for _, table := range migrate.Tables {
		if !known[table.Name] {
			t.Errorf("table %s has no gid.Type; add one (and never renumber the others)", table.Name)
		}
	}
	if len(tables) != len(migrate.Tables) {
		t.Errorf("gid knows %d tables, the schema has %d", len(tables), len(migrate.Tables))
	}
}
