package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/conversations"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/live"
)

func TestConversationEventsFiltersByAgentAndStatus(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	agentB := env.MustGraphQL(t, f.key, `mutation { createAgent(input: {name: "B"}) { id } }`, nil)["createAgent"].(map[string]any)["id"].(string)
	other := newFixture(t, env, "Globex") // never seen by Acme's key
	c := connect(t, env, f.key)
	c.subscribe("all", `subscription { conversationEvents { type conversation { id status } } }`, nil)
	c.subscribe("b", `subscription($a: ID!) { conversationEvents(where: {agentID: $a, statusIn: [completed]}) { type conversation { id } } }`, map[string]any{"a": agentB})
	waitSubscribed(t, env, 2)

	appendMessages(t, env, other.key, other.conversationID, "elsewhere")
	onB := startConversation(t, env, f.key, agentB)
	appendMessages(t, env, f.key, onB, "hi") // starts it; messages are not conversationEvents
	env.MustGraphQL(t, f.key, `mutation($id: ID!) { setConversationStatus(id: $id, status: completed) { id } }`, map[string]any{"id": onB})

	for _, want := range []string{"conversation.created", "conversation.started", "conversation.completed"} {
		got := c.next("all")["conversationEvents"].(map[string]any)
		if got["conversation"].(map[string]any)["id"] == f.conversationID {
			// The fixture's own creation, committed before the subscription
			// and notified after it (this stream has no start; see
			// conversationEvents).
			got = c.next("all")["conversationEvents"].(map[string]any)
		}
		if got["type"] != want || got["conversation"].(map[string]any)["id"] != onB {
			t.Fatalf("all: got %v, want %s of %s", got, want, onB)
		}
	}
	got := c.next("b")["conversationEvents"].(map[string]any)
	if got["type"] != "conversation.completed" || got["conversation"].(map[string]any)["id"] != onB {
		t.Fatalf("filtered: got %v", got)
	}
}

func TestSubscriptionsPerKeyAreCapped(t *testing.T) {
	env := apitest.StartWithLive(t, live.Options{MaxPerKey: 2})
	f := newFixture(t, env, "Acme")
	c := connect(t, env, f.key)
	for _, id := range []string{"1", "2"} {
		c.subscribe(id, messageAddedQuery, map[string]any{"id": f.conversationID})
	}
	waitSubscribed(t, env, 2)
	c.subscribe("3", messageAddedQuery, map[string]any{"id": f.conversationID})
	m := c.read()
	if m.Type != "next" || m.ID != "3" || !strings.Contains(string(m.Payload), `"code":"rate_limited"`) || !strings.Contains(string(m.Payload), "2 open subscriptions") {
		t.Fatalf("got %s %s %s, want subscription 3 refused", m.ID, m.Type, m.Payload)
	}
}

// sse posts a subscription with Accept: text/event-stream and returns the
// events as they come.
func sse(t *testing.T, env *apitest.Env, key, query string, vars map[string]any) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, env.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	res, err := env.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("SSE answer: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan string, 100)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		var ev strings.Builder
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				if ev.Len() > 0 {
					out <- ev.String()
					ev.Reset()
				}
				continue
			}
			if !strings.HasPrefix(line, ":") {
				ev.WriteString(line + "\n")
			}
		}
	}()
	return out
}

func recv(t *testing.T, events <-chan string) string {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(60 * time.Second):
		t.Fatal("no event")
	}
	return ""
}

func TestSubscriptionOverServerSentEvents(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	events := sse(t, env, f.key, messageAddedQuery, map[string]any{"id": f.conversationID})
	waitSubscribed(t, env, 1)
	appendMessages(t, env, f.key, f.conversationID, "one", "two")
	for _, want := range []string{"one", "two"} {
		if ev := recv(t, events); !strings.HasPrefix(ev, "event: next\ndata: ") || !strings.Contains(ev, `"content":"`+want+`"`) {
			t.Fatalf("got %q, want next with %s", ev, want)
		}
	}
	// Shutdown ends the stream with its reason, then complete.
	env.Handler.CloseStreams()
	if ev := recv(t, events); !strings.Contains(ev, "shutting down") || !strings.Contains(ev, `"code":"unavailable"`) {
		t.Fatalf("got %q, want the shutdown error", ev)
	}
	if ev := recv(t, events); ev != "event: complete\ndata:\n" {
		t.Fatalf("got %q, want complete", ev)
	}
}

func TestServerSentEventsNeedAKey(t *testing.T) {
	env := apitest.Start(t)
	res := env.Send(t, http.MethodPost, "", "/graphql", strings.NewReader(`{"query":"subscription { conversationEvents { id } }"}`),
		http.Header{"Content-Type": {"application/json"}, "Accept": {"text/event-stream"}})
	if res.Status != http.StatusUnauthorized {
		t.Fatalf("got %s, want 401", res)
	}
}

// restEvents opens the REST event stream of a conversation.
func restEvents(t *testing.T, env *apitest.Env, key, conversationID, lastEventID string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, env.Server.URL+"/v1/backend/conversations/"+conversationID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := env.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("event stream: %d", res.StatusCode)
	}
	out := make(chan string, 100)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		var ev strings.Builder
		for sc.Scan() {
			switch line := sc.Text(); {
			case line == "" && ev.Len() > 0:
				out <- ev.String()
				ev.Reset()
			case line != "" && !strings.HasPrefix(line, ":"):
				ev.WriteString(line + "\n")
			}
		}
	}()
	return out
}

// sseField is the value of a field ("id", "event", "data") of an event.
func sseField(ev, name string) string {
	for line := range strings.SplitSeq(ev, "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return v
		}
	}
	return ""
}

func TestRESTEventStreamResumesAfterLastEventID(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	appendMessages(t, env, f.key, f.conversationID, "one")
	events := restEvents(t, env, f.key, f.conversationID, "")
	waitSubscribed(t, env, 1)
	appendMessages(t, env, f.key, f.conversationID, "two")
	first := recv(t, events)
	if sseField(first, "event") != "conversation.messages_appended" || !strings.Contains(sseField(first, "data"), `"content":"two"`) || strings.Contains(first, `"one"`) {
		t.Fatalf("first live event: %q\n%s", first, env.Logs.String())
	}

	// What follows the first event, missed while disconnected, is
	// replayed from the outbox, then the stream goes live.
	appendMessages(t, env, f.key, f.conversationID, "three")
	env.MustGraphQL(t, f.key, `mutation($id: ID!) { setConversationStatus(id: $id, status: completed) { id } }`, map[string]any{"id": f.conversationID})
	resumed := restEvents(t, env, f.key, f.conversationID, sseField(first, "id"))
	if ev := recv(t, resumed); sseField(ev, "event") != "conversation.messages_appended" || !strings.Contains(ev, `"content":"three"`) {
		t.Fatalf("first replayed event: %q", ev)
	}
	if ev := recv(t, resumed); sseField(ev, "event") != "conversation.completed" || !strings.Contains(ev, `"status":"completed"`) {
		t.Fatalf("second replayed event: %q", ev)
	}
	waitSubscribed(t, env, 2)
	env.MustGraphQL(t, f.key, `mutation($id: ID!) { setConversationStatus(id: $id, status: archived) { id } }`, map[string]any{"id": f.conversationID})
	if ev := recv(t, resumed); sseField(ev, "event") != "conversation.archived" {
		t.Fatalf("live event after the replay: %q", ev)
	}
}

// A stream that asks for no history starts after the events already
// written: a notification of an earlier commit that arrives after the
// stream subscribed (published by hand here, to make that happen every
// time) is not sent as new.
func TestRESTEventStreamSkipsWhatPrecededIt(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	earlier := gid.New(gid.Event) // older than the append's own event
	appendMessages(t, env, f.key, f.conversationID, "one")

	events := restEvents(t, env, f.key, f.conversationID, "")
	waitSubscribed(t, env, 1)
	publishLate(t, env, f, live.Event{ID: earlier, Type: conversations.EventMessagesAppended, MessageCount: 1, Appended: 1})
	appendMessages(t, env, f.key, f.conversationID, "two")
	if ev := recv(t, events); !strings.Contains(sseField(ev, "data"), `"content":"two"`) {
		t.Fatalf("first event: %q, want the append of \"two\"", ev)
	}
}

// conversationUpdated, likewise, reports only changes committed after it
// subscribed: an earlier event whose notification arrives late (published
// by hand here) is not answered with the conversation's state.
func TestConversationUpdatedSkipsWhatPrecededIt(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	earlier := gid.New(gid.Event)
	appendMessages(t, env, f.key, f.conversationID, "one") // starts it

	c := connect(t, env, f.key)
	c.subscribe("1", `subscription($id: ID!) { conversationUpdated(id: $id) { status } }`, map[string]any{"id": f.conversationID})
	waitSubscribed(t, env, 1)
	publishLate(t, env, f, live.Event{ID: earlier, Type: conversations.EventStarted})
	env.MustGraphQL(t, f.key, `mutation($id: ID!) { setConversationStatus(id: $id, status: completed) { id } }`, map[string]any{"id": f.conversationID})
	if got := c.next("1")["conversationUpdated"].(map[string]any); got["status"] != "completed" {
		t.Fatalf("first update: %v, want the completion, not an answer to the earlier event", got)
	}
}

func TestRESTEventStreamRefusals(t *testing.T) {
	env := apitest.Start(t)
	mine := newFixture(t, env, "Acme")
	other := newFixture(t, env, "Globex")
	for name, c := range map[string]struct {
		key, id, last string
		status        int
		code          string
	}{
		"other organization": {other.key, mine.conversationID, "", 404, "not_found"},
		"unknown":            {mine.key, "01a22b60-aa64-85da-9587-88298f8952c1", "", 404, "not_found"},
		"bad id":             {mine.key, "nope", "", 400, "invalid_request"},
		"bad Last-Event-ID":  {mine.key, mine.conversationID, "nope", 400, "invalid_request"},
		"no key":             {"", mine.conversationID, "", 401, "unauthorized"},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if c.last != "" {
				h.Set("Last-Event-ID", c.last)
			}
			res := env.Send(t, http.MethodGet, c.key, "/v1/backend/conversations/"+c.id+"/events", nil, h)
			if res.Status != c.status || !strings.Contains(string(res.Body), `"code":"`+c.code+`"`) {
				t.Fatalf("got %s, want %d %s", res, c.status, c.code)
			}
		})
	}
	if n := env.Live.Count(); n != 0 {
		t.Fatalf("%d streams left open by refused ones", n)
	}
}

// An append that commits after the subscription is registered but before
// the subscription reads where the conversation stands is counted by that
// read, and its event arrives afterwards: its messages are still sent, not
// taken for history. (The event is published by hand here to make that
// interleaving happen every time.)
func TestMessageAddedSendsAnAppendThatRacedItsStart(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	appendMessages(t, env, f.key, f.conversationID, "one", "two")

	c := connect(t, env, f.key)
	c.subscribe("1", messageAddedQuery, map[string]any{"id": f.conversationID})
	waitSubscribed(t, env, 1)
	publishLate(t, env, f, live.Event{ID: uuid.New(), Type: conversations.EventMessagesAppended, MessageCount: 2, Appended: 2})
	appendMessages(t, env, f.key, f.conversationID, "three")
	for i, want := range []string{"one", "two", "three"} {
		if m := c.next("1")["messageAdded"].(map[string]any); m["content"] != want || m["position"] != float64(i+1) {
			t.Fatalf("message %d: %v, want %q at position %d", i, m, want, i+1)
		}
	}
}

// publishLate publishes by hand an event of f's conversation, as the
// listener would on a notification that arrives late: the tests use it to
// make a race between a commit and a subscription happen every time.
func publishLate(t *testing.T, env *apitest.Env, f fixture, ev live.Event) {
	t.Helper()
	org := env.MustGraphQL(t, f.key, `{ viewer { organization { id } } }`, nil)
	ev.OrganizationID = uuid.MustParse(org["viewer"].(map[string]any)["organization"].(map[string]any)["id"].(string))
	ev.ConversationID = uuid.MustParse(f.conversationID)
	ev.OccurredAt = time.Now()
	env.Live.Publish(ev)
}
