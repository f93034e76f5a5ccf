package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/testenv"
)

// A server killed (SIGKILL) after committing changes, with their
// deliveries failed once or not attempted at all, leaves them to the next
// server on the database: each event arrives, with its own event id.
func TestWebhooksSurviveAKilledServer(t *testing.T) {
	url := testenv.DatabaseURL(t)
	key := strings.TrimSpace(runCLI(t, "apikey", "create", "--database-url", url, "--org", "Acme"))

	var mu sync.Mutex
	up := false
	delivered := map[string]int{} // event id -> 2xx answers
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !up {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		delivered[r.Header.Get("webhook-id")]++
	}))
	defer receiver.Close()

	addr := freeAddr(t)
	first, _ := serverProcess(t, url, addr)
	base := "http://" + addr
	call := func(method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode >= 300 {
			t.Fatalf("%s %s: HTTP %d %v (%v)", method, path, res.StatusCode, out, err)
		}
		return out
	}
	call("POST", "/v1/backend/webhooks", fmt.Sprintf(`{"url": %q, "event_types": ["conversation.started"]}`, receiver.URL))
	agent := call("POST", "/graphql", `{"query": "mutation { createAgent(input: {name: \"A\"}) { id } }"}`)["data"].(map[string]any)["createAgent"].(map[string]any)["id"].(string)
	start := func() {
		conv := call("POST", "/graphql", fmt.Sprintf(`{"query": "mutation { startConversation(input: {agentID: \"%s\"}) { id } }"}`, agent))["data"].(map[string]any)["startConversation"].(map[string]any)["id"].(string)
		call("POST", "/graphql", fmt.Sprintf(`{"query": "mutation { appendMessages(conversationID: \"%s\", messages: [{role: user, content: \"Hi\", modality: text}]) { conversation { id } } }"}`, conv))
	}
	start()
	// Its delivery fails once, and the queue has recorded that (an attempt
	// cut off by the kill would wait for River's rescue of stuck jobs,
	// over a minute): the retry is due in seconds.
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, "a first, failed attempt", func() bool {
		var n int
		err := db.SQL.QueryRow("SELECT count(*) FROM river_job WHERE state = 'retryable'").Scan(&n)
		return err == nil && n == 1
	})
	start() // committed just before the kill: maybe not even relayed
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	mu.Lock()
	up = true
	mu.Unlock()
	serverProcess(t, url, freeAddr(t))
	waitFor(t, "both events delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(delivered) == 2
	})
}
