package graph_test

import (
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
