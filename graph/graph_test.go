package graph_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/testenv"
)

const createAgent = `mutation($input: CreateAgentInput!) { createAgent(input: $input) { id name availableModes defaultMode livemode } }`

const startConversation = `mutation($input: CreateConversationInput!) {
  startConversation(input: $input) { id status connectionCode startedAt completedAt turnCount sessionProperties pathTaken agent { id } participant { id } }
}`

const appendMessages = `mutation($id: ID!, $messages: [AppendMessageInput!]!) {
  appendMessages(conversationID: $id, messages: $messages) {
    conversation { id status turnCount messageCount startedAt }
    messages { id position role content modality createdAt }
  }
}`

const setStatus = `mutation($id: ID!, $status: ConversationStatus!) { setConversationStatus(id: $id, status: $status) { id status startedAt completedAt } }`

// newAgent creates an agent through the API and returns its ID.
func newAgent(t testing.TB, env *apitest.Env, key, name string) string {
	t.Helper()
	data := env.MustGraphQL(t, key, createAgent, map[string]any{"input": map[string]any{"name": name, "availableModes": []string{"voice", "text"}, "defaultMode": "voice"}})
	return testenv.Get(data, "createAgent", "id").(string)
}

func newConversation(t testing.TB, env *apitest.Env, key, agentID string) string {
	t.Helper()
	data := env.MustGraphQL(t, key, startConversation, map[string]any{"input": map[string]any{"agentID": agentID}})
	return testenv.Get(data, "startConversation", "id").(string)
}

func onlyError(t *testing.T, res testenv.Response, code string) testenv.GraphQLError {
	t.Helper()
	if len(res.Errors) != 1 {
		t.Fatalf("want one %s error, got %d: %+v", code, len(res.Errors), res.Errors)
	}
	if got := res.Errors[0].Code(); got != code {
		t.Fatalf("error code = %q, want %q (message %q)", got, code, res.Errors[0].Message)
	}
	return res.Errors[0]
}

func TestAuthentication(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	const q = `{ viewer { livemode organization { name } } }`

	for name, k := range map[string]string{
		"missing":           "",
		"malformed":         "not-a-key",
		"unknown":           "sk_test_" + strings.Repeat("x", 32),
		"wrong mode prefix": "sk_live_" + key[len("sk_test_"):],
	} {
		t.Run(name, func(t *testing.T) {
			res := env.GraphQL(t, k, q, nil)
			if res.Status != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", res.Status)
			}
			onlyError(t, res, "unauthorized")
		})
	}

	data := env.MustGraphQL(t, key, q, nil)
	if got := testenv.Get(data, "viewer", "organization", "name"); got != "Acme" {
		t.Fatalf("viewer organization = %v", got)
	}
	if got := testenv.Get(data, "viewer", "livemode"); got != false {
		t.Fatalf("viewer livemode = %v, want false for a test key", got)
	}
	live := env.Key(t, "Acme", true)
	if got := testenv.Get(env.MustGraphQL(t, live, q, nil), "viewer", "livemode"); got != true {
		t.Fatalf("viewer livemode = %v, want true for a live key", got)
	}
}

func TestAgentAndParticipantMutations(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)

	data := env.MustGraphQL(t, key, createAgent, map[string]any{"input": map[string]any{
		"name": "Churn interviewer", "availableModes": []string{"voice"}, "defaultMode": "voice",
	}})
	agent := testenv.Get(data, "createAgent").(map[string]any)
	if agent["name"] != "Churn interviewer" || agent["defaultMode"] != "voice" || agent["livemode"] != false {
		t.Fatalf("created agent = %v", agent)
	}
	id := agent["id"].(string)

	data = env.MustGraphQL(t, key, `mutation($id: ID!) { updateAgent(id: $id, input: {goal: "Learn why customers leave", availableModes: ["voice", "text"]}) { goal availableModes } }`, map[string]any{"id": id})
	if got := testenv.Get(data, "updateAgent", "goal"); got != "Learn why customers leave" {
		t.Fatalf("goal = %v", got)
	}

	// Invalid fields are rejected with invalid_request and write nothing.
	for name, input := range map[string]map[string]any{
		"empty name":          {"name": ""},
		"unknown mode":        {"name": "x", "availableModes": []string{"telepathy"}},
		"default not offered": {"name": "x", "availableModes": []string{"text"}, "defaultMode": "voice"},
		"duplicate mode":      {"name": "x", "availableModes": []string{"text", "text"}},
	} {
		t.Run(name, func(t *testing.T) {
			onlyError(t, env.GraphQL(t, key, createAgent, map[string]any{"input": input}), "invalid_request")
		})
	}
	res := env.GraphQL(t, key, `{ agents { totalCount } }`, nil)
	if got := testenv.Get(res.Data, "agents", "totalCount"); got != float64(1) {
		t.Fatalf("agents after rejected writes = %v, want 1", got)
	}

	const createParticipant = `mutation($input: CreateParticipantInput!) { createParticipant(input: $input) { id email firstName organizationDomain } }`
	data = env.MustGraphQL(t, key, createParticipant, map[string]any{"input": map[string]any{"email": "ada@example.com", "firstName": "Ada", "organizationDomain": "example.com"}})
	pid := testenv.Get(data, "createParticipant", "id").(string)
	onlyError(t, env.GraphQL(t, key, createParticipant, map[string]any{"input": map[string]any{"email": "not an email"}}), "invalid_request")
	onlyError(t, env.GraphQL(t, key, createParticipant, map[string]any{"input": map[string]any{"avatarImageURL": "javascript:alert(1)"}}), "invalid_request")
	data = env.MustGraphQL(t, key, `mutation($id: ID!) { updateParticipant(id: $id, input: {lastName: "Lovelace", clearEmail: true}) { email lastName } }`, map[string]any{"id": pid})
	if p := testenv.Get(data, "updateParticipant").(map[string]any); p["email"] != nil || p["lastName"] != "Lovelace" {
		t.Fatalf("updated participant = %v", p)
	}

	// Unknown IDs are not_found.
	onlyError(t, env.GraphQL(t, key, `mutation { updateAgent(id: "01a211a5-6cfe-8348-a21c-3a059d71ba27", input: {name: "x"}) { id } }`, nil), "not_found")
	onlyError(t, env.GraphQL(t, key, `mutation { updateAgent(id: "nope", input: {name: "x"}) { id } }`, nil), "invalid_request")
}

func TestConversationLifecycle(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	agentID := newAgent(t, env, key, "Interviewer")

	data := env.MustGraphQL(t, key, startConversation, map[string]any{"input": map[string]any{
		"agentID": agentID, "sessionProperties": map[string]any{"locale": "en-US"}, "pathTaken": []any{"greeting"},
	}})
	conv := testenv.Get(data, "startConversation").(map[string]any)
	id := conv["id"].(string)
	if conv["status"] != "pending" || conv["startedAt"] != nil || conv["turnCount"] != float64(0) {
		t.Fatalf("new conversation = %v", conv)
	}
	if code, _ := conv["connectionCode"].(string); len(code) != 8 || code[3] != '-' {
		t.Fatalf("connection code = %q, want a generated code like K7Q-M2XD", conv["connectionCode"])
	}
	if testenv.Get(conv, "sessionProperties", "locale") != "en-US" || testenv.Get(conv, "pathTaken", 0) != "greeting" {
		t.Fatalf("session properties and path not stored: %v", conv)
	}

	// Illegal transitions are rejected and change nothing.
	onlyError(t, env.GraphQL(t, key, setStatus, map[string]any{"id": id, "status": "completed"}), "invalid_request")

	// The first message starts a pending conversation; system messages are
	// not turns; messages sharing a timestamp keep the order given.
	at := "2026-01-02T03:04:05Z"
	data = env.MustGraphQL(t, key, appendMessages, map[string]any{"id": id, "messages": []any{
		map[string]any{"role": "system", "content": "You are a friendly interviewer.", "modality": "text", "createdAt": at},
		map[string]any{"role": "assistant", "content": "Hello!", "modality": "voice", "createdAt": at},
		map[string]any{"role": "user", "content": "Hi.", "modality": "voice", "createdAt": at},
	}})
	got := testenv.Get(data, "appendMessages", "conversation").(map[string]any)
	if got["status"] != "in_progress" || got["turnCount"] != float64(2) || got["messageCount"] != float64(3) || got["startedAt"] != at {
		t.Fatalf("conversation after first append = %v", got)
	}
	data = env.MustGraphQL(t, key, appendMessages, map[string]any{"id": id, "messages": []any{
		map[string]any{"role": "assistant", "content": "What brings you here?", "modality": "voice"},
	}})
	if got := testenv.Get(data, "appendMessages", "messages", 0, "position"); got != float64(4) {
		t.Fatalf("position of the fourth message = %v", got)
	}

	// A rejected append writes nothing at all.
	res := env.GraphQL(t, key, appendMessages, map[string]any{"id": id, "messages": []any{
		map[string]any{"role": "user", "content": "fine", "modality": "text"},
		map[string]any{"role": "user", "content": "", "modality": "text"},
	}})
	onlyError(t, res, "invalid_request")
	onlyError(t, env.GraphQL(t, key, appendMessages, map[string]any{"id": id, "messages": []any{}}), "invalid_request")

	data = env.MustGraphQL(t, key, `query($id: ID!) { conversation(id: $id) { turnCount transcript { position role content } messages(first: 10) { totalCount edges { node { position } } } } }`, map[string]any{"id": id})
	transcript := testenv.Get(data, "conversation", "transcript").([]any)
	wantRoles := []string{"system", "assistant", "user", "assistant"}
	if len(transcript) != len(wantRoles) {
		t.Fatalf("transcript has %d messages, want %d: %v", len(transcript), len(wantRoles), transcript)
	}
	for i, m := range transcript {
		if testenv.Get(m, "position") != float64(i+1) || testenv.Get(m, "role") != wantRoles[i] {
			t.Fatalf("transcript[%d] = %v", i, m)
		}
	}
	if testenv.Get(data, "conversation", "turnCount") != float64(3) || testenv.Get(data, "conversation", "messages", "totalCount") != float64(4) {
		t.Fatalf("counts after a rejected append: %v", data)
	}

	data = env.MustGraphQL(t, key, setStatus, map[string]any{"id": id, "status": "completed"})
	if testenv.Get(data, "setConversationStatus", "completedAt") == nil {
		t.Fatalf("completing did not set completedAt: %v", data)
	}
	onlyError(t, env.GraphQL(t, key, appendMessages, map[string]any{"id": id, "messages": []any{map[string]any{"role": "user", "content": "late", "modality": "text"}}}), "invalid_request")
	onlyError(t, env.GraphQL(t, key, setStatus, map[string]any{"id": id, "status": "in_progress"}), "invalid_request")
	env.MustGraphQL(t, key, setStatus, map[string]any{"id": id, "status": "archived"})
	onlyError(t, env.GraphQL(t, key, setStatus, map[string]any{"id": id, "status": "archived"}), "invalid_request")

	data = env.MustGraphQL(t, key, `mutation($id: ID!) { updateConversation(id: $id, input: {connectionCode: "ROOM-42", appendPathTaken: ["wrap_up"]}) { connectionCode pathTaken } }`, map[string]any{"id": id})
	if testenv.Get(data, "updateConversation", "connectionCode") != "ROOM-42" || len(testenv.Get(data, "updateConversation", "pathTaken").([]any)) != 2 {
		t.Fatalf("updateConversation = %v", data)
	}
}

func TestErrorsHideInternals(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	res := env.GraphQL(t, key, `{ conversations(first: 1000) { totalCount } }`, nil)
	onlyError(t, res, "invalid_request")
	res = env.GraphQL(t, key, `{ conversations(first: 1, last: 1) { totalCount } }`, nil)
	onlyError(t, res, "invalid_request")
	res = env.GraphQL(t, key, `{ conversations(after: "garbage") { totalCount } }`, nil)
	onlyError(t, res, "invalid_request")
	res = env.GraphQL(t, key, `{ nope }`, nil)
	if len(res.Errors) == 0 || res.Errors[0].Code() != "invalid_request" {
		t.Fatalf("unknown field: %+v", res.Errors)
	}
	for _, e := range res.Errors {
		if strings.Contains(strings.ToLower(e.Message), "sql") || strings.Contains(e.Message, "ent:") {
			t.Fatalf("error leaks internals: %q", e.Message)
		}
	}
}

// A body that is not a GraphQL request is the caller's mistake: 4xx with
// invalid_request, and nothing logged as a server failure.
func TestMalformedRequestBodies(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	for _, body := range []string{`{`, `[]`, `{"query": 5}`, `{"query":"{ viewer { livemode } }","variables":"x"}`, `not json`} {
		res := env.Send(t, http.MethodPost, key, "/graphql", strings.NewReader(body), http.Header{"Content-Type": {"application/json"}})
		var out struct {
			Errors []testenv.GraphQLError `json:"errors"`
		}
		err := json.Unmarshal(res.Body, &out)
		if err != nil || res.Status < 400 || res.Status >= 500 || len(out.Errors) == 0 || out.Errors[0].Code() != "invalid_request" {
			t.Errorf("body %q: status %d, errors %+v, decode error %v", body, res.Status, out.Errors, err)
		}
	}
	if strings.Contains(env.Logs.String(), `"level":"ERROR"`) {
		t.Fatalf("malformed bodies were logged as server errors:\n%s", env.Logs.String())
	}
}

// An empty object nested in not/and/or is a mistake in the request, not a
// server failure; an empty top-level where is no filter at all.
func TestEmptyNestedWhereIsInvalid(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	for _, where := range []string{`{or: [{}]}`, `{and: [{}, {status: pending}]}`, `{not: {}}`, `{hasMessagesWith: [{or: [{}]}]}`} {
		res := env.GraphQL(t, key, `{ conversations(where: `+where+`) { edges { node { id } } } }`, nil)
		if e := onlyError(t, res, "invalid_request"); !strings.Contains(e.Message, "at least one condition") {
			t.Errorf("where %s: message %q does not say what is wrong", where, e.Message)
		}
	}
	env.MustGraphQL(t, key, `{ conversations(where: {}) { edges { node { id } } } }`, nil)
}
