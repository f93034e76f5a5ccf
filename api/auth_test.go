package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/testenv"
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

// REST requests refused before routing (no key: 401; key lookup failing:
// 503) are logged and counted under their route template.
func TestRefusedRESTRequestsNameTheirRoute(t *testing.T) {
	faults := &testenv.Faults{}
	env := apitest.StartOn(t, testenv.Open(t, database.WithDriver(faults.Wrap)), nil)
	key := env.Key(t, "Acme", false)
	const id = "01a211a5-6cfe-8348-a21c-3a059d71ba27"

	if res := env.Send(t, http.MethodGet, "", "/v1/backend/conversations/"+id+"/transcript", nil, nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("no key: %s", res)
	}
	faults.OnStatement(func(context.Context, string, dialect.ExecQuerier) error {
		return errors.New("connection refused")
	})
	if res := env.Send(t, http.MethodGet, key, "/v1/backend/agents/"+id, nil, nil); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("key lookup failing: %s", res)
	}
	faults.OnStatement(nil)
	if res := env.Send(t, http.MethodGet, "", "/v1/backend/nope", nil, nil); res.Status != http.StatusUnauthorized {
		t.Fatalf("unknown path without a key: %s", res)
	}

	logs := accessLogs(t, env)
	want := []string{"/v1/backend/conversations/{id}/transcript", "/v1/backend/agents/{id}", "unmatched"}
	if len(logs) != len(want) {
		t.Fatalf("want %d access log lines, got %v", len(want), logs)
	}
	for i, route := range want {
		if logs[i]["route"] != route {
			t.Errorf("request %d logged under route %v, want %q", i, logs[i]["route"], route)
		}
	}
	metrics := env.MetricsText(t)
	for _, line := range []string{
		`parley_http_requests_total{method="GET",operation="",route="/v1/backend/conversations/{id}/transcript",status="401"} 1`,
		`parley_http_requests_total{method="GET",operation="",route="/v1/backend/agents/{id}",status="503"} 1`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}
