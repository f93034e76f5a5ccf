package graph_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/seed"
)

// BenchmarkConversationStats measures conversationStats through the
// GraphQL handler over 5,000 seeded conversations of about 12 messages,
// whose message counters the seeder writes as the appends would. Run with
// -benchmem; on PostgreSQL with TEST_DATABASE_URL.
func BenchmarkConversationStats(b *testing.B) {
	env := apitest.Start(b)
	key := env.Key(b, "Bench", false)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	if _, err := seed.Run(ctx, env.Client, seed.Options{Organization: "Bench", Conversations: 5000, Messages: 12, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	if err := database.RefreshStats(ctx, env.DB); err != nil {
		b.Fatal(err)
	}
	env.WarmKey(b, key)
	const fields = `count byStatus { completed abandoned } completionRate durationMs { count average median p90 } turnCount { average median p90 }`
	const messages = ` messages { total user assistant system voice text }`
	for _, bc := range []struct{ name, args, fields string }{
		{"one group", "", fields},
		{"one group with messages", "", fields + messages},
		{"AGENT with messages", "(groupBy: AGENT)", fields + messages},
		{"STATUS statusIn", "(groupBy: STATUS, where: {statusIn: [completed, abandoned]})", fields},
		{"TIME DAY Europe-Berlin with messages", `(groupBy: TIME, interval: DAY, timeZone: "Europe/Berlin")`, fields + messages},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := `{ conversationStats` + bc.args + ` { groups { ` + bc.fields + ` } } }`
			b.ReportAllocs()
			for b.Loop() {
				env.MustGraphQL(b, key, q, nil)
			}
		})
	}
}
