package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/seed"
)

// The dashboard page of issue #13: 50 conversations with their agent,
// participant and whole transcript (about 800 messages, 170 KB).
const dashboardQuery = `{ conversations(first: 50) { edges { node { id status turnCount startedAt agent { id name } participant { id email firstName lastName } transcript { id role content createdAt modality } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`

// dashboard is a seeded server and the requests the benchmarks send
// straight to its handler (no listener, no HTTP client: what a request
// costs the server).
type dashboard struct {
	env        *apitest.Env
	key        string
	graphQL    []byte
	transcript string // a conversation with a typical transcript
}

func newDashboard(t testing.TB) *dashboard {
	t.Helper()
	env := apitest.Start(t)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	if _, err := seed.Run(ctx, env.Client, seed.Options{Organization: "Bench", Conversations: 64, Messages: 19, Seed: 13}); err != nil {
		t.Fatal(err)
	}
	d := &dashboard{env: env, key: env.Key(t, "Bench", false)}
	env.WarmKey(t, d.key)
	d.graphQL, _ = json.Marshal(map[string]string{"query": dashboardQuery})
	data := env.MustGraphQL(t, d.key, `{ conversations(first: 50) { edges { node { id messageCount } } } }`, nil)
	for _, e := range data["conversations"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		if n["messageCount"].(float64) >= 16 {
			d.transcript = n["id"].(string)
			break
		}
	}
	if d.transcript == "" {
		t.Fatal("no conversation with 16 messages or more")
	}
	return d
}

func (d *dashboard) request(method, target string, body []byte) *http.Request {
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(method, target, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.Header.Set("Authorization", "Bearer "+d.key)
	return req
}

// serve runs one request through the whole handler and fails on anything
// but a 200 without errors.
func (d *dashboard) serve(t testing.TB, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	d.env.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
		t.Fatalf("status %d: %.300s", rec.Code, rec.Body)
	}
	return rec
}

func (d *dashboard) graphQLRequest() *http.Request {
	return d.request(http.MethodPost, "/graphql", d.graphQL)
}

func (d *dashboard) listRequest() *http.Request {
	return d.request(http.MethodGet, "/v1/backend/conversations?limit=20", nil)
}

func (d *dashboard) transcriptRequest() *http.Request {
	return d.request(http.MethodGet, "/v1/backend/conversations/"+d.transcript+"/transcript", nil)
}

// BenchmarkDashboard measures issue #13's dashboard page through the real
// handler over a real database (SQLite, or TEST_DATABASE_URL), and the two
// REST reads beside it. B/op and allocs/op are the figures to compare: the
// time depends on whatever else the machine runs.
//
//	go test -run '^$' -bench Dashboard -benchmem -count 6 ./api/
func BenchmarkDashboard(b *testing.B) {
	d := newDashboard(b)
	cases := []struct {
		name string
		req  func() *http.Request
	}{
		{"graphql", d.graphQLRequest},
		{"rest-list", d.listRequest},
		{"rest-transcript", d.transcriptRequest},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			rec := d.serve(b, c.req())
			b.SetBytes(int64(rec.Body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				d.serve(b, c.req())
			}
		})
	}
}

// TestDashboardAllocations guards issue #13's budget: the dashboard page
// and the REST reads may not grow back. The bounds sit well above what the
// benchmark measures (README, Benchmarks), so only a real regression trips
// them.
func TestDashboardAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a database")
	}
	d := newDashboard(t)
	body := d.serve(t, d.graphQLRequest()).Body.String()
	t.Logf("dashboard page: %d bytes, %d messages", len(body), strings.Count(body, `"role"`))
	if n := strings.Count(body, `"role"`); n < 700 {
		t.Fatalf("the dashboard page holds %d messages, want about 800", n)
	}
	// The transcripts read the columns the page selects, not every one.
	d.env.Queries.Reset()
	d.serve(t, d.graphQLRequest())
	for _, st := range d.env.Queries.Statements() {
		if strings.Contains(st, `FROM "messages"`) && strings.Contains(st, "updated_at") {
			t.Errorf("the transcripts read columns the page does not select: %s", st)
		}
	}
	cases := []struct {
		name string
		req  func() *http.Request
		max  float64
	}{
		{"graphql", d.graphQLRequest, 70_000},
		{"rest-list", d.listRequest, 6_000},
		{"rest-transcript", d.transcriptRequest, 3_000},
	}
	for _, c := range cases {
		allocs := testing.AllocsPerRun(5, func() { d.serve(t, c.req()) })
		t.Logf("%s: %.0f allocations per request", c.name, allocs)
		if allocs > c.max {
			t.Errorf("%s: %.0f allocations per request, more than %.0f", c.name, allocs, c.max)
		}
	}
}
