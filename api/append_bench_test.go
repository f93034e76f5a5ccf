package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/testenv"
)

// BenchmarkAppendMessages is the cost of the appendMessages mutation (one
// message, the transaction with its change record included) through the
// whole handler, for the outbox's cost on writes.
func BenchmarkAppendMessages(b *testing.B) {
	env := apitest.Start(b)
	key := env.Key(b, "Bench", false)
	env.WarmKey(b, key)
	agent := testenv.Get(env.MustGraphQL(b, key, `mutation { createAgent(input: {name: "A"}) { id } }`, nil), "createAgent", "id")
	conv := testenv.Get(env.MustGraphQL(b, key, `mutation($a: ID!) { startConversation(input: {agentID: $a}) { id } }`, map[string]any{"a": agent}), "startConversation", "id")
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($c: ID!) { appendMessages(conversationID: $c, messages: [{role: user, content: "An answer of ordinary length, a sentence or two.", modality: text}]) { conversation { messageCount } } }`,
		"variables": map[string]any{"c": conv},
	})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		env.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("HTTP %d %s", rec.Code, rec.Body)
		}
	}
}
