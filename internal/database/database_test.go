package database_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	_ "github.com/parleyhq/parley/ent/runtime"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/testenv"
)

// Servers starting together against one database must all come up with the
// schema migrated once, without errors.
func TestConcurrentMigrations(t *testing.T) {
	url := testenv.DatabaseURL(t)
	const servers = 4
	dbs := make([]*database.DB, servers)
	for i := range dbs {
		db, err := database.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	var wg sync.WaitGroup
	errs := make([]error, servers)
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = database.Migrate(context.Background(), db)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
	}
	// Migrating an up-to-date schema is a no-op.
	if err := database.Migrate(context.Background(), dbs[0]); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := dbs[0].SQL.QueryRow("SELECT COUNT(*) FROM conversations").Scan(&n); err != nil || n != 0 {
		t.Fatalf("conversations table after migration: %d rows, %v", n, err)
	}
}

func TestOpenRejectsUnknownURLs(t *testing.T) {
	for _, url := range []string{"mysql://localhost/db", "sqlite://", "parley.db", "postgres://user:secret@%zz/db"} {
		_, err := database.Open(context.Background(), url)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", url)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("Open(%q) error shows the password: %v", url, err)
		}
	}
}
