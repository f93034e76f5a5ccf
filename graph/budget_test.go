package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/agent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/participant"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/testenv"
)

// The SQL a request may send, whatever the page size. Every request also
// looks up its API key (1 statement).
func TestQueryBudget(t *testing.T) {
	env, key := budgetEnv(t, 120)

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

// nodes(ids:) loads the IDs of each type with one query, whatever their
// number and however they are interleaved: the API key lookup plus one
// SELECT ... WHERE id IN (...) per type.
func TestNodesQueryBudget(t *testing.T) {
	env, key := budgetEnv(t, 40)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	// The seed makes six agents; 50 interleaved IDs need 13 of each type.
	for i := range 8 {
		newAgent(t, env, key, fmt.Sprintf("Budget agent %d", i))
	}

	const perType = 13
	var pools [4][]uuid.UUID
	var err error
	if pools[0], err = env.Client.Conversation.Query().Order(conversation.ByID()).Limit(perType).IDs(ctx); err != nil {
		t.Fatal(err)
	}
	if pools[1], err = env.Client.Agent.Query().Order(agent.ByID()).Limit(perType).IDs(ctx); err != nil {
		t.Fatal(err)
	}
	if pools[2], err = env.Client.Participant.Query().Order(participant.ByID()).Limit(perType).IDs(ctx); err != nil {
		t.Fatal(err)
	}
	if pools[3], err = env.Client.Message.Query().Order(message.ByID()).Limit(perType).IDs(ctx); err != nil {
		t.Fatal(err)
	}
	typeNames := [4]string{"Conversation", "Agent", "Participant", "Message"}
	for i, pool := range pools {
		if len(pool) != perType {
			t.Fatalf("%d %ss to pick from, want %d", len(pool), typeNames[i], perType)
		}
	}
	// mixed returns n IDs cycling through the four types, each ID once.
	mixed := func(n int) (ids []string, types []string) {
		var next [4]int
		for i := range n {
			k := i % 4
			ids = append(ids, pools[k][next[k]].String())
			types = append(types, typeNames[k])
			next[k]++
		}
		return ids, types
	}

	const q = `query($ids: [ID!]!) { nodes(ids: $ids) {
  __typename
  id
  ... on Conversation { status turnCount agentID }
  ... on Agent { name availableModes }
  ... on Participant { email firstName }
  ... on Message { position role content }
} }`
	// The key lookup, then one query per type.
	const budget = 1 + 4
	counts := map[int]int{}
	for _, n := range []int{10, 50} {
		ids, types := mixed(n)
		env.Queries.Reset()
		data := env.MustGraphQL(t, key, q, map[string]any{"ids": ids})
		counts[n] = env.Queries.Count()
		statements := env.Queries.Statements()

		nodes, ok := data["nodes"].([]any)
		if !ok || len(nodes) != n {
			t.Fatalf("nodes(%d ids) = %v", n, data["nodes"])
		}
		for i, node := range nodes {
			if node == nil {
				t.Fatalf("nodes[%d] (%s %s) is null", i, types[i], ids[i])
			}
			if got := testenv.Get(node, "id"); got != ids[i] {
				t.Errorf("nodes[%d].id = %v, want %s", i, got, ids[i])
			}
			if got := testenv.Get(node, "__typename"); got != types[i] {
				t.Errorf("nodes[%d].__typename = %v, want %s", i, got, types[i])
			}
			// The inline fragment of the node's own type was resolved.
			field := map[string]string{"Conversation": "status", "Agent": "name", "Participant": "email", "Message": "content"}[types[i]]
			if v, _ := testenv.Get(node, field).(string); v == "" {
				t.Errorf("nodes[%d] (%s) has no %s: %v", i, types[i], field, node)
			}
		}
		// Each type's rows come from one statement.
		for _, table := range []string{"conversations", "agents", "participants", "messages"} {
			if c := countFrom(statements, table); c != 1 {
				t.Errorf("nodes(%d ids): %d statements read %s, want 1\n%s", n, c, table, strings.Join(statements, "\n"))
			}
		}
	}
	if counts[10] != counts[50] || counts[50] > budget {
		t.Fatalf("statements for nodes of 10 and 50 mixed ids: %d and %d; want equal and at most %d\n%s", counts[10], counts[50], budget, strings.Join(env.Queries.Statements(), "\n"))
	}
	t.Logf("statements for nodes of 10 and 50 mixed ids: %d and %d", counts[10], counts[50])
}

// budgetEnv starts a server over a seeded organization and returns a warm
// test key for it, so that counts see only the requests themselves.
func budgetEnv(t *testing.T, conversations int) (*apitest.Env, string) {
	t.Helper()
	env := apitest.Start(t)
	sys := privacy.DecisionContext(context.Background(), privacy.Allow)
	if _, err := seed.Run(sys, env.Client, seed.Options{Organization: "Budget", Conversations: conversations, Messages: 6, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	key := env.Key(t, "Budget", false)
	env.WarmKey(t, key)
	return env, key
}

// countFrom counts the statements that select from table (quoted with
// backticks by ent for SQLite, with double quotes for PostgreSQL).
func countFrom(statements []string, table string) int {
	n := 0
	for _, s := range statements {
		if strings.HasPrefix(s, "SELECT") && (strings.Contains(s, "FROM `"+table+"`") || strings.Contains(s, `FROM "`+table+`"`)) {
			n++
		}
	}
	return n
}

// Transcripts of conversations fetched through nodes(ids:) are loaded in
// one batch, like those of a connection page (primeTranscripts).
func TestNodesTranscriptBudget(t *testing.T) {
	env, key := budgetEnv(t, 60)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	all, err := env.Client.Conversation.Query().Order(conversation.ByID()).IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const q = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Conversation { messageCount transcript { id } } } }`
	// The key lookup, the conversations, their messages.
	const budget = 3
	for _, n := range []int{10, 50} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = all[i].String()
		}
		env.Queries.Reset()
		data := env.MustGraphQL(t, key, q, map[string]any{"ids": ids})
		if got := env.Queries.Count(); got != budget {
			t.Fatalf("nodes(%d conversation ids) with transcripts: %d statements, want %d\n%s", n, got, budget, strings.Join(env.Queries.Statements(), "\n"))
		}
		messages := 0
		for i := range n {
			transcript := testenv.Get(data, "nodes", i, "transcript").([]any)
			if want := int(testenv.Get(data, "nodes", i, "messageCount").(float64)); len(transcript) != want {
				t.Fatalf("nodes[%d] has %d transcript messages, messageCount %d", i, len(transcript), want)
			}
			messages += len(transcript)
		}
		if messages == 0 {
			t.Fatalf("the %d conversations have no messages at all", n)
		}
	}
}
