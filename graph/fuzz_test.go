package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

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
		const counts = `query($id: ID!) { conversation(id: $id) { messageCount turnCount transcript { id } } }`
		before := env.MustGraphQL(t, key, counts, map[string]any{"id": conv})
		res := env.GraphQL(t, key, appendMessages, map[string]any{"id": conv, "messages": msgs})
		if !acceptable(res) || (res.Status != http.StatusOK && res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusBadRequest) {
			t.Fatalf("append %d x (%q, %q, %q, %q): status %d errors %+v", n, role, content, modality, createdAt, res.Status, res.Errors)
		}
		after := env.MustGraphQL(t, key, counts, map[string]any{"id": conv})
		grew := len(testenv.Get(after, "conversation", "transcript").([]any)) - len(testenv.Get(before, "conversation", "transcript").([]any))
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
