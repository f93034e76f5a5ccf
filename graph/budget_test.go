package graph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/testenv"
)

// The SQL a request may send, whatever the page size. Every request also
// looks up its API key (1 statement).
func TestQueryBudget(t *testing.T) {
	env := testenv.Start(t)
	if _, err := seed.Run(privacy.DecisionContext(context.Background(), privacy.Allow), env.Client, seed.Options{Organization: "Budget", Conversations: 120, Messages: 6, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	key := env.Key(t, "Budget", false)
	env.WarmKey(t, key)

	cases := []struct {
		name   string
		query  string
		budget int
	}{
		{
			// key + conversations + agents + participants + transcripts
			name:   "page with agent, participant and transcript",
			query:  `query($n: Int) { conversations(first: $n) { edges { node { id agent { name } participant { email } transcript { role content } } } } }`,
			budget: 5,
		},
		{
			// key + conversations + agents + participants + one windowed
			// messages query + one grouped count
			name:   "page with a messages connection",
			query:  `query($n: Int) { conversations(first: $n) { edges { node { id agent { name } participant { email } messages(first: 5) { totalCount edges { node { content } } } } } } }`,
			budget: 6,
		},
		{
			// key + conversations: pageInfo comes from the LIMIT n+1 row,
			// with no COUNT(*)
			name:   "pageInfo without totalCount",
			query:  `query($n: Int) { conversations(first: $n) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
			budget: 2,
		},
		{
			// key + conversations + COUNT(*)
			name:   "totalCount",
			query:  `query($n: Int) { conversations(first: $n) { totalCount pageInfo { hasNextPage } edges { node { id } } } }`,
			budget: 3,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			counts := map[int]int{}
			for _, n := range []int{10, 100} {
				env.Queries.Reset()
				data := env.MustGraphQL(t, key, tc.query, map[string]any{"n": n})
				if got := len(testenv.Get(data, "conversations", "edges").([]any)); got != n {
					t.Fatalf("page of %d has %d edges", n, got)
				}
				counts[n] = env.Queries.Count()
			}
			if counts[10] != counts[100] || counts[100] > tc.budget {
				t.Fatalf("statements for pages of 10 and 100: %d and %d; want equal and at most %d\n%s", counts[10], counts[100], tc.budget, fmt.Sprint(env.Queries.Statements()))
			}
		})
	}
}
