package api_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/ratelimit"
)

func TestRateLimitPerKey(t *testing.T) {
	env := apitest.StartWith(t, func(c *api.Config) { c.RateLimit = ratelimit.New(0.001, 3) })
	key, other := env.Key(t, "Acme", false), env.Key(t, "Acme", false)
	for i := range 3 {
		if res, body := fetch(t, env, "/v1/backend/agents", key, nil); res.Status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, res.Status, body)
		}
	}
	res, body := fetch(t, env, "/v1/backend/agents", key, nil)
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(body, `"code":"rate_limited"`) {
		t.Fatalf("4th request: %d Retry-After=%q %s", res.Status, res.Header.Get("Retry-After"), body)
	}
	gql := env.GraphQL(t, key, `{ viewer { livemode } }`, nil)
	if gql.Status != http.StatusTooManyRequests || len(gql.Errors) != 1 || gql.Errors[0].Code() != "rate_limited" {
		t.Fatalf("GraphQL over the limit: %d %+v", gql.Status, gql.Errors)
	}
	if res, _ := fetch(t, env, "/v1/backend/agents", other, nil); res.Status != http.StatusOK {
		t.Fatalf("another key of the same organization was limited: %d", res.Status)
	}
	if !strings.Contains(env.MetricsText(t), "parley_rate_limited_total 2") {
		t.Fatal("rate-limit rejections are not counted in /metrics")
	}
}

func TestBodyLimit(t *testing.T) {
	env := apitest.StartWith(t, func(c *api.Config) { c.MaxBodyBytes = 1024 })
	key := env.Key(t, "Acme", false)
	query := `{"query":"{ viewer { livemode } }","variables":{"pad":"` + strings.Repeat("x", 2000) + `"}}`

	post := func(body io.Reader, length int64) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodPost, env.Server.URL+"/graphql", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := env.Server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for name, length := range map[string]int64{"declared length": int64(len(query)), "chunked": -1} {
		res, body := post(strings.NewReader(query), length)
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"code":"payload_too_large"`) {
			t.Errorf("%s: %d %s", name, res.StatusCode, body)
		}
	}
	small := `{"query":"{ viewer { livemode } }"}`
	if res, body := post(io.MultiReader(bytes.NewReader([]byte(small))), -1); res.StatusCode != http.StatusOK {
		t.Fatalf("a small chunked body: %d %s", res.StatusCode, body)
	}
}
