package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/organization"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/testenv"
)

// response is a raw HTTP answer.
type response = testenv.HTTPResponse

// send makes one request to the test server, with key as Bearer token
// unless key is empty, and reads the whole answer.
func send(t testing.TB, env *apitest.Env, method, key, target string) response {
	t.Helper()
	return env.Send(t, method, key, target, nil, nil)
}

func get(t testing.TB, env *apitest.Env, key, target string) response {
	t.Helper()
	return send(t, env, http.MethodGet, key, target)
}

// query builds a path with query parameters given as name, value pairs.
func query(path string, pairs ...string) string {
	if len(pairs) == 0 {
		return path
	}
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		q.Add(pairs[i], pairs[i+1])
	}
	return path + "?" + q.Encode()
}

const jsonContentType = "application/json; charset=utf-8"

// decode parses r's body as exactly one JSON object, numbers kept as
// json.Number so that integers can be told from other numbers, after
// checking the content type.
func decode(t testing.TB, r response) map[string]any {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != jsonContentType {
		t.Fatalf("Content-Type = %q, want %q (%s)", ct, jsonContentType, r)
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not JSON: %v (%s)", err, r)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("body has more than one JSON value (%s)", r)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("body is not a JSON object (%s)", r)
	}
	return m
}

// ok decodes a 200 answer.
func ok(t testing.TB, r response) map[string]any {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("want 200, got %s", r)
	}
	return decode(t, r)
}

// A shape checks a decoded JSON value; path names the value in messages.
type shape func(t testing.TB, path string, v any)

var (
	uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	// RFC 3339 in UTC, with fractional seconds only when they are non-zero.
	timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d*[1-9])?Z$`)
)

func isUUID(t testing.TB, path string, v any) {
	t.Helper()
	s, ok := v.(string)
	if !ok || !uuidRE.MatchString(s) {
		t.Errorf("%s = %#v, want a canonical lower-case UUID", path, v)
		return
	}
	if _, err := uuid.Parse(s); err != nil {
		t.Errorf("%s = %q: %v", path, s, err)
	}
}

func isTime(t testing.TB, path string, v any) {
	t.Helper()
	s, ok := v.(string)
	if !ok || !timeRE.MatchString(s) {
		t.Errorf("%s = %#v, want an RFC 3339 UTC time ending in Z, fraction only if non-zero", path, v)
		return
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		t.Errorf("%s = %q: %v", path, s, err)
	}
}

func isString(t testing.TB, path string, v any) {
	t.Helper()
	if _, ok := v.(string); !ok {
		t.Errorf("%s = %#v, want a string", path, v)
	}
}

func isBool(t testing.TB, path string, v any) {
	t.Helper()
	if _, ok := v.(bool); !ok {
		t.Errorf("%s = %#v, want a boolean", path, v)
	}
}

// isCount accepts an integer of 0 or more.
func isCount(t testing.TB, path string, v any) {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(n.String(), ".eE") {
		t.Errorf("%s = %#v, want an integer", path, v)
		return
	}
	if i, err := n.Int64(); err != nil || i < 0 {
		t.Errorf("%s = %s, want an integer of 0 or more", path, n)
	}
}

func isAnyObject(t testing.TB, path string, v any) {
	t.Helper()
	if _, ok := v.(map[string]any); !ok {
		t.Errorf("%s = %#v, want an object", path, v)
	}
}

func isAnyArray(t testing.TB, path string, v any) {
	t.Helper()
	if _, ok := v.([]any); !ok {
		t.Errorf("%s = %#v, want an array", path, v)
	}
}

func oneOf(values ...string) shape {
	return func(t testing.TB, path string, v any) {
		t.Helper()
		if s, ok := v.(string); !ok || !slices.Contains(values, s) {
			t.Errorf("%s = %#v, want one of %q", path, v, values)
		}
	}
}

func nullable(s shape) shape {
	return func(t testing.TB, path string, v any) {
		t.Helper()
		if v != nil {
			s(t, path, v)
		}
	}
}

func arrayOf(s shape) shape {
	return func(t testing.TB, path string, v any) {
		t.Helper()
		a, ok := v.([]any)
		if !ok {
			t.Errorf("%s = %#v, want an array", path, v)
			return
		}
		for i, e := range a {
			s(t, fmt.Sprintf("%s[%d]", path, i), e)
		}
	}
}

// object accepts an object with exactly the given fields.
func object(fields map[string]shape) shape {
	return func(t testing.TB, path string, v any) {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s = %#v, want an object", path, v)
			return
		}
		for k := range m {
			if _, ok := fields[k]; !ok {
				t.Errorf("%s has the undocumented field %q", path, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			fv, present := m[k]
			if !present {
				t.Errorf("%s lacks the field %q", path, k)
				continue
			}
			fields[k](t, path+"."+k, fv)
		}
	}
}

// The documented REST objects, as the OpenAPI document (openapi.json) and the README describe them.
var (
	nullString          = nullable(isString)
	participantProfile  = object(map[string]shape{"id": isUUID, "email": nullString, "first_name": nullString, "last_name": nullString, "organization_name": nullString, "organization_domain": nullString, "avatar_image_url": nullString})
	conversationStatus  = oneOf("pending", "in_progress", "completed", "abandoned", "archived")
	conversationFields  = map[string]shape{"id": isUUID, "connection_code": nullString, "agent_id": isUUID, "status": conversationStatus, "started_at": nullable(isTime), "completed_at": nullable(isTime), "turn_count": isCount, "participant_profile": nullable(participantProfile)}
	conversationItem    = object(conversationFields)
	conversationSingle  = object(with(conversationFields, map[string]shape{"session_properties": isAnyObject, "path_taken": isAnyArray}))
	messageShape        = object(map[string]shape{"id": isUUID, "role": oneOf("user", "assistant", "system"), "content": isString, "created_at": isTime, "modality": oneOf("voice", "text")})
	transcriptShape     = object(map[string]shape{"conversation_id": isUUID, "messages": arrayOf(messageShape)})
	agentShape          = object(map[string]shape{"id": isUUID, "name": nullString, "description": nullString, "goal": nullString, "available_modes": arrayOf(isString), "default_mode": nullString, "created_at": isTime, "updated_at": isTime})
	paginationShape     = object(map[string]shape{"has_more": isBool, "next_cursor": nullString, "prev_cursor": nullString})
	conversationList    = object(map[string]shape{"data": arrayOf(conversationItem), "pagination": paginationShape})
	agentList           = object(map[string]shape{"data": arrayOf(agentShape), "pagination": paginationShape})
	conversationAnswer  = object(map[string]shape{"data": conversationSingle})
	transcriptAnswer    = object(map[string]shape{"data": transcriptShape})
	agentAnswer         = object(map[string]shape{"data": agentShape})
	errorCodes          = []string{"invalid_request", "unauthorized", "not_found", "method_not_allowed", "payload_too_large", "rate_limited", "internal_error", "unavailable", "timeout"}
	errorEnvelopeFields = map[string]shape{"code": oneOf(errorCodes...), "message": isString}
	errorEnvelope       = object(map[string]shape{"error": object(errorEnvelopeFields)})
)

func with(a, b map[string]shape) map[string]shape {
	out := map[string]shape{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// wantError checks an error answer: status, content type, the envelope and
// its code, a message naming each of mentions, and no internals.
func wantError(t testing.TB, r response, status int, code string, mentions ...string) string {
	t.Helper()
	if r.Status != status {
		t.Errorf("want HTTP %d %s, got %s", status, code, r)
		return ""
	}
	body := decode(t, r)
	errorEnvelope(t, "body", body)
	e, _ := body["error"].(map[string]any)
	if e["code"] != code {
		t.Errorf("error code = %v, want %q (%s)", e["code"], code, r)
	}
	msg, _ := e["message"].(string)
	if strings.TrimSpace(msg) == "" {
		t.Errorf("empty error message (%s)", r)
	}
	for _, m := range mentions {
		if !strings.Contains(msg, m) {
			t.Errorf("error message %q does not name %q", msg, m)
		}
	}
	// Echoed input is always quoted (%q); only the server's own words count.
	own := quoted.ReplaceAllString(msg, `""`)
	for _, leak := range []string{"SELECT", "sql", "ent:", "goroutine", ".go:", "panic", "graphql", "GraphQL"} {
		if strings.Contains(own, leak) {
			t.Errorf("error message %q shows internals (%q)", msg, leak)
		}
	}
	return msg
}

// quoted matches a Go-quoted string, the form every echoed input takes.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// sys is a context for trusted test code that writes rows directly.
func sys() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

// tenant is an organization and mode with an API key, into which tests
// insert rows directly.
type tenant struct {
	env  *apitest.Env
	key  string
	org  uuid.UUID
	live bool
}

func newTenant(t testing.TB, env *apitest.Env, orgName string, live bool) *tenant {
	t.Helper()
	key := env.Key(t, orgName, live)
	org, err := env.Client.Organization.Query().Where(organization.Name(orgName)).Only(sys())
	if err != nil {
		t.Fatal(err)
	}
	return &tenant{env: env, key: key, org: org.ID, live: live}
}

func (tn *tenant) agent(t testing.TB, name string, createdAt time.Time) *ent.Agent {
	t.Helper()
	a, err := tn.env.Client.Agent.Create().
		SetID(gid.New(gid.Agent)).
		SetOrganizationID(tn.org).SetLivemode(tn.live).
		SetName(name).SetAvailableModes([]string{"voice"}).SetDefaultMode("voice").
		SetCreatedAt(createdAt).SetUpdatedAt(createdAt).
		Save(sys())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// newConversation returns a builder for a conversation of tn, to be saved
// by the caller (alone or in bulk).
func (tn *tenant) newConversation(agentID uuid.UUID, status conversation.Status, createdAt time.Time) *ent.ConversationCreate {
	return tn.env.Client.Conversation.Create().
		SetID(gid.New(gid.Conversation)).
		SetOrganizationID(tn.org).SetLivemode(tn.live).
		SetAgentID(agentID).SetStatus(status).
		SetCreatedAt(createdAt).SetUpdatedAt(createdAt)
}

func (tn *tenant) conversation(t testing.TB, agentID uuid.UUID, status conversation.Status, createdAt time.Time) *ent.Conversation {
	t.Helper()
	c, err := tn.newConversation(agentID, status, createdAt).Save(sys())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// saveConversations inserts builders in batches.
func saveConversations(t testing.TB, env *apitest.Env, builders []*ent.ConversationCreate) []*ent.Conversation {
	t.Helper()
	var out []*ent.Conversation
	for len(builders) > 0 {
		n := min(len(builders), 100)
		cs, err := env.Client.Conversation.CreateBulk(builders[:n]...).Save(sys())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cs...)
		builders = builders[n:]
	}
	return out
}

// newestFirst sorts conversations the way lists are ordered: creation time,
// then ID, both descending.
func newestFirst(cs []*ent.Conversation) []*ent.Conversation {
	cs = slices.Clone(cs)
	slices.SortFunc(cs, func(a, b *ent.Conversation) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID.String(), a.ID.String())
	})
	return cs
}

func ids(cs []*ent.Conversation) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID.String()
	}
	return out
}

// dataIDs returns the ids of a list answer's items.
func dataIDs(t testing.TB, body map[string]any) []string {
	t.Helper()
	data, ok := body["data"].([]any)
	if !ok {
		t.Fatalf("data = %#v, want an array", body["data"])
	}
	out := make([]string, len(data))
	for i, item := range data {
		out[i], _ = testenv.Get(item, "id").(string)
	}
	return out
}

// cursor returns a pagination cursor of a list answer, "" for null.
func cursor(t testing.TB, body map[string]any, name string) string {
	t.Helper()
	v := testenv.Get(body, "pagination", name)
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok || s == "" {
		t.Fatalf("pagination.%s = %#v, want a non-empty string or null", name, v)
	}
	return s
}
