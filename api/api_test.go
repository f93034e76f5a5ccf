package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/testenv"
)

func fetch(t *testing.T, env *apitest.Env, path, key string, header map[string]string) (testenv.HTTPResponse, string) {
	t.Helper()
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	res := env.Send(t, http.MethodGet, key, path, nil, h)
	return res, string(res.Body)
}

// accessLogs returns the access log lines written so far.
func accessLogs(t *testing.T, env *apitest.Env) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(env.Logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		if line["msg"] == "request" {
			out = append(out, line)
		}
	}
	return out
}

func TestAccessLogAndRequestID(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)

	res, _ := fetch(t, env, "/v1/backend/conversations?limit=5", key, map[string]string{"X-Request-Id": "req-123"})
	if res.Status != http.StatusOK || res.Header.Get("X-Request-Id") != "req-123" {
		t.Fatalf("status %d, X-Request-Id %q", res.Status, res.Header.Get("X-Request-Id"))
	}
	res, _ = fetch(t, env, "/v1/backend/agents", key, map[string]string{"X-Request-Id": "bad id with spaces"})
	generated := res.Header.Get("X-Request-Id")
	if generated == "" || strings.Contains(generated, " ") {
		t.Fatalf("an unusable X-Request-Id was not replaced: %q", generated)
	}
	env.MustGraphQL(t, key, `query DashboardPage { conversations(first: 1) { edges { node { id } } } }`, nil)

	logs := accessLogs(t, env)
	if len(logs) != 3 {
		t.Fatalf("want 3 access log lines, got %d: %v", len(logs), logs)
	}
	first := logs[0]
	for field, want := range map[string]any{"request_id": "req-123", "method": "GET", "route": "/v1/backend/conversations", "status": float64(200)} {
		if first[field] != want {
			t.Errorf("log %s = %v, want %v", field, first[field], want)
		}
	}
	if org, _ := first["organization_id"].(string); len(org) != 36 {
		t.Errorf("log organization_id = %v", first["organization_id"])
	}
	if _, ok := first["duration_ms"].(float64); !ok {
		t.Errorf("log has no duration_ms: %v", first)
	}
	if logs[1]["request_id"] != generated {
		t.Errorf("log request_id = %v, want the generated %q", logs[1]["request_id"], generated)
	}
	if logs[2]["route"] != "/graphql" || logs[2]["operation"] != "DashboardPage" {
		t.Errorf("GraphQL log line = %v", logs[2])
	}
	if strings.Contains(env.Logs.String(), key) || strings.Contains(env.Logs.String(), key[len("sk_test_"):]) {
		t.Fatal("the logs contain the API key")
	}
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	env := apitest.Start(t)
	if _, err := seed.Run(context.Background(), env.Client, seed.Options{Organization: "Acme", Conversations: 30, Messages: 4}); err != nil {
		t.Fatal(err)
	}
	key := env.Key(t, "Acme", false)
	env.WarmKey(t, key)
	for _, path := range []string{"/healthz", "/readyz"} {
		if res, body := fetch(t, env, path, "", nil); res.Status != http.StatusOK || !strings.Contains(body, `"ok"`) {
			t.Fatalf("%s: %d %s", path, res.Status, body)
		}
	}
	before := env.MetricsText(t)
	fetch(t, env, "/v1/backend/conversations", key, nil)
	body := env.MetricsText(t)
	// API key, conversations page, participants: no COUNT(*).
	if got := metricValue(t, body, "parley_sql_statements_total") - metricValue(t, before, "parley_sql_statements_total"); got != 3 {
		t.Errorf("SQL statements for one REST list = %v, want 3", got)
	}
	for _, want := range []string{
		`parley_http_requests_total{method="GET",operation="RestListConversations",route="/v1/backend/conversations",status="200"} 1`,
		"parley_http_request_duration_seconds_bucket",
		"parley_rate_limited_total",
		`go_sql_max_open_connections{db_name="parley"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	env.Handler.Drain()
	if res, _ := fetch(t, env, "/readyz", "", nil); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while draining: %d, want 503", res.Status)
	}
	if res, _ := fetch(t, env, "/healthz", "", nil); res.Status != http.StatusOK {
		t.Fatalf("/healthz while draining: %d, want 200", res.Status)
	}
}

func TestUnknownPathsGetTheEnvelope(t *testing.T) {
	env := apitest.Start(t)
	res, body := fetch(t, env, "/nope", "", nil)
	if res.Status != http.StatusNotFound || !strings.Contains(body, `"code":"not_found"`) || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("/nope: %d %q %s", res.Status, res.Header.Get("Content-Type"), body)
	}
}

func metricValue(t *testing.T, body, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestOpenAPIDocument(t *testing.T) {
	env := apitest.Start(t)
	res, body := fetch(t, env, "/v1/backend/openapi.json", "", nil)
	if res.Status != http.StatusOK || !strings.Contains(body, `"openapi": "3.1`) && !strings.Contains(body, `"openapi":"3.1`) {
		t.Fatalf("GET openapi.json without a key: %d %.80s", res.Status, body)
	}
	req, _ := http.NewRequest(http.MethodPost, env.Server.URL+"/v1/backend/openapi.json", nil)
	post, err := env.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed || post.Header.Get("Allow") == "" {
		t.Fatalf("POST openapi.json: %d, Allow %q", post.StatusCode, post.Header.Get("Allow"))
	}
}

// By default the public handler has no /metrics (operation names in it are
// chosen by callers, so a tenant could read another's), but still records
// them for the internal listener.
func TestMetricsNotPublicByDefault(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	env.MustGraphQL(t, key, `query SecretLaunchPlan { viewer { livemode } }`, nil)
	res, body := fetch(t, env, "/metrics", "", nil)
	if res.Status != http.StatusNotFound || !strings.Contains(body, `"not_found"`) || strings.Contains(body, "SecretLaunchPlan") {
		t.Fatalf("/metrics on the public handler: %d %s, want the 404 envelope", res.Status, body)
	}
	if res, body := fetch(t, env, "/metrics", key, nil); res.Status != http.StatusNotFound {
		t.Fatalf("/metrics with a key on the public handler: %d %s, want 404", res.Status, body)
	}
	if want := `operation="SecretLaunchPlan",route="/graphql",status="200"} 1`; !strings.Contains(env.MetricsText(t), want) {
		t.Fatalf("the metrics handler lacks %q", want)
	}
}

// MetricsPublic (serve --metrics-public) puts /metrics on the public
// handler too, as an explicit choice.
func TestMetricsPublic(t *testing.T) {
	env := apitest.StartWith(t, func(cfg *api.Config) { cfg.MetricsPublic = true })
	fetch(t, env, "/healthz", "", nil)
	res, body := fetch(t, env, "/metrics", "", nil)
	if want := `parley_http_requests_total{method="GET",operation="",route="/healthz",status="200"} 1`; res.Status != http.StatusOK || !strings.Contains(body, want) {
		t.Fatalf("/metrics with MetricsPublic: %d, lacks %q", res.Status, want)
	}
}
