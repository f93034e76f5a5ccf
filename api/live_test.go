package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/parleyhq/parley/api/apitest"
)

// wsClient speaks graphql-transport-ws, as npm's graphql-ws client does.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
	ctx  context.Context
	// held are messages read while waiting for another operation's.
	held []wsMessage
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dial opens a socket to env's /graphql and sends connection_init with
// payload; it does not wait for the ack.
func dial(t testing.TB, env *apitest.Env, payload any) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, strings.Replace(env.Server.URL, "http", "ws", 1)+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
	})
	if err != nil {
		t.Fatalf("dialing: %v", err)
	}
	conn.SetReadLimit(64 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsClient{t: t, conn: conn, ctx: ctx}
	c.send(wsMessage{Type: "connection_init", Payload: mustJSON(t, payload)})
	return c
}

// connect is dial with key, waiting for connection_ack.
func connect(t testing.TB, env *apitest.Env, key string) *wsClient {
	t.Helper()
	c := dial(t, env, map[string]string{"Authorization": "Bearer " + key})
	if m := c.read(); m.Type != "connection_ack" {
		t.Fatalf("got %s %s, want connection_ack", m.Type, m.Payload)
	}
	return c
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	if err := wsjson.Write(c.ctx, c.conn, m); err != nil {
		c.t.Fatalf("writing %s: %v", m.Type, err)
	}
}

// read returns the next message that is not a ping (answered).
func (c *wsClient) read() wsMessage {
	c.t.Helper()
	for {
		var m wsMessage
		if err := wsjson.Read(c.ctx, c.conn, &m); err != nil {
			c.t.Fatalf("reading: %v", err)
		}
		if m.Type == "ping" {
			c.send(wsMessage{Type: "pong"})
			continue
		}
		return m
	}
}

// closeStatus reads until the server closes the socket and returns its code.
func (c *wsClient) closeStatus() (websocket.StatusCode, string) {
	c.t.Helper()
	for {
		_, _, err := c.conn.Read(c.ctx)
		if err != nil {
			var ce websocket.CloseError
			if !asCloseError(err, &ce) {
				c.t.Fatalf("reading until close: %v", err)
			}
			return ce.Code, ce.Reason
		}
	}
}

func asCloseError(err error, ce *websocket.CloseError) bool {
	code := websocket.CloseStatus(err)
	if code == -1 {
		return false
	}
	*ce = websocket.CloseError{Code: code, Reason: err.Error()}
	return true
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: mustJSON(c.t, map[string]any{"query": query, "variables": vars})})
}

// readFor returns the next message of operation id, holding back those
// of other operations for their own readers.
func (c *wsClient) readFor(id string) wsMessage {
	c.t.Helper()
	for i, m := range c.held {
		if m.ID == id {
			c.held = append(c.held[:i], c.held[i+1:]...)
			return m
		}
	}
	for {
		m := c.read()
		if m.ID == id {
			return m
		}
		c.held = append(c.held, m)
	}
}

// next reads the next message of id, which must be a next, and returns
// its payload's data.
func (c *wsClient) next(id string) map[string]any {
	c.t.Helper()
	m := c.readFor(id)
	if m.Type != "next" || m.ID != id {
		c.t.Fatalf("got %s (id %q) %s, want next for %s", m.Type, m.ID, m.Payload, id)
	}
	var p struct {
		Data   map[string]any    `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		c.t.Fatal(err)
	}
	if len(p.Errors) > 0 {
		c.t.Fatalf("next for %s has errors: %s", id, m.Payload)
	}
	return p.Data
}

// fixture is an organization with an agent and a conversation.
type fixture struct {
	key, conversationID string
}

func newFixture(t testing.TB, env *apitest.Env, org string) fixture {
	t.Helper()
	key := env.Key(t, org, false)
	data := env.MustGraphQL(t, key, `mutation { createAgent(input: {name: "A"}) { id } }`, nil)
	agentID := data["createAgent"].(map[string]any)["id"].(string)
	return fixture{key: key, conversationID: startConversation(t, env, key, agentID)}
}

func startConversation(t testing.TB, env *apitest.Env, key, agentID string) string {
	t.Helper()
	data := env.MustGraphQL(t, key, `mutation($a: ID!) { startConversation(input: {agentID: $a}) { id } }`, map[string]any{"a": agentID})
	return data["startConversation"].(map[string]any)["id"].(string)
}

func appendMessages(t testing.TB, env *apitest.Env, key, conversationID string, contents ...string) {
	t.Helper()
	msgs := make([]map[string]any, len(contents))
	for i, c := range contents {
		msgs[i] = map[string]any{"role": "user", "content": c, "modality": "text"}
	}
	env.MustGraphQL(t, key, `mutation($id: ID!, $m: [AppendMessageInput!]!) { appendMessages(conversationID: $id, messages: $m) { messages { id } } }`,
		map[string]any{"id": conversationID, "m": msgs})
}

const messageAddedQuery = `subscription($id: ID!) { messageAdded(conversationID: $id) { content position conversation { id status } } }`

// waitSubscribed waits until the server holds n subscriptions, so that
// what the test writes next is announced to them.
func waitSubscribed(t testing.TB, env *apitest.Env, n int) {
	t.Helper()
	for i := 0; env.Live.Count() < n; i++ {
		if i > 3000 {
			t.Fatalf("%d subscriptions open, want %d", env.Live.Count(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMessageAddedDeliversEachMessageOnceInOrder(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	c := connect(t, env, f.key)
	c.subscribe("1", messageAddedQuery, map[string]any{"id": f.conversationID})
	waitSubscribed(t, env, 1)

	appendMessages(t, env, f.key, f.conversationID, "one", "two")
	appendMessages(t, env, f.key, f.conversationID, "three")
	appendMessages(t, env, f.key, f.conversationID, "four", "five", "six")
	for i, want := range []string{"one", "two", "three", "four", "five", "six"} {
		m := c.next("1")["messageAdded"].(map[string]any)
		if m["content"] != want || m["position"] != float64(i+1) {
			t.Fatalf("message %d: %v, want %q at position %d", i, m, want, i+1)
		}
		// The payload is resolved like a query: the first append started it.
		if conv := m["conversation"].(map[string]any); conv["id"] != f.conversationID || conv["status"] != "in_progress" {
			t.Fatalf("message %d's conversation: %v", i, conv)
		}
	}
	// Nothing more is pending: the next thing is the next append.
	appendMessages(t, env, f.key, f.conversationID, "seven")
	if m := c.next("1")["messageAdded"].(map[string]any); m["content"] != "seven" {
		t.Fatalf("after six messages got %v, want seven", m)
	}
	c.send(wsMessage{ID: "1", Type: "complete"})
	for i := 0; env.Live.Count() != 0; i++ {
		if i > 3000 {
			t.Fatal("the subscription stayed open after complete")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConversationUpdatedReadsFreshStatePerEvent(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	c := connect(t, env, f.key)
	c.subscribe("u", `subscription($id: ID!) { conversationUpdated(id: $id) { status messageCount transcript { content } } }`, map[string]any{"id": f.conversationID})
	waitSubscribed(t, env, 1)

	// until reads events until one satisfies done. Each event is answered
	// with the state read when it is handled, so an event may show a later
	// state than its own change; and on PostgreSQL the notification of the
	// fixture's creation, committed before the subscription, may reach the
	// server after it and add an event.
	until := func(what string, done func(map[string]any) bool) map[string]any {
		t.Helper()
		for range 4 {
			if got := c.next("u")["conversationUpdated"].(map[string]any); done(got) {
				return got
			}
		}
		t.Fatalf("no event showed %s", what)
		return nil
	}
	appendMessages(t, env, f.key, f.conversationID, "hello")
	got := until("the conversation started", func(got map[string]any) bool { return got["status"] == "in_progress" })
	if got["messageCount"] != float64(1) || len(got["transcript"].([]any)) != 1 {
		t.Fatalf("after one append: %v", got)
	}
	appendMessages(t, env, f.key, f.conversationID, "again")
	// A loader kept across events would serve the one-message transcript.
	got = until("two messages", func(got map[string]any) bool { return got["messageCount"] == float64(2) })
	if len(got["transcript"].([]any)) != 2 {
		t.Fatalf("after the second append: %v", got)
	}
	env.MustGraphQL(t, f.key, `mutation($id: ID!) { setConversationStatus(id: $id, status: completed) { id } }`, map[string]any{"id": f.conversationID})
	until("the conversation completed", func(got map[string]any) bool { return got["status"] == "completed" })
}

func TestSubscriptionToAnotherTenantsConversationIsNotFound(t *testing.T) {
	env := apitest.Start(t)
	mine := newFixture(t, env, "Acme")
	other := newFixture(t, env, "Globex")
	testKey := env.Key(t, "Acme", true) // the same organization's live mode
	for name, key := range map[string]string{"other organization": other.key, "other mode": testKey} {
		t.Run(name, func(t *testing.T) {
			c := connect(t, env, key)
			for i, q := range []string{messageAddedQuery, `subscription($id: ID!) { conversationUpdated(id: $id) { id } }`} {
				id := fmt.Sprint(i)
				c.subscribe(id, q, map[string]any{"id": mine.conversationID})
				m := c.read()
				if m.Type != "next" || !strings.Contains(string(m.Payload), `"code":"not_found"`) || strings.Contains(string(m.Payload), `"data":{`) {
					t.Fatalf("got %s %s, want a not_found error", m.Type, m.Payload)
				}
				if m := c.read(); m.Type != "complete" || m.ID != id {
					t.Fatalf("got %s %s, want complete", m.Type, m.Payload)
				}
			}
		})
	}
	if n := env.Live.Count(); n != 0 {
		t.Fatalf("%d subscriptions left open by refused ones", n)
	}
}

func TestWebsocketWithBadKeyIsClosedWith4403(t *testing.T) {
	env := apitest.Start(t)
	for name, payload := range map[string]any{
		"unknown key":  map[string]string{"Authorization": "Bearer sk_test_" + strings.Repeat("x", 32)},
		"malformed":    map[string]string{"authorization": "Bearer nope"},
		"missing":      map[string]string{},
		"apiKey field": map[string]string{"apiKey": "sk_live_" + strings.Repeat("y", 32)},
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, env, payload)
			if code, reason := c.closeStatus(); code != 4403 {
				t.Fatalf("closed with %d (%s), want 4403", code, reason)
			}
		})
	}
}

func TestWebsocketKeyForms(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	for _, payload := range []map[string]string{{"Authorization": "Bearer " + key}, {"authorization": "bearer " + key}, {"apiKey": key}} {
		c := dial(t, env, payload)
		if m := c.read(); m.Type != "connection_ack" {
			t.Fatalf("%v: got %s, want connection_ack", payload, m.Type)
		}
	}
}

func TestWebsocketFromAnotherOriginIsRefused(t *testing.T) {
	env := apitest.Start(t)
	req, _ := http.NewRequest(http.MethodGet, env.Server.URL+"/graphql", nil)
	for k, v := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "graphql-transport-ws", "Origin": "https://evil.example"} {
		req.Header.Set(k, v)
	}
	res, err := env.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", res.StatusCode)
	}
}

func TestSubscriptionOverPOSTIsRefused(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	res := env.GraphQL(t, f.key, messageAddedQuery, map[string]any{"id": f.conversationID})
	if res.Status != http.StatusBadRequest || len(res.Errors) != 1 || res.Errors[0].Code() != "invalid_request" {
		t.Fatalf("got %d %+v", res.Status, res.Errors)
	}
}

func TestShutdownClosesWebsocketsWith1001(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	c := connect(t, env, f.key)
	c.subscribe("1", messageAddedQuery, map[string]any{"id": f.conversationID})
	waitSubscribed(t, env, 1)
	env.Handler.CloseStreams()
	// Not an error message for the subscription: graphql-ws clients would
	// not subscribe again after one; after 1001 they reconnect and do.
	if code, reason := c.closeStatus(); code != websocket.StatusGoingAway {
		t.Fatalf("closed with %d (%s), want 1001", code, reason)
	}
}
