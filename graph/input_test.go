package graph_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/testenv"
)

// An empty list written inline in the query clears pathTaken, exactly as
// the same value passed in a variable does.
func TestInlineEmptyPathTaken(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	agentID := newAgent(t, env, key, "Interviewer")
	const read = `query($id: ID!) { conversation(id: $id) { pathTaken sessionProperties } }`
	for name, update := range map[string]struct {
		query string
		vars  map[string]any
	}{
		"inline": {`mutation($id: ID!) { updateConversation(id: $id, input: {pathTaken: [], sessionProperties: {}}) { pathTaken sessionProperties } }`, nil},
		"variable": {`mutation($id: ID!, $path: JSONArray, $props: Map) { updateConversation(id: $id, input: {pathTaken: $path, sessionProperties: $props}) { pathTaken sessionProperties } }`,
			map[string]any{"path": []any{}, "props": map[string]any{}}},
	} {
		t.Run(name, func(t *testing.T) {
			data := env.MustGraphQL(t, key, startConversation, map[string]any{"input": map[string]any{
				"agentID": agentID, "pathTaken": []any{"greeting", "pricing"}, "sessionProperties": map[string]any{"locale": "en-US"},
			}})
			id := testenv.Get(data, "startConversation", "id").(string)
			vars := map[string]any{"id": id}
			for k, v := range update.vars {
				vars[k] = v
			}
			data = env.MustGraphQL(t, key, update.query, vars)
			for _, got := range []any{testenv.Get(data, "updateConversation"), testenv.Get(env.MustGraphQL(t, key, read, map[string]any{"id": id}), "conversation")} {
				if path, _ := testenv.Get(got, "pathTaken").([]any); path == nil || len(path) != 0 {
					t.Errorf("pathTaken = %v, want []", testenv.Get(got, "pathTaken"))
				}
				if props, _ := testenv.Get(got, "sessionProperties").(map[string]any); props == nil || len(props) != 0 {
					t.Errorf("sessionProperties = %v, want {}", testenv.Get(got, "sessionProperties"))
				}
			}
		})
	}
}

// A NUL character in any string input, JSON maps and arrays included, is
// refused with invalid_request naming the field, the same on both
// databases, and nothing is stored.
func TestNULCharactersAreRefused(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	agentID := newAgent(t, env, key, "Interviewer")
	convID := newConversation(t, env, key, agentID)
	const createParticipant = `mutation($input: CreateParticipantInput!) { createParticipant(input: $input) { id } }`
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"agent name", createAgent, map[string]any{"input": map[string]any{"name": "Inter\x00viewer"}}, "input.name"},
		{"agent name inline", `mutation { createAgent(input: {name: "Inter\u0000viewer"}) { id } }`, nil, "input.name"},
		{"agent goal on update", `mutation($id: ID!, $goal: String!) { updateAgent(id: $id, input: {goal: $goal}) { id } }`, map[string]any{"id": agentID, "goal": "\x00"}, "input.goal"},
		{"participant email", createParticipant, map[string]any{"input": map[string]any{"email": "ada\x00@example.com"}}, "input.email"},
		{"message content", appendMessages, map[string]any{"id": convID, "messages": []any{
			map[string]any{"role": "user", "content": "fine", "modality": "text"},
			map[string]any{"role": "user", "content": "bad\x00", "modality": "text"},
		}}, "messages[1].content"},
		{"session property value", startConversation, map[string]any{"input": map[string]any{"agentID": agentID, "sessionProperties": map[string]any{"note": map[string]any{"deep": []any{"ok", "\x00"}}}}}, "input.sessionProperties.note.deep[1]"},
		{"session property key", startConversation, map[string]any{"input": map[string]any{"agentID": agentID, "sessionProperties": map[string]any{"k\x00": 1}}}, "input.sessionProperties"},
		{"path taken", startConversation, map[string]any{"input": map[string]any{"agentID": agentID, "pathTaken": []any{"greeting", map[string]any{"step": "\x00"}}}}, "input.pathTaken[1].step"},
		{"path taken inline", `mutation($id: ID!) { updateConversation(id: $id, input: {appendPathTaken: ["\u0000"]}) { id } }`, map[string]any{"id": convID}, "input.appendPathTaken[0]"},
		{"connection code", startConversation, map[string]any{"input": map[string]any{"agentID": agentID, "connectionCode": "\x00"}}, "input.connectionCode"},
		{"filter of a read", `query($code: String!) { conversations(where: {connectionCode: $code}) { totalCount } }`, map[string]any{"code": "x\x00"}, "where.connectionCode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := onlyError(t, env.GraphQL(t, key, tc.query, tc.vars), "invalid_request")
			if !strings.HasPrefix(e.Message, tc.field+": ") || !strings.Contains(e.Message, "NUL") {
				t.Errorf("message %q does not name %s and the NUL character", e.Message, tc.field)
			}
		})
	}
	data := env.MustGraphQL(t, key, `query($id: ID!) { agents { totalCount } participants { totalCount } conversations { totalCount } conversation(id: $id) { messageCount pathTaken agent { goal } } }`, map[string]any{"id": convID})
	for counted, want := range map[string]float64{"agents": 1, "participants": 0, "conversations": 1} {
		if got := testenv.Get(data, counted, "totalCount"); got != want {
			t.Errorf("%s after refused writes: %v, want %v", counted, got, want)
		}
	}
	if c := testenv.Get(data, "conversation").(map[string]any); c["messageCount"] != float64(0) || len(c["pathTaken"].([]any)) != 0 || testenv.Get(c, "agent", "goal") != nil {
		t.Errorf("conversation after refused writes: %v", c)
	}
	if strings.Contains(env.Logs.String(), `"level":"ERROR"`) {
		t.Errorf("refused input was logged as a server error:\n%s", env.Logs.String())
	}
}
