package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/testenv"
	"github.com/parleyhq/parley/rest"
)

// openAPI is the served document, loaded and validated, with a router over
// its operations.
type openAPI struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

func loadOpenAPI(t testing.TB, env *apitest.Env) *openAPI {
	t.Helper()
	r := get(t, env, "", "/v1/backend/openapi.json") // no key needed
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != jsonContentType {
		t.Fatalf("GET /v1/backend/openapi.json: %s", r)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("loading the OpenAPI document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	// The document names one server, a template of any Parley's origin;
	// route requests to this test's server through it.
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "{origin}" || doc.Servers[0].Variables["origin"] == nil {
		t.Fatalf("servers: want one, {origin}, with a default: %+v", doc.Servers)
	}
	routed := *doc
	routed.Servers = openapi3.Servers{{URL: env.Server.URL}}
	router, err := gorillamux.NewRouter(&routed)
	if err != nil {
		t.Fatal(err)
	}
	return &openAPI{doc: doc, router: router, opts: &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true, // a status the document does not list is an error
		SkipSettingDefaults:   true,
		MultiError:            true,
		// The document says format: uuid; check it (kin-openapi does not by default).
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
		},
	}}
}

// exchange is one request to the server and its answer.
type exchange struct {
	req *http.Request
	res response
}

func call(t testing.TB, env *apitest.Env, method, key, target string) exchange {
	t.Helper()
	req, err := http.NewRequest(method, env.Server.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return exchange{req: req, res: send(t, env, method, key, target)}
}

// route finds the documented operation of a request; a request with a
// method the path does not answer is routed as one the path does answer
// (GET where it has one). The request returned carries the route's method.
func (o *openAPI) route(t testing.TB, req *http.Request) (*routers.Route, map[string]string, *http.Request, error) {
	t.Helper()
	route, params, err := o.router.FindRoute(req)
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if err == nil {
			break
		}
		alt := req.Clone(context.Background())
		alt.Method = m
		if route, params, err = o.router.FindRoute(alt); err == nil {
			req = alt
		}
	}
	return route, params, req, err
}

// validateRequest reports whether the document accepts the request.
func (o *openAPI) validateRequest(t testing.TB, req *http.Request) error {
	t.Helper()
	route, params, req, err := o.route(t, req)
	if err != nil {
		t.Fatalf("%s %s: no documented operation: %v", req.Method, req.URL, err)
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route, Options: o.opts,
	})
}

// validateResponse checks an answer against the operation the request was
// routed to.
func (o *openAPI) validateResponse(t testing.TB, req *http.Request, status int, header http.Header, body []byte) error {
	t.Helper()
	route, params, routed, err := o.route(t, req)
	if err != nil {
		t.Fatalf("%s %s: no documented operation: %v", req.Method, req.URL, err)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: routed, PathParams: params, Route: route, Options: o.opts},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                o.opts,
	})
}

// validateAgainst checks a body against a named component response, for
// answers no operation covers (unknown routes).
func (o *openAPI) validateAgainst(t testing.TB, response string, body []byte) error {
	t.Helper()
	ref := o.doc.Components.Responses[response]
	if ref == nil || ref.Value == nil {
		t.Fatalf("no component response %q", response)
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil {
		t.Fatalf("component response %q has no application/json content", response)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return mt.Schema.Value.VisitJSON(v, append(o.opts.SchemaValidationOptions, openapi3.EnableJSONSchema2020())...)
}

// TestOpenAPIValidatesRealResponses validates real answers of every
// endpoint, successes and errors, against the served document, and checks
// that the document rejects answers that break the contract.
func TestOpenAPIValidatesRealResponses(t *testing.T) {
	env := apitest.Start(t)
	api := loadOpenAPI(t, env)
	tn := newTenant(t, env, "Acme", false)
	other := newTenant(t, env, "Globex", false)
	live := newTenant(t, env, "Acme", true)
	key := tn.key
	now := dbtime.Now()

	// Data with every optional field both set and unset.
	minimalAgent := tn.agent(t, "Minimal", now)
	data := env.MustGraphQL(t, key, gqlCreateAgent, map[string]any{"input": map[string]any{
		"name": "Full", "description": "d", "goal": "g", "availableModes": []string{"voice", "text"}, "defaultMode": "text",
	}})
	fullAgent := testenv.Get(data, "createAgent", "id").(string)
	pid := testenv.Get(env.MustGraphQL(t, key, gqlCreateParticipant, map[string]any{"input": map[string]any{"email": "ada@example.com", "firstName": "Ada"}}), "createParticipant", "id").(string)
	data = env.MustGraphQL(t, key, gqlStart, map[string]any{"input": map[string]any{
		"agentID": fullAgent, "participantID": pid, "sessionProperties": map[string]any{"k": []any{1, "x", nil}}, "pathTaken": []any{"a", 2},
	}})
	fullConv := testenv.Get(data, "startConversation", "id").(string)
	env.MustGraphQL(t, key, gqlAppend, map[string]any{"id": fullConv, "messages": []any{
		map[string]any{"role": "assistant", "content": "Hello", "modality": "voice", "createdAt": "2026-01-02T03:04:05.5+01:00"},
		map[string]any{"role": "user", "content": "Hi", "modality": "text"},
	}})
	env.MustGraphQL(t, key, gqlSetStatus, map[string]any{"id": fullConv, "status": "completed"})
	bareConv := tn.conversation(t, minimalAgent.ID, conversation.StatusPending, now.Add(-time.Hour)).ID.String()
	for i := range 5 {
		tn.conversation(t, minimalAgent.ID, allStatuses[i], now.Add(-time.Duration(i+2)*time.Hour))
	}
	page1 := ok(t, get(t, env, key, query(conversationsPath, "limit", "3")))
	next := cursor(t, page1, "next_cursor")
	page2 := ok(t, get(t, env, key, query(conversationsPath, "limit", "3", "after", next)))
	prev := cursor(t, page2, "prev_cursor")

	foreignConv := other.conversation(t, other.agent(t, "Theirs", now).ID, conversation.StatusPending, now)
	liveAgent := live.agent(t, "Live", now)
	liveConv := live.conversation(t, liveAgent.ID, conversation.StatusPending, now)
	if _, err := env.Client.Message.Create().SetOrganizationID(live.org).SetLivemode(true).SetConversationID(liveConv.ID).
		SetPosition(1).SetRole(message.RoleUser).SetContent("x").SetModality(message.ModalityText).Save(sys()); err != nil {
		t.Fatal(err)
	}
	unknownConv, unknownAgent := gid.New(gid.Conversation).String(), gid.New(gid.Agent).String()

	type tc struct {
		method, path, key string
		status            int
		// requestOK is whether the document itself accepts the request
		// (some invalid requests, like both cursors, it cannot express).
		requestOK bool
	}
	var cases []tc
	okCase := func(path string) { cases = append(cases, tc{http.MethodGet, path, key, 200, true}) }
	for _, p := range []string{
		conversationsPath,
		query(conversationsPath, "limit", "3"),
		query(conversationsPath, "limit", "3", "after", next),
		query(conversationsPath, "limit", "3", "before", prev),
		query(conversationsPath, "status", "completed"),
		query(conversationsPath, "status", "in_progress", "agent_id", minimalAgent.ID.String()),
		query(conversationsPath, "agent_id", unknownAgent),
		conversationPath(fullConv), conversationPath(bareConv),
		transcriptPath(fullConv), transcriptPath(bareConv),
		messagesPath(fullConv), messagesPath(bareConv), query(messagesPath(fullConv), "limit", "1"),
		agentsPath, query(agentsPath, "limit", "1"),
		agentPath(fullAgent), agentPath(minimalAgent.ID.String()),
	} {
		okCase(p)
	}
	bad := func(path string, docRejects bool) {
		cases = append(cases, tc{http.MethodGet, path, key, 400, !docRejects})
	}
	for _, l := range []string{"0", "101", "abc", "5.5"} {
		bad(query(conversationsPath, "limit", l), true)
		bad(query(agentsPath, "limit", l), true)
	}
	bad(query(conversationsPath, "status", "done"), true)
	bad(query(conversationsPath, "agent_id", "nope"), true)
	bad(query(conversationsPath, "after", next, "before", prev), false)
	bad(query(conversationsPath, "after", "garbage"), false)
	bad(query(agentsPath, "before", "garbage"), false)
	bad(conversationPath("nope"), true)
	bad(transcriptPath("nope"), true)
	bad(messagesPath("nope"), true)
	bad(query(messagesPath(fullConv), "limit", "0"), true)
	bad(query(messagesPath(fullConv), "after", next), false) // a conversation cursor is not a message cursor
	bad(agentPath("nope"), true)

	endpoints := []string{conversationsPath, conversationPath(fullConv), transcriptPath(fullConv), messagesPath(fullConv), agentsPath, agentPath(fullAgent)}
	for _, ep := range endpoints {
		cases = append(cases,
			tc{http.MethodGet, ep, "", 401, true},
			tc{http.MethodGet, ep, "sk_test_" + strings.Repeat("0", 32), 401, true},
			tc{http.MethodPost, ep, key, 405, true},
			tc{http.MethodDelete, ep, key, 405, true},
		)
	}
	for _, p := range []string{
		conversationPath(unknownConv), transcriptPath(unknownConv), messagesPath(unknownConv), agentPath(unknownAgent),
		conversationPath(foreignConv.ID.String()), transcriptPath(foreignConv.ID.String()), messagesPath(foreignConv.ID.String()),
		conversationPath(liveConv.ID.String()), transcriptPath(liveConv.ID.String()), messagesPath(liveConv.ID.String()), agentPath(liveAgent.ID.String()),
	} {
		cases = append(cases, tc{http.MethodGet, p, key, 404, true})
	}

	seen := map[string]map[int]bool{} // operation -> statuses validated
	for _, c := range cases {
		name := fmt.Sprintf("%s %s %d", c.method, c.path, c.status)
		t.Run(name, func(t *testing.T) {
			ex := call(t, env, c.method, c.key, c.path)
			if ex.res.Status != c.status {
				t.Fatalf("got %s, want status %d", ex.res, c.status)
			}
			if c.method == http.MethodGet {
				err := api.validateRequest(t, ex.req)
				if c.requestOK && err != nil {
					t.Errorf("the document rejects the request: %v", err)
				}
				if !c.requestOK && err == nil {
					t.Errorf("the document accepts a request the server rejects with %d", c.status)
				}
			}
			if err := api.validateResponse(t, ex.req, ex.res.Status, ex.res.Header, ex.res.Body); err != nil {
				t.Errorf("the answer breaks the document: %v\n%s", err, ex.res.Body)
			}
			route, _, _, _ := api.route(t, ex.req)
			op := route.Method + " " + route.Path
			if seen[op] == nil {
				seen[op] = map[int]bool{}
			}
			seen[op][c.status] = true
		})
	}
	// Every operation was exercised with each status it can really give.
	for path, item := range api.doc.Paths.Map() {
		if strings.HasPrefix(path, webhooksPath) {
			continue // TestOpenAPIWebhooks
		}
		for method := range item.Operations() {
			op := method + " " + path
			want := []int{200, 400, 401, 405}
			if strings.Contains(path, "{id}") {
				want = append(want, 404)
			}
			for _, s := range want {
				if !seen[op][s] {
					t.Errorf("%s: no %d answer was validated", op, s)
				}
			}
		}
	}

	t.Run("unknown routes", func(t *testing.T) {
		for _, p := range []string{"/v1/backend/nope", "/v1/backend/conversations/" + fullConv + "/notes", "/v1/backend/"} {
			ex := call(t, env, http.MethodGet, key, p)
			if ex.res.Status != http.StatusNotFound {
				t.Fatalf("GET %s: %s", p, ex.res)
			}
			if _, _, err := api.router.FindRoute(ex.req); err == nil {
				t.Errorf("GET %s: the document has an operation for it", p)
			}
			if err := api.validateAgainst(t, "NotFound", ex.res.Body); err != nil {
				t.Errorf("GET %s: the answer breaks the NotFound response: %v", p, err)
			}
		}
	})

	// The document must reject answers that break the contract, or the
	// checks above prove nothing.
	t.Run("broken answers are rejected", func(t *testing.T) {
		type mutation struct {
			name   string
			path   string
			status int
			change func(body map[string]any)
		}
		item := func(body map[string]any) map[string]any { return body["data"].([]any)[0].(map[string]any) }
		single := func(body map[string]any) map[string]any { return body["data"].(map[string]any) }
		mutations := []mutation{
			{"missing field", conversationsPath, 200, func(b map[string]any) { delete(item(b), "status") }},
			{"extra field", conversationsPath, 200, func(b map[string]any) { item(b)["livemode"] = false }},
			{"omitted null", conversationsPath, 200, func(b map[string]any) { delete(item(b), "completed_at") }},
			{"bad status", conversationsPath, 200, func(b map[string]any) { item(b)["status"] = "done" }},
			{"count as string", conversationsPath, 200, func(b map[string]any) { item(b)["turn_count"] = "2" }},
			{"negative count", conversationsPath, 200, func(b map[string]any) { item(b)["turn_count"] = -1 }},
			{"fractional count", conversationsPath, 200, func(b map[string]any) { item(b)["turn_count"] = 1.5 }},
			{"upper-case id", conversationsPath, 200, func(b map[string]any) { item(b)["id"] = strings.ToUpper(item(b)["id"].(string)) }},
			{"non-UUID id", conversationsPath, 200, func(b map[string]any) { item(b)["agent_id"] = "agent-1" }},
			{"time with offset", conversationsPath, 200, func(b map[string]any) { item(b)["started_at"] = "2026-01-02T03:04:05+01:00" }},
			{"time with zero fraction", conversationsPath, 200, func(b map[string]any) { item(b)["started_at"] = "2026-01-02T03:04:05.000Z" }},
			{"not a time", conversationsPath, 200, func(b map[string]any) { item(b)["started_at"] = "yesterday" }},
			{"empty participant", conversationsPath, 200, func(b map[string]any) { item(b)["participant_profile"] = map[string]any{} }},
			{"participant extra", conversationsPath, 200, func(b map[string]any) {
				item(b)["participant_profile"].(map[string]any)["phone"] = "1"
			}},
			{"has_more as string", conversationsPath, 200, func(b map[string]any) { b["pagination"].(map[string]any)["has_more"] = "true" }},
			{"missing prev_cursor", conversationsPath, 200, func(b map[string]any) { delete(b["pagination"].(map[string]any), "prev_cursor") }},
			{"missing pagination", conversationsPath, 200, func(b map[string]any) { delete(b, "pagination") }},
			{"data as object", conversationsPath, 200, func(b map[string]any) { b["data"] = map[string]any{} }},
			{"session properties as array", conversationPath(fullConv), 200, func(b map[string]any) { single(b)["session_properties"] = []any{} }},
			{"path as object", conversationPath(fullConv), 200, func(b map[string]any) { single(b)["path_taken"] = map[string]any{} }},
			{"missing session properties", conversationPath(fullConv), 200, func(b map[string]any) { delete(single(b), "session_properties") }},
			{"bad role", transcriptPath(fullConv), 200, func(b map[string]any) {
				single(b)["messages"].([]any)[0].(map[string]any)["role"] = "robot"
			}},
			{"null message time", transcriptPath(fullConv), 200, func(b map[string]any) {
				single(b)["messages"].([]any)[0].(map[string]any)["created_at"] = nil
			}},
			{"messages null", transcriptPath(fullConv), 200, func(b map[string]any) { single(b)["messages"] = nil }},
			{"modes as string", agentPath(fullAgent), 200, func(b map[string]any) { single(b)["available_modes"] = "voice" }},
			{"null created_at", agentPath(fullAgent), 200, func(b map[string]any) { single(b)["created_at"] = nil }},
			{"wrong code for status", agentPath(unknownAgent), 404, func(b map[string]any) { b["error"].(map[string]any)["code"] = "invalid_request" }},
			{"unknown code", conversationPath("nope"), 400, func(b map[string]any) { b["error"].(map[string]any)["code"] = "oops" }},
			{"error extra field", conversationPath("nope"), 400, func(b map[string]any) { b["error"].(map[string]any)["stack"] = "x" }},
			{"empty message", conversationPath("nope"), 400, func(b map[string]any) { b["error"].(map[string]any)["message"] = "" }},
			{"bare error", agentPath(unknownAgent), 404, func(b map[string]any) { b["error"] = "not found" }},
		}
		for _, m := range mutations {
			ex := call(t, env, http.MethodGet, key, m.path)
			if ex.res.Status != m.status {
				t.Fatalf("%s: %s", m.path, ex.res)
			}
			if err := api.validateResponse(t, ex.req, ex.res.Status, ex.res.Header, ex.res.Body); err != nil {
				t.Fatalf("%s: the real answer breaks the document: %v", m.path, err)
			}
			var body map[string]any
			if err := json.Unmarshal(ex.res.Body, &body); err != nil {
				t.Fatal(err)
			}
			m.change(body)
			broken, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			if err := api.validateResponse(t, ex.req, ex.res.Status, ex.res.Header, broken); err == nil {
				t.Errorf("%s: the document accepts %s", m.name, broken)
			}
		}
		// An undocumented status is rejected too.
		ex := call(t, env, http.MethodGet, key, agentsPath)
		if err := api.validateResponse(t, ex.req, http.StatusTeapot, ex.res.Header, ex.res.Body); err == nil {
			t.Errorf("the document accepts status 418")
		}
	})
}

// TestOpenAPIMatchesRouter checks that the document's operations are
// exactly the routes the REST handler serves, and that the parameters it
// documents are the ones the server checks.
func TestOpenAPIMatchesRouter(t *testing.T) {
	env := apitest.Start(t)
	api := loadOpenAPI(t, env)

	routes, err := rest.Routes(rest.New(nil, slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range api.doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(routes)
	slices.Sort(documented)
	if !reflect.DeepEqual(routes, documented) {
		t.Fatalf("router serves %q, document describes %q", routes, documented)
	}

	// Every operation needs the Bearer key.
	if s := api.doc.Components.SecuritySchemes["bearerAuth"]; s == nil || s.Value.Type != "http" || s.Value.Scheme != "bearer" {
		t.Errorf("no HTTP bearer security scheme: %+v", api.doc.Components.SecuritySchemes)
	}
	if len(api.doc.Security) != 1 || api.doc.Security[0]["bearerAuth"] == nil {
		t.Errorf("the document does not require the bearer key: %+v", api.doc.Security)
	}

	tn := newTenant(t, env, "Acme", false)
	now := dbtime.Now()
	a := tn.agent(t, "A", now)
	for i := range 25 {
		tn.conversation(t, a.ID, allStatuses[i%5], now.Add(-time.Duration(i)*time.Second))
	}
	endpoint := testenv.Get(env.MustGraphQL(t, tn.key, `mutation { createWebhookEndpoint(input: {url: "https://example.com/hook"}) { endpoint { id } } }`, nil),
		"createWebhookEndpoint", "endpoint", "id").(string)
	ids := map[string]string{
		"conversations": tn.conversation(t, a.ID, conversation.StatusPending, now).ID.String(),
		"agents":        a.ID.String(),
		"webhooks":      endpoint,
	}

	for path, item := range api.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				t.Fatalf("%s %s: not a secured operation", method, path)
			}
		}
		op := item.Get
		if op == nil {
			continue // the writes' parameters: TestOpenAPIWebhooks
		}
		concrete := path
		for kind, id := range ids {
			concrete = strings.Replace(concrete, kind+"/{id}", kind+"/"+id, 1)
		}
		ok(t, get(t, env, tn.key, concrete))
		for _, ref := range op.Parameters {
			p := ref.Value
			s := p.Schema.Value
			switch p.In {
			case "path":
				wantError(t, get(t, env, tn.key, strings.Replace(path, "{"+p.Name+"}", "not-a-uuid", 1)), http.StatusBadRequest, "invalid_request", p.Name)
			case "query":
				// A value the schema forbids is a 400 naming the parameter.
				var invalid []string
				switch {
				case s.Type.Is("integer"):
					invalid = []string{fmt.Sprint(*s.Min - 1), fmt.Sprint(*s.Max + 1), "x"}
					// The documented default is the server's.
					body := ok(t, get(t, env, tn.key, concrete))
					if n := len(body["data"].([]any)); path == conversationsPath && float64(n) != s.Default {
						t.Errorf("GET %s: %d items without %s, document says default %v", path, n, p.Name, s.Default)
					}
				case len(s.Enum) > 0:
					invalid = []string{"not-a-value"}
					for _, v := range s.Enum {
						ok(t, get(t, env, tn.key, query(concrete, p.Name, v.(string))))
					}
				case s.Format == "uuid":
					invalid = []string{"not-a-uuid"}
					ok(t, get(t, env, tn.key, query(concrete, p.Name, gid.New(gid.Agent).String())))
				default: // cursors
					invalid = []string{"not-a-cursor"}
				}
				for _, v := range invalid {
					wantError(t, get(t, env, tn.key, query(concrete, p.Name, v)), http.StatusBadRequest, "invalid_request", p.Name)
				}
			default:
				t.Errorf("GET %s: unexpected parameter %s in %s", path, p.Name, p.In)
			}
		}
	}
}

// TestOpenAPILimits validates real 429 and 413 answers against the
// document.
func TestOpenAPILimits(t *testing.T) {
	env := apitest.StartWith(t, func(c *api.Config) {
		c.RateLimit = ratelimit.New(0.001, 2)
		c.MaxBodyBytes = 1024
	})
	api := loadOpenAPI(t, env)
	key := env.Key(t, "Acme", false)

	// A GET with a body over the limit.
	req, err := http.NewRequest(http.MethodGet, env.Server.URL+agentsPath, strings.NewReader(strings.Repeat("x", 2048)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := env.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := response{Status: res.StatusCode, Header: res.Header, Body: body}
	wantError(t, r, http.StatusRequestEntityTooLarge, "payload_too_large")
	if err := api.validateResponse(t, req, r.Status, r.Header, r.Body); err != nil {
		t.Errorf("413 answer breaks the document: %v\n%s", err, r.Body)
	}

	// Over the rate limit.
	for range 2 {
		ok(t, get(t, env, key, agentsPath))
	}
	ex := call(t, env, http.MethodGet, key, conversationsPath)
	wantError(t, ex.res, http.StatusTooManyRequests, "rate_limited")
	if err := api.validateResponse(t, ex.req, ex.res.Status, ex.res.Header, ex.res.Body); err != nil {
		t.Errorf("429 answer breaks the document: %v\n%s", err, ex.res.Body)
	}
	// Retry-After is required by the document: an answer without it is rejected.
	h := ex.res.Header.Clone()
	h.Del("Retry-After")
	if err := api.validateResponse(t, ex.req, ex.res.Status, h, ex.res.Body); err == nil {
		t.Errorf("the document accepts a 429 without Retry-After")
	}
}

// TestOpenAPITimeout validates real 504 answers, of every endpoint, against
// the document: the statements stall until the request's deadline.
func TestOpenAPITimeout(t *testing.T) {
	var on atomic.Bool
	stall := testenv.NewStall(func(query string) bool { return on.Load() && !strings.Contains(query, "api_keys") })
	env := apitest.StartOn(t, testenv.Open(t, database.WithDriver(stall.Wrap)), func(c *api.Config) { c.RequestTimeout = 100 * time.Millisecond })
	api := loadOpenAPI(t, env)
	key := env.Key(t, "Acme", false)
	env.WarmKey(t, key)
	on.Store(true)
	id := gid.New(gid.Conversation).String()
	for _, path := range []string{conversationsPath, conversationsPath + "/" + id, conversationsPath + "/" + id + "/transcript", agentsPath, agentsPath + "/" + gid.New(gid.Agent).String()} {
		ex := call(t, env, http.MethodGet, key, path)
		wantError(t, ex.res, http.StatusGatewayTimeout, "timeout")
		if err := api.validateResponse(t, ex.req, ex.res.Status, ex.res.Header, ex.res.Body); err != nil {
			t.Errorf("GET %s: 504 answer breaks the document: %v\n%s", path, err, ex.res.Body)
		}
	}
}
