package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/testenv"
)

const webhooksPath = "/v1/backend/webhooks"

// startWithWebhooks runs a server that delivers webhooks, to local
// receivers too.
func startWithWebhooks(t *testing.T) *apitest.Env {
	t.Helper()
	db := testenv.Open(t)
	opts := delivery.DefaultOptions()
	opts.Client.AllowPrivate = true
	opts.Poll = 20 * time.Millisecond
	svc, err := delivery.Start(context.Background(), db.DB, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
	})
	return apitest.StartOn(t, db, func(c *api.Config) {
		c.Webhooks = svc
		c.WebhookAllowPrivate = true
	})
}

// sendJSON makes one request with a JSON body (none if body is "").
func sendJSON(t *testing.T, env *apitest.Env, method, key, target, body string) (*http.Request, response) {
	t.Helper()
	req, err := http.NewRequest(method, env.Server.URL+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{}
	if body != "" {
		header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	var r io.Reader // nil, not a nil *strings.Reader, for no body
	if body != "" {
		r = strings.NewReader(body)
	}
	res := env.Send(t, method, key, target, r, header)
	return req, res
}

// TestOpenAPIWebhooks drives every webhook operation to each status it can
// give, checks what it does, and validates requests and answers against
// the served document.
func TestOpenAPIWebhooks(t *testing.T) {
	env := startWithWebhooks(t)
	api := loadOpenAPI(t, env)
	tn := newTenant(t, env, "Acme", false)
	other := newTenant(t, env, "Globex", false)
	live := newTenant(t, env, "Acme", true)
	got := make(chan http.Header, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
	}))
	t.Cleanup(receiver.Close)

	// The happy path, step by step.
	_, res := sendJSON(t, env, http.MethodPost, tn.key, webhooksPath, fmt.Sprintf(`{"url": %q, "description": "CRM", "event_types": ["conversation.completed", "conversation.started"]}`, receiver.URL))
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %s", res)
	}
	created := decode(t, res)["data"].(map[string]any)
	id := created["id"].(string)
	if !strings.HasPrefix(created["secret"].(string), "whsec_") || created["enabled"] != true ||
		canonical(t, created["event_types"]) != `["conversation.completed","conversation.started"]` {
		t.Errorf("created %v", created)
	}
	fetched := ok(t, get(t, env, tn.key, webhooksPath+"/"+id))["data"].(map[string]any)
	if _, shown := fetched["secret"]; shown {
		t.Errorf("GET shows the secret: %v", fetched)
	}
	list := ok(t, get(t, env, tn.key, webhooksPath))["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != id {
		t.Errorf("list: %v", list)
	}
	for _, k := range []string{other.key, live.key} {
		if l := ok(t, get(t, env, k, webhooksPath))["data"].([]any); len(l) != 0 {
			t.Errorf("another tenant or mode lists %v", l)
		}
	}
	_, res = sendJSON(t, env, http.MethodPost, tn.key, webhooksPath+"/test", "")
	msg := decode(t, res)["data"].(map[string]any)["message_id"]
	select {
	case h := <-got:
		if h.Get("webhook-id") != msg {
			t.Errorf("test event webhook-id %q, answer said %v", h.Get("webhook-id"), msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the test event never arrived")
	}
	// The attempt is in the endpoint's log (written just after the answer).
	var logged []any
	for deadline := time.Now().Add(30 * time.Second); len(logged) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		logged = ok(t, get(t, env, tn.key, webhooksPath+"/"+id+"/deliveries"))["data"].([]any)
	}
	if len(logged) != 1 {
		t.Fatalf("delivery log: %v", logged)
	}
	if d := logged[0].(map[string]any); d["event_id"] != msg || d["event_type"] != "test.event" || d["success"] != true ||
		d["response_status"] != json.Number("200") || d["attempt"] != json.Number("1") || d["next_attempt_at"] != nil {
		t.Errorf("delivery log entry %v", d)
	}
	// A real event, to redeliver.
	agent := tn.agent(t, "A", dbtime.Now())
	conv := tn.conversation(t, agent.ID, conversation.StatusPending, dbtime.Now())
	env.MustGraphQL(t, tn.key, gqlAppend, map[string]any{"id": conv.ID.String(), "messages": []any{map[string]any{"role": "user", "content": "Hi", "modality": "text"}}})
	started, err := env.Client.Event.Query().Where(event.ConversationID(conv.ID), event.Type("conversation.started")).Only(sys())
	if err != nil {
		t.Fatal(err)
	}

	type tc struct {
		method, path, key, body string
		status                  int
	}
	ep := webhooksPath + "/" + id
	unknown := webhooksPath + "/" + gid.New(gid.WebhookEndpoint).String()
	cases := []tc{
		{"GET", webhooksPath, tn.key, "", 200},
		{"POST", webhooksPath, tn.key, `{"url": "https://example.com/second"}`, 201},
		{"GET", ep, tn.key, "", 200},
		{"PATCH", ep, tn.key, `{"description": "CRM sync", "enabled": true}`, 200},
		{"POST", ep + "/rotate-secret", tn.key, "", 200},
		{"POST", ep + "/rotate-secret", tn.key, `{"overlap_seconds": 60}`, 200},
		{"POST", webhooksPath + "/test", tn.key, "", 200},
		{"POST", ep + "/redeliver", tn.key, fmt.Sprintf(`{"event_id": %q}`, started.ID), 202},
		{"GET", ep + "/deliveries", tn.key, "", 200},
		{"GET", query(ep+"/deliveries", "limit", "1"), tn.key, "", 200},

		{"GET", query(webhooksPath, "limit", "5"), tn.key, "", 400}, // it takes no parameters
		{"POST", webhooksPath, tn.key, `{}`, 400},
		{"POST", webhooksPath, tn.key, ``, 400},
		{"POST", webhooksPath, tn.key, `{"url": "ftp://example.com"}`, 400},
		{"POST", webhooksPath, tn.key, `{"url": 5}`, 400},
		{"POST", webhooksPath, tn.key, `{"url": "https://example.com", "urll": "x"}`, 400},
		{"POST", webhooksPath, tn.key, `{"url": "https://example.com", "event_types": ["conversation.created"]}`, 400},
		{"POST", webhooksPath, tn.key, `{"url": "https://example.com"} {}`, 400},
		{"GET", webhooksPath + "/nope", tn.key, "", 400},
		{"PATCH", ep, tn.key, `{"event_types": []}`, 400},
		{"PATCH", webhooksPath + "/nope", tn.key, `{}`, 400},
		{"DELETE", webhooksPath + "/nope", tn.key, "", 400},
		{"POST", ep + "/rotate-secret", tn.key, `{"overlap_seconds": -1}`, 400},
		{"POST", webhooksPath + "/nope/rotate-secret", tn.key, "", 400},
		{"POST", webhooksPath + "/test", other.key, "", 400}, // Globex has no endpoint
		{"POST", ep + "/redeliver", tn.key, `{}`, 400},
		{"POST", ep + "/redeliver", tn.key, `{"event_id": "x"}`, 400},
		{"POST", webhooksPath + "/nope/redeliver", tn.key, `{"event_id": "x"}`, 400},
		{"GET", query(ep+"/deliveries", "limit", "0"), tn.key, "", 400},
		{"GET", webhooksPath + "/nope/deliveries", tn.key, "", 400},

		{"GET", unknown, tn.key, "", 404},
		{"GET", ep, other.key, "", 404},
		{"GET", ep, live.key, "", 404},
		{"PATCH", ep, other.key, `{"enabled": false}`, 404},
		{"DELETE", unknown, tn.key, "", 404},
		{"POST", ep + "/rotate-secret", live.key, "", 404},
		{"POST", ep + "/redeliver", other.key, fmt.Sprintf(`{"event_id": %q}`, started.ID), 404},
		{"POST", ep + "/redeliver", tn.key, fmt.Sprintf(`{"event_id": %q}`, gid.New(gid.Event)), 404},
		{"GET", ep + "/deliveries", other.key, "", 404},
	}
	for _, path := range []string{webhooksPath, webhooksPath + "/test", ep, ep + "/rotate-secret", ep + "/redeliver", ep + "/deliveries"} {
		cases = append(cases, tc{"PUT", path, tn.key, "", 405})
		for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
			cases = append(cases, tc{m, path, "", "", 401})
		}
	}
	// Last: the delete, and what it leaves.
	cases = append(cases, tc{"DELETE", ep, tn.key, "", 200}, tc{"GET", ep, tn.key, "", 404})

	// A redelivery's 404 names what is missing.
	missingEvent := gid.New(gid.Event).String()
	for _, c := range []struct{ key, event, want string }{
		{tn.key, missingEvent, "event " + missingEvent + " not found"},
		{other.key, started.ID.String(), "webhook endpoint " + id + " not found"},
	} {
		_, res := sendJSON(t, env, "POST", c.key, ep+"/redeliver", fmt.Sprintf(`{"event_id": %q}`, c.event))
		if res.Status != 404 || !strings.Contains(string(res.Body), c.want) {
			t.Errorf("redeliver: %s, want 404 saying %q", res, c.want)
		}
	}

	seen := map[string]map[int]bool{}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s %d", c.method, c.path, c.status), func(t *testing.T) {
			req, res := sendJSON(t, env, c.method, c.key, c.path, c.body)
			if res.Status != c.status {
				t.Fatalf("got %s, want status %d", res, c.status)
			}
			route, _, _, err := api.route(t, req)
			if err != nil {
				t.Fatalf("no documented operation: %v", err)
			}
			documented := route.Method == c.method
			if documented && c.status < 300 {
				if err := api.validateRequest(t, req); err != nil {
					t.Errorf("the document rejects the request: %v", err)
				}
			}
			if err := api.validateResponse(t, req, res.Status, res.Header, res.Body); err != nil {
				t.Errorf("the answer breaks the document: %v\n%s", err, res.Body)
			}
			if c.status == 405 && res.Header.Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
			op := route.Method + " " + route.Path
			if documented || c.status == 405 {
				if seen[op] == nil {
					seen[op] = map[int]bool{}
				}
				seen[op][c.status] = true
			}
		})
	}
	for path, item := range api.doc.Paths.Map() {
		if !strings.HasPrefix(path, webhooksPath) {
			continue
		}
		for method, op := range item.Operations() {
			name := method + " " + path
			success := 0
			for code := range op.Responses.Map() {
				if n, _ := fmt.Sscan(code, &success); n == 1 && success < 300 {
					break
				}
			}
			want := []int{success, 400, 401}
			if strings.Contains(path, "{id}") {
				want = append(want, 404)
			}
			for _, s := range want {
				if !seen[name][s] && !(s == 401 && seen[name] != nil) {
					t.Errorf("%s: no %d answer was validated", name, s)
				}
			}
		}
	}
}
