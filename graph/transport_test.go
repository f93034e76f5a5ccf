package graph_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/testenv"
)

// Every refusal of gqlgen's transports reaches the caller through the
// error presenter: a GraphQL error body with extensions.code, never the
// request body echoed back.
func TestTransportErrorsHaveCodes(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	const secret = "s3cr3t-in-the-body"
	get := func(query string) string { return "/graphql?" + query }
	for _, tc := range []struct {
		name, method, target, contentType, body string
		status                                  int
		code, allow                             string
	}{
		{"mutation over GET", http.MethodGet, get("query=" + url.QueryEscape(`mutation { __typename }`)), "", "", http.StatusMethodNotAllowed, "method_not_allowed", "POST"},
		{"named mutation over GET", http.MethodGet, get("operationName=M&query=" + url.QueryEscape(`query Q { __typename } mutation M { createAgent(input: {name: "x"}) { id } }`)), "", "", http.StatusMethodNotAllowed, "method_not_allowed", "POST"},
		{"query string that does not parse", http.MethodGet, get("query=%zz"), "", "", http.StatusBadRequest, "invalid_request", ""},
		{"variables that are not JSON", http.MethodGet, get("query=" + url.QueryEscape(`{ __typename }`) + "&variables=" + secret), "", "", http.StatusBadRequest, "invalid_request", ""},
		{"extensions that are not JSON", http.MethodGet, get("query=" + url.QueryEscape(`{ __typename }`) + "&extensions=" + secret), "", "", http.StatusBadRequest, "invalid_request", ""},
		{"POST as text/plain", http.MethodPost, "/graphql", "text/plain", `{"query":"{ __typename }"}`, http.StatusUnsupportedMediaType, "invalid_request", ""},
		{"POST without a content type", http.MethodPost, "/graphql", "", `{"query":"{ __typename }"}`, http.StatusUnsupportedMediaType, "invalid_request", ""},
		{"PUT", http.MethodPut, "/graphql", "application/json", `{"query":"{ __typename }"}`, http.StatusMethodNotAllowed, "method_not_allowed", "GET, POST, OPTIONS"},
		{"DELETE", http.MethodDelete, "/graphql", "", "", http.StatusMethodNotAllowed, "method_not_allowed", "GET, POST, OPTIONS"},
		{"body that is not JSON", http.MethodPost, "/graphql", "application/json", "not json " + secret, http.StatusBadRequest, "invalid_request", ""},
		{"body cut short", http.MethodPost, "/graphql", "application/json", `{"query": "{ viewer { livemode } }", "variables": {"x": "` + secret, http.StatusBadRequest, "invalid_request", ""},
		{"query of the wrong type", http.MethodPost, "/graphql", "application/json", `{"query": ["` + secret + `"]}`, http.StatusBadRequest, "invalid_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := http.Header{}
			if tc.contentType != "" {
				header.Set("Content-Type", tc.contentType)
			}
			var body *strings.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			var res testenv.HTTPResponse
			if body != nil {
				res = env.Send(t, tc.method, key, tc.target, body, header)
			} else {
				res = env.Send(t, tc.method, key, tc.target, nil, header)
			}
			var out struct {
				Errors []testenv.GraphQLError `json:"errors"`
			}
			if err := json.Unmarshal(res.Body, &out); err != nil || len(out.Errors) != 1 {
				t.Fatalf("not one GraphQL error: %s", res)
			}
			if res.Status != tc.status || out.Errors[0].Code() != tc.code {
				t.Errorf("status %d, code %q; want %d, %q: %s", res.Status, out.Errors[0].Code(), tc.status, tc.code, res)
			}
			if got := res.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if strings.Contains(string(res.Body), secret) || strings.Contains(string(res.Body), "RawParams") {
				t.Errorf("the answer echoes the request or Go internals: %s", res)
			}
		})
	}
	if strings.Contains(env.Logs.String(), `"level":"ERROR"`) {
		t.Fatalf("refused requests were logged as server errors:\n%s", env.Logs.String())
	}
	// Nothing was created by the mutations sent over GET.
	if got := testenv.Get(env.MustGraphQL(t, key, `{ agents { totalCount } }`, nil), "agents", "totalCount"); got != float64(0) {
		t.Fatalf("agents after refused mutations = %v", got)
	}
}

// A validation failure names the GraphQL field as callers write it and says
// what is wrong, without ent's text.
func TestValidationMessagesNameGraphQLFields(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	agentID := newAgent(t, env, key, "Interviewer")
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"empty agent name", createAgent, map[string]any{"input": map[string]any{"name": ""}}, "name: is too short"},
		{"agent name too long", `mutation($id: ID!, $name: String!) { updateAgent(id: $id, input: {name: $name}) { id } }`, map[string]any{"id": agentID, "name": long}, "name: is too long"},
		{"avatar URL", `mutation($input: CreateParticipantInput!) { createParticipant(input: $input) { id } }`, map[string]any{"input": map[string]any{"avatarImageURL": "ftp://example.com/a.png"}}, `avatarImageURL: "ftp://example.com/a.png" is not an http(s) URL`},
		{"organization domain too long", `mutation($input: CreateParticipantInput!) { createParticipant(input: $input) { id } }`, map[string]any{"input": map[string]any{"organizationDomain": long}}, "organizationDomain: is too long"},
		{"connection code too long", startConversation, map[string]any{"input": map[string]any{"agentID": agentID, "connectionCode": long}}, "connectionCode: is too long"},
		{"message too long", appendMessages, map[string]any{"id": newConversation(t, env, key, agentID), "messages": []any{
			map[string]any{"role": "user", "content": "fine", "modality": "text"},
			map[string]any{"role": "user", "content": strings.Repeat("y", 100_001), "modality": "text"},
		}}, "messages[1].content: is too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := onlyError(t, env.GraphQL(t, key, tc.query, tc.vars), "invalid_request")
			if e.Message != tc.want {
				t.Errorf("message %q, want %q", e.Message, tc.want)
			}
		})
	}
}
