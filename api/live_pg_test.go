package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/testenv"
)

// secondServer starts another Parley over env's database, with its own
// database client, broker and listener: another replica.
func secondServer(t *testing.T, env *apitest.Env) *apitest.Env {
	t.Helper()
	if env.DB.Dialect != dialect.Postgres {
		t.Skip("replicas share PostgreSQL (LISTEN/NOTIFY); set TEST_DATABASE_URL to run this")
	}
	db, err := database.Open(context.Background(), env.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return apitest.StartOn(t, &testenv.Env{DB: db, Client: db.Client, Queries: &testenv.Counter{}, Metrics: observe.NewMetrics(), URL: env.URL}, nil)
}

func TestMessagesReachASubscriberOnAnotherServer(t *testing.T) {
	writer := apitest.Start(t)
	reader := secondServer(t, writer)
	f := newFixture(t, writer, "Acme")
	c := connect(t, reader, f.key)
	c.subscribe("1", messageAddedQuery, map[string]any{"id": f.conversationID})
	waitSubscribed(t, reader, 1)
	// A message over NOTIFY's 8,000 bytes is announced by ID and loaded.
	long := strings.Repeat("x", 9000)
	appendMessages(t, writer, f.key, f.conversationID, "one", "two")
	appendMessages(t, writer, f.key, f.conversationID, long)
	for i, want := range []string{"one", "two", long} {
		if m := c.next("1")["messageAdded"].(map[string]any); m["content"] != want {
			t.Fatalf("message %d: %.40v, want %.40q", i, m["content"], want)
		}
	}
}

func TestListenerCatchesUpAfterReconnecting(t *testing.T) {
	writer := apitest.Start(t)
	reader := secondServer(t, writer)
	f := newFixture(t, writer, "Acme")
	c := connect(t, reader, f.key)
	c.subscribe("1", messageAddedQuery, map[string]any{"id": f.conversationID})
	waitSubscribed(t, reader, 1)
	appendMessages(t, writer, f.key, f.conversationID, "before")
	if m := c.next("1")["messageAdded"].(map[string]any); m["content"] != "before" {
		t.Fatalf("got %v", m)
	}
	// Cut both servers' listening connections (this test's schema only);
	// what commits while they reconnect is read back from the outbox.
	var schema string
	if err := writer.DB.SQL.QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	var killed int
	err := writer.DB.SQL.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1`,
		fmt.Sprintf(`LISTEN "parley_events:%s"`, schema)).Scan(&killed)
	if err != nil || killed != 2 {
		t.Fatalf("terminated %d listeners (%v), want 2", killed, err)
	}
	for _, m := range []string{"during", "after"} {
		appendMessages(t, writer, f.key, f.conversationID, m)
	}
	for _, want := range []string{"during", "after"} {
		if m := c.next("1")["messageAdded"].(map[string]any); m["content"] != want {
			t.Fatalf("got %v, want %s", m, want)
		}
	}
}
