package graph_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/gid"
)

func cursor(t *testing.T, value any) string {
	t.Helper()
	var b bytes.Buffer
	entgql.Cursor[uuid.UUID]{ID: gid.New(gid.Conversation), Value: value}.MarshalGQL(&b)
	return strings.Trim(b.String(), `"`)
}

// Abusive or malformed operations are rejected with invalid_request before
// any resolver runs: the only SQL is the API key lookup.
func TestLimitsRejectBeforeSQL(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	env.WarmKey(t, key)

	// 1 + 4 levels per hop: 17 fields deep, over the limit of 12.
	deep := "{ conversations(first: 1) { edges { node { id" + strings.Repeat(" agent { conversations(first: 1) { edges { node { id", 4) + strings.Repeat(" } } } }", 5)
	cases := map[string]struct {
		query string
		vars  map[string]any
		want  string
	}{
		"nested first over 100":       {`{ conversations(first: 1) { edges { node { messages(first: 101) { edges { node { id } } } } } } }`, nil, "messages.first"},
		"last over 100":               {`{ agents(last: 500) { edges { node { id } } } }`, nil, "agents.last"},
		"negative first":              {`query($n: Int) { participants(first: $n) { edges { node { id } } } }`, map[string]any{"n": -1}, "participants.first"},
		"too deep":                    {deep, nil, "deep"},
		"too complex":                 {`{ conversations(first: 100) { edges { node { messages(first: 100) { edges { node { conversation { messages(first: 100) { edges { node { id } } } } } } } } } } }`, nil, "complexity"},
		"too many ids":                {`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": manyIDs(101)}, "nodes.ids"},
		"cursor of wrong type":        {`query($c: Cursor) { conversations(after: $c) { edges { node { id } } } }`, map[string]any{"c": cursor(t, "not a time")}, "conversations.after"},
		"cursor for another ordering": {`query($c: Cursor) { agents(after: $c, orderBy: {field: NAME, direction: ASC}) { edges { node { id } } } }`, map[string]any{"c": cursor(t, time.Now())}, "agents.after"},
		"garbage cursor":              {`{ conversations(before: "!!!") { edges { node { id } } } }`, nil, "conversations.before"},
		"nested without first/last":   {`{ agents(first: 5) { edges { node { byAgent: conversations { edges { node { id } } } } } } }`, nil, "byAgent: a nested connection needs first or last"},
		"nested with a null first":    {`query($n: Int) { conversations(first: 1) { edges { node { messages(first: $n) { edges { cursor } } } } } }`, map[string]any{"n": nil}, "messages: a nested connection"},
		"nested edges in a fragment":  {`{ agents(first: 1) { edges { node { conversations { ...Page } } } } } fragment Page on ConversationConnection { edges { cursor } }`, nil, "conversations: a nested connection"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env.Queries.Reset()
			e := onlyError(t, env.GraphQL(t, key, tc.query, tc.vars), "invalid_request")
			if !strings.Contains(e.Message, tc.want) {
				t.Errorf("message %q does not mention %q", e.Message, tc.want)
			}
			if n := env.Queries.Count(); n != 1 {
				t.Errorf("%d SQL statements ran, want only the API key lookup:\n%s", n, strings.Join(env.Queries.Statements(), "\n"))
			}
		})
	}

	// Counting a nested connection needs no page size: it is one grouped
	// COUNT, whatever the number of rows.
	env.MustGraphQL(t, key, `{ agents(first: 10) { edges { node { name conversations { totalCount } } } } }`, nil)

	// A realistic dashboard query stays within the limits.
	env.MustGraphQL(t, key, `{ conversations(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status turnCount agent { id name } participant { id email firstName lastName } transcript { id role content createdAt modality } } } } }`, nil)
}

func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = gid.New(gid.Agent).String()
	}
	return ids
}
