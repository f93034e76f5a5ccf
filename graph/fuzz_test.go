package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/testenv"
)

// The fuzz targets check that no input, however malformed, makes the API
// fail on its side: every answer is a success or an invalid_request /
// not_found error, and a rejected write leaves no row behind.

func acceptable(res testenv.Response) bool {
	if res.Status >= 500 {
		return false
	}
	for _, e := range res.Errors {
		if c := e.Code(); c != "invalid_request" && c != "not_found" {
			return false
		}
	}
	return true
}

// FuzzCursors sends arbitrary strings as after/before cursors, with each
// ordering.
func FuzzCursors(f *testing.F) {
	env := apitest.Start(f)
	if _, err := seed.Run(privacy.DecisionContext(context.Background(), privacy.Allow), env.Client, seed.Options{Organization: "Fuzz", Conversations: 12, Messages: 2}); err != nil {
		f.Fatal(err)
	}
	key := env.Key(f, "Fuzz", false)
	page := env.MustGraphQL(f, key, `{ conversations(first: 3) { edges { cursor } } }`, nil)
	f.Add(testenv.Get(page, "conversations", "edges", 1, "cursor").(string), "CREATED_AT", true)
	f.Add("gqFpxBABohGlbP6FSKIcOgWdcbo/oXbX/zmN8qBrBPoc", "TURN_COUNT", false)
	f.Add("gqFpxBAAAAAAAAAAAAAAAAAAAAAAoXaAAQ==", "STATUS", true)
	f.Add("", "UPDATED_AT", false)
	f.Add("!!!!", "", true)
	f.Fuzz(func(t *testing.T, cursor, field string, after bool) {
		vars := map[string]any{"c": cursor}
		arg := "before: $c, last: 5"
		if after {
			arg = "after: $c, first: 5"
		}
		order := ""
		if field != "" {
			vars["o"] = map[string]any{"field": field, "direction": "DESC"}
			order = ", orderBy: $o"
		}
		q := `query($c: Cursor, $o: ConversationOrder) { conversations(` + arg + order + `) { edges { node { id agent { id } } } pageInfo { hasNextPage } } }`
		if res := env.GraphQL(t, key, q, vars); !acceptable(res) {
			t.Fatalf("cursor %q order %q: status %d errors %+v", cursor, field, res.Status, res.Errors)
		}
	})
}

// FuzzWhere sends arbitrary JSON as a conversations `where` filter.
func FuzzWhere(f *testing.F) {
	env := apitest.Start(f)
	if _, err := seed.Run(privacy.DecisionContext(context.Background(), privacy.Allow), env.Client, seed.Options{Organization: "Fuzz", Conversations: 12, Messages: 2}); err != nil {
		f.Fatal(err)
	}
	key := env.Key(f, "Fuzz", false)
	for _, seedJSON := range []string{
		`{"status": "completed"}`,
		`{"statusIn": ["pending", "archived"], "turnCountGT": 2}`,
		`{"or": [{"connectionCodeContains": "ALPHA"}, {"hasParticipantWith": {"emailHasSuffix": ".com"}}]}`,
		`{"createdAtGTE": "2020-01-01T00:00:00Z", "not": {"hasMessages": true}}`,
		`{"idIn": ["not-a-uuid"]}`,
		`{"hasMessagesWith": [{"contentContainsFold": "%_\\"}]}`,
		`{"agentID": "01a211a5-6cfe-8548-a21c-3a059d71ba27", "startedAtIsNil": true}`,
		`{"and": [{"and": [{"and": [{"turnCount": -1}]}]}]}`,
	} {
		f.Add(seedJSON)
	}
	f.Fuzz(func(t *testing.T, where string) {
		var v any
		if json.Unmarshal([]byte(where), &v) != nil {
			return // not JSON: the transport's problem, covered elsewhere
		}
		res := env.GraphQL(t, key, `query($w: ConversationWhereInput) { conversations(first: 5, where: $w) { totalCount edges { node { id } } } }`, map[string]any{"w": v})
		if !acceptable(res) {
			t.Fatalf("where %s: status %d errors %+v", where, res.Status, res.Errors)
		}
	})
}

// FuzzAppendMessages ingests arbitrary messages. Either all are stored and
// the counters move by exactly that much, or the call is rejected and
// nothing changes.
func FuzzAppendMessages(f *testing.F) {
	env := apitest.Start(f)
	key := env.Key(f, "Fuzz", false)
	agentID := newAgent(f, env, key, "Fuzzer")
	conv := newConversation(f, env, key, agentID)
	f.Add("user", "Hello there", "voice", "2026-01-02T03:04:05Z", 1)
	f.Add("assistant", "", "text", "", 2)
	f.Add("robot", "x", "smoke signals", "yesterday", 3)
	f.Add("system", "\x00\xff emoji 🎙️", "text", "2026-13-40T99:99:99Z", 0)
	f.Add("user", "a", "text", "1969-12-31T23:59:59.999999999-12:00", 600)
	f.Fuzz(func(t *testing.T, role, content, modality, createdAt string, n int) {
		n = n % 8
		if n < 0 {
			n = -n
		}
		msgs := make([]any, n)
		for i := range msgs {
			m := map[string]any{"role": role, "content": content, "modality": modality}
			if createdAt != "" {
				m["createdAt"] = createdAt
			}
			msgs[i] = m
		}
		// The stored rows are counted through the messages connection, not
		// the transcript, which refuses conversations past its size budget.
		const counts = `query($id: ID!) { conversation(id: $id) { messageCount turnCount messages(first: 1) { totalCount } } }`
		before := env.MustGraphQL(t, key, counts, map[string]any{"id": conv})
		res := env.GraphQL(t, key, appendMessages, map[string]any{"id": conv, "messages": msgs})
		if !acceptable(res) || (res.Status != http.StatusOK && res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusBadRequest) {
			t.Fatalf("append %d x (%q, %q, %q, %q): status %d errors %+v", n, role, content, modality, createdAt, res.Status, res.Errors)
		}
		after := env.MustGraphQL(t, key, counts, map[string]any{"id": conv})
		grew := int(testenv.Get(after, "conversation", "messages", "totalCount").(float64) - testenv.Get(before, "conversation", "messages", "totalCount").(float64))
		countGrew := int(testenv.Get(after, "conversation", "messageCount").(float64) - testenv.Get(before, "conversation", "messageCount").(float64))
		if len(res.Errors) > 0 {
			if grew != 0 || countGrew != 0 {
				t.Fatalf("a rejected append changed the conversation: %d messages, count +%d", grew, countGrew)
			}
			return
		}
		if grew != n || countGrew != n {
			t.Fatalf("an accepted append of %d stored %d messages, count +%d", n, grew, countGrew)
		}
	})
}

// docSelections are the pieces FuzzDocuments builds documents from: plain
// fields, fields that send SQL, lists, nested connections and transcripts.
var docSelections = []string{
	"__typename",
	"viewer { livemode organization { name } }",
	"conversations(first: %d) { totalCount edges { cursor node { id status agent { name } transcript { content } } } }",
	"agents(last: %d) { edges { node { name conversations(first: %d) { totalCount edges { node { messages(first: %d) { edges { node { content } } } } } } } } }",
	"participants(first: %d) { pageInfo { hasNextPage } }",
	"nodes(ids: [%q]) { id ... on Conversation { transcript { role } } }",
	"node(id: %q) { id ... on Agent { conversations(first: %d) { edges { node { participant { email } } } } } }",
}

// buildDocument turns fuzz input into a document of named fragments,
// aliases and nesting: fragments spread others (cycles included), aliases
// repeat selections, sizes and IDs come from the input.
func buildDocument(prog []byte, id string) string {
	next := func() int {
		if len(prog) == 0 {
			return 0
		}
		b := prog[0]
		prog = prog[1:]
		return int(b)
	}
	fragments := 1 + next()%8
	var b strings.Builder
	b.WriteString("query Fuzz { ...F0 }\n")
	for i := range fragments {
		fmt.Fprintf(&b, "fragment F%d on Query {", i)
		for n := 1 + next()%6; n > 0; n-- {
			switch op := next() % 4; op {
			case 0: // spread another fragment, maybe an earlier one (a cycle)
				fmt.Fprintf(&b, " ...F%d", next()%fragments)
			case 1: // an aliased selection
				fmt.Fprintf(&b, " a%d:", next()%4)
				fallthrough
			default:
				sel := docSelections[next()%len(docSelections)]
				var args []any
				for range strings.Count(sel, "%") {
					if strings.Contains(sel, "%q") && len(args) == 0 {
						args = append(args, id)
						continue
					}
					args = append(args, next()%130)
				}
				fmt.Fprintf(&b, " "+sel, args...)
			}
		}
		b.WriteString(" }\n")
	}
	return b.String()
}

// FuzzDocuments sends documents built of fragments, aliases and nesting.
// Whatever their shape, each is answered (within the client's timeout)
// with data or a caller-facing error: never a server failure, never a
// stuck core.
func FuzzDocuments(f *testing.F) {
	env := apitest.Start(f)
	if _, err := seed.Run(privacy.DecisionContext(context.Background(), privacy.Allow), env.Client, seed.Options{Organization: "Fuzz", Conversations: 12, Messages: 3}); err != nil {
		f.Fatal(err)
	}
	key := env.Key(f, "Fuzz", false)
	id := testenv.Get(env.MustGraphQL(f, key, `{ conversations(first: 1) { edges { node { id } } } }`, nil), "conversations", "edges", 0, "node", "id").(string)
	client := env.Server.Client()
	client.Timeout = 20 * time.Second
	for _, seedProg := range [][]byte{
		{0, 0, 1, 2},
		{7, 5, 0, 1, 0, 1, 0, 2, 0, 3, 0, 4},       // fragments spreading fragments
		{3, 5, 1, 0, 1, 1, 1, 2, 1, 3, 3, 2, 9, 9}, // aliases of SQL fields
		{1, 5, 2, 3, 100, 2, 6, 100, 40, 2, 5},     // nested connections and nodes
		bytes.Repeat([]byte{5, 0, 0}, 30),          // cycles
	} {
		f.Add(seedProg)
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		doc := buildDocument(prog, id)
		body, err := json.Marshal(map[string]any{"query": doc})
		if err != nil {
			t.Fatal(err)
		}
		res := testenv.Send(t, client, http.MethodPost, env.Server.URL+"/graphql", key, bytes.NewReader(body), http.Header{"Content-Type": {"application/json"}})
		var out struct {
			Errors []testenv.GraphQLError `json:"errors"`
		}
		if err := json.Unmarshal(res.Body, &out); err != nil || res.Status >= 500 {
			t.Fatalf("document:\n%s\nanswer: %s", doc, res)
		}
		for _, e := range out.Errors {
			switch e.Code() {
			case "invalid_request", "not_found", "budget_exceeded":
			default:
				t.Fatalf("document:\n%s\nerror %+v", doc, e)
			}
		}
	})
}
