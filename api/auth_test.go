package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
)

// A request with two Authorization headers is refused by both APIs, even
// when the first (or both) would be valid: which one a proxy or a client
// library honours differs, so neither may be guessed.
func TestTwoAuthorizationHeaders(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	other := env.Key(t, "Other", false)
	for name, values := range map[string][]string{
		"valid then other tenant": {"Bearer " + key, "Bearer " + other},
		"valid twice":             {"Bearer " + key, "Bearer " + key},
		"valid then garbage":      {"Bearer " + key, "Basic eDp5"},
	} {
		t.Run(name, func(t *testing.T) {
			header := http.Header{"Authorization": values}
			rest := env.Send(t, http.MethodGet, "", "/v1/backend/agents", nil, header)
			var envelope struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rest.Body, &envelope); err != nil || rest.Status != http.StatusUnauthorized || envelope.Error.Code != "unauthorized" || !strings.Contains(envelope.Error.Message, "exactly one") {
				t.Errorf("REST: %s", rest)
			}

			header.Set("Content-Type", "application/json")
			gql := env.Send(t, http.MethodPost, "", "/graphql", strings.NewReader(`{"query":"{ viewer { livemode } }"}`), header)
			var out struct {
				Data   any `json:"data"`
				Errors []struct {
					Message    string         `json:"message"`
					Extensions map[string]any `json:"extensions"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(gql.Body, &out); err != nil || gql.Status != http.StatusUnauthorized || out.Data != nil ||
				len(out.Errors) != 1 || out.Errors[0].Extensions["code"] != "unauthorized" || !strings.Contains(out.Errors[0].Message, "exactly one") {
				t.Errorf("GraphQL: %s", gql)
			}
		})
	}
	// One header still works.
	if res := env.Send(t, http.MethodGet, key, "/v1/backend/agents", nil, nil); res.Status != http.StatusOK {
		t.Fatalf("one header: %s", res)
	}
}
