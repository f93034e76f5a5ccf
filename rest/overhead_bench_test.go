package rest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/seed"
)

// BenchmarkRESTOverhead compares a REST list page with the GraphQL request
// it runs, over HTTP against the same data: the difference is what the REST
// adapter costs (parameter checks, decoding the GraphQL result, writing the
// REST body).
func BenchmarkRESTOverhead(b *testing.B) {
	env := apitest.Start(b)
	if _, err := seed.Run(privacy.DecisionContext(context.Background(), privacy.Allow), env.Client, seed.Options{Organization: "Bench", Conversations: 200, Messages: 6}); err != nil {
		b.Fatal(err)
	}
	key := env.Key(b, "Bench", false)
	env.WarmKey(b, key)
	const graphQL = `{"query":"query { page: conversations(first: 20, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node { id connection_code: connectionCode agent_id: agentID status started_at: startedAt completed_at: completedAt turn_count: turnCount participant_profile: participant { id email first_name: firstName last_name: lastName organization_name: organizationName organization_domain: organizationDomain avatar_image_url: avatarImageURL } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"}`

	do := func(b *testing.B, req func() *http.Request) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := env.Server.Client().Do(req())
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	}
	b.Run("rest", func(b *testing.B) {
		do(b, func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, env.Server.URL+"/v1/backend/conversations?limit=20", nil)
			req.Header.Set("Authorization", "Bearer "+key)
			return req
		})
	})
	b.Run("graphql", func(b *testing.B) {
		do(b, func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, env.Server.URL+"/graphql", strings.NewReader(graphQL))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			return req
		})
	})
}
