package rest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/apikey"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	keys "github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/testenv"
)

const (
	conversationsPath = "/v1/backend/conversations"
	agentsPath        = "/v1/backend/agents"
)

func conversationPath(id string) string { return conversationsPath + "/" + id }
func transcriptPath(id string) string   { return conversationsPath + "/" + id + "/transcript" }
func messagesPath(id string) string     { return conversationsPath + "/" + id + "/messages" }
func agentPath(id string) string        { return agentsPath + "/" + id }

// canonical re-encodes a decoded JSON value, for comparing values whose
// numbers were decoded as json.Number with values written in Go.
func canonical(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	b, err = json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameValue(t testing.TB, what string, got, want any) {
	t.Helper()
	if g, w := canonical(t, got), canonical(t, want); g != w {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

const (
	gqlCreateAgent       = `mutation($input: CreateAgentInput!) { createAgent(input: $input) { id createdAt updatedAt } }`
	gqlCreateParticipant = `mutation($input: CreateParticipantInput!) { createParticipant(input: $input) { id } }`
	gqlStart             = `mutation($input: CreateConversationInput!) { startConversation(input: $input) { id connectionCode } }`
	gqlAppend            = `mutation($id: ID!, $messages: [AppendMessageInput!]!) { appendMessages(conversationID: $id, messages: $messages) { conversation { id } } }`
	gqlSetStatus         = `mutation($id: ID!, $status: ConversationStatus!) { setConversationStatus(id: $id, status: $status) { id completedAt } }`
)

// TestConversationObjects checks the exact shape and values of
// conversations, list items and single objects, for conversations written
// through the API and rows inserted directly.
func TestConversationObjects(t *testing.T) {
	env := apitest.Start(t)
	tn := newTenant(t, env, "Acme", false)
	key := tn.key

	agentID := testenv.Get(env.MustGraphQL(t, key, gqlCreateAgent, map[string]any{"input": map[string]any{"name": "Interviewer"}}), "createAgent", "id").(string)
	participant := map[string]any{
		"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
		"organizationName": "Analytical Engines", "organizationDomain": "example.com", "avatarImageURL": "https://example.com/ada.png",
	}
	participantID := testenv.Get(env.MustGraphQL(t, key, gqlCreateParticipant, map[string]any{"input": participant}), "createParticipant", "id").(string)

	// full: a participant, session properties and path, messages (the first
	// one stamped in another zone), completed.
	sessionProperties := map[string]any{"locale": "en-US", "score": 1.5, "flag": true, "none": nil, "nested": map[string]any{"list": []any{1, "two"}}}
	pathTaken := []any{"greeting", map[string]any{"step": 2}, 3, nil}
	data := env.MustGraphQL(t, key, gqlStart, map[string]any{"input": map[string]any{
		"agentID": agentID, "participantID": participantID, "sessionProperties": sessionProperties, "pathTaken": pathTaken,
	}})
	full := testenv.Get(data, "startConversation", "id").(string)
	fullCode := testenv.Get(data, "startConversation", "connectionCode").(string)
	env.MustGraphQL(t, key, gqlAppend, map[string]any{"id": full, "messages": []any{
		map[string]any{"role": "assistant", "content": "Hello!", "modality": "voice", "createdAt": "2026-01-02T05:04:05.5+02:00"},
		map[string]any{"role": "user", "content": "Hi.", "modality": "voice"},
		map[string]any{"role": "system", "content": "note", "modality": "text"},
	}})
	completedAt := testenv.Get(env.MustGraphQL(t, key, gqlSetStatus, map[string]any{"id": full, "status": "completed"}), "setConversationStatus", "completedAt").(string)

	// bare: nothing but an agent, still pending.
	data = env.MustGraphQL(t, key, gqlStart, map[string]any{"input": map[string]any{"agentID": agentID}})
	bare := testenv.Get(data, "startConversation", "id").(string)
	bareCode := testenv.Get(data, "startConversation", "connectionCode").(string)

	// direct: inserted, no connection code, a participant with no details,
	// times with a zero and a small fraction.
	p, err := env.Client.Participant.Create().SetID(gid.New(gid.Participant)).SetOrganizationID(tn.org).SetLivemode(false).Save(sys())
	if err != nil {
		t.Fatal(err)
	}
	c, err := tn.newConversation(uuid.MustParse(agentID), conversation.StatusArchived, dbtime.Of(time.Now().Add(time.Hour))).
		SetParticipantID(p.ID).
		SetStartedAt(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)).
		SetCompletedAt(time.Date(2025, 3, 4, 5, 36, 7, 123000, time.UTC)).
		SetTurnCount(7).SetMessageCount(9).
		Save(sys())
	if err != nil {
		t.Fatal(err)
	}
	direct := c.ID.String()

	want := map[string]map[string]any{
		full: {
			"id": full, "connection_code": fullCode, "agent_id": agentID, "status": "completed",
			"started_at": "2026-01-02T03:04:05.5Z", "completed_at": completedAt, "turn_count": 2,
			"participant_profile": map[string]any{
				"id": participantID, "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace",
				"organization_name": "Analytical Engines", "organization_domain": "example.com", "avatar_image_url": "https://example.com/ada.png",
			},
		},
		bare: {
			"id": bare, "connection_code": bareCode, "agent_id": agentID, "status": "pending",
			"started_at": nil, "completed_at": nil, "turn_count": 0, "participant_profile": nil,
		},
		direct: {
			"id": direct, "connection_code": nil, "agent_id": agentID, "status": "archived",
			"started_at": "2025-03-04T05:06:07Z", "completed_at": "2025-03-04T05:36:07.000123Z", "turn_count": 7,
			"participant_profile": map[string]any{
				"id": p.ID.String(), "email": nil, "first_name": nil, "last_name": nil,
				"organization_name": nil, "organization_domain": nil, "avatar_image_url": nil,
			},
		},
	}
	wantSingle := map[string]map[string]any{
		full:   with2(want[full], map[string]any{"session_properties": sessionProperties, "path_taken": pathTaken}),
		bare:   with2(want[bare], map[string]any{"session_properties": map[string]any{}, "path_taken": []any{}}),
		direct: with2(want[direct], map[string]any{"session_properties": map[string]any{}, "path_taken": []any{}}),
	}

	t.Run("list", func(t *testing.T) {
		body := ok(t, get(t, env, key, conversationsPath))
		conversationList(t, "body", body)
		if got, wantIDs := dataIDs(t, body), []string{direct, bare, full}; !reflect.DeepEqual(got, wantIDs) {
			t.Fatalf("list = %v, want newest first %v", got, wantIDs)
		}
		for i, item := range body["data"].([]any) {
			id := item.(map[string]any)["id"].(string)
			sameValue(t, fmt.Sprintf("data[%d]", i), item, want[id])
		}
		sameValue(t, "pagination", body["pagination"], map[string]any{"has_more": false, "next_cursor": nil, "prev_cursor": nil})
	})

	t.Run("single", func(t *testing.T) {
		for _, id := range []string{full, bare, direct} {
			body := ok(t, get(t, env, key, conversationPath(id)))
			conversationAnswer(t, "body", body)
			sameValue(t, id, body["data"], wantSingle[id])
		}
		// The empty values are exactly {} and [] in the bytes sent.
		raw := get(t, env, key, conversationPath(bare)).Body
		for _, s := range []string{`"session_properties":{}`, `"path_taken":[]`, `"participant_profile":null`, `"started_at":null`} {
			if !bytes.Contains(raw, []byte(s)) {
				t.Errorf("body %s lacks %s", raw, s)
			}
		}
	})

	t.Run("ids in other forms", func(t *testing.T) {
		// An upper-case path ID names the same object, answered in lower case.
		body := ok(t, get(t, env, key, conversationPath(strings.ToUpper(full))))
		if got := testenv.Get(body, "data", "id"); got != full {
			t.Errorf("id = %v, want %s", got, full)
		}
	})
}

func with2(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestAgentObjects(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)

	data := env.MustGraphQL(t, key, gqlCreateAgent, map[string]any{"input": map[string]any{"name": "Minimal"}})
	minimal := testenv.Get(data, "createAgent").(map[string]any)
	data = env.MustGraphQL(t, key, gqlCreateAgent, map[string]any{"input": map[string]any{
		"name": "Churn interviewer", "description": "Talks to churned customers", "goal": "Learn why customers leave",
		"availableModes": []string{"voice", "text"}, "defaultMode": "text",
	}})
	full := testenv.Get(data, "createAgent").(map[string]any)
	want := map[string]map[string]any{
		minimal["id"].(string): {
			"id": minimal["id"], "name": "Minimal", "description": nil, "goal": nil,
			"available_modes": []any{}, "default_mode": nil, "created_at": minimal["createdAt"], "updated_at": minimal["updatedAt"],
		},
		full["id"].(string): {
			"id": full["id"], "name": "Churn interviewer", "description": "Talks to churned customers", "goal": "Learn why customers leave",
			"available_modes": []any{"voice", "text"}, "default_mode": "text", "created_at": full["createdAt"], "updated_at": full["updatedAt"],
		},
	}

	body := ok(t, get(t, env, key, agentsPath))
	agentList(t, "body", body)
	if got, wantIDs := dataIDs(t, body), []string{full["id"].(string), minimal["id"].(string)}; !reflect.DeepEqual(got, wantIDs) {
		t.Fatalf("agents = %v, want newest first %v", got, wantIDs)
	}
	for i, item := range body["data"].([]any) {
		sameValue(t, fmt.Sprintf("data[%d]", i), item, want[item.(map[string]any)["id"].(string)])
	}
	sameValue(t, "pagination", body["pagination"], map[string]any{"has_more": false, "next_cursor": nil, "prev_cursor": nil})

	for id, w := range want {
		body := ok(t, get(t, env, key, agentPath(id)))
		agentAnswer(t, "body", body)
		sameValue(t, id, body["data"], w)
	}
}

// TestTranscript checks that a transcript is complete, oldest first by
// position even where timestamps tie and IDs do not follow positions, and
// the same on every read.
func TestTranscript(t *testing.T) {
	env := apitest.Start(t)
	tn := newTenant(t, env, "Acme", false)
	a := tn.agent(t, "Interviewer", dbtime.Now())
	c := tn.conversation(t, a.ID, conversation.StatusInProgress, dbtime.Now())

	const n = 60
	base := time.Date(2026, 2, 3, 4, 5, 6, 250000000, time.UTC)
	roles := []message.Role{message.RoleSystem, message.RoleAssistant, message.RoleUser}
	modalities := []message.Modality{message.ModalityVoice, message.ModalityText}
	type msg struct {
		id       string
		position int
		role     message.Role
		content  string
		at       time.Time
		modality message.Modality
	}
	msgs := make([]msg, n)
	for i := range msgs {
		pos := i + 1
		msgs[i] = msg{
			position: pos, role: roles[i%3], modality: modalities[i/7%2],
			content: fmt.Sprintf("message %02d", pos),
			at:      base.Add(time.Duration(i/6) * time.Second), // six messages per timestamp
		}
	}
	// Insert in a shuffled order, so that neither IDs nor insertion order
	// follow positions.
	order := rand.New(rand.NewPCG(7, 11)).Perm(n)
	builders := make([]*ent.MessageCreate, n)
	for j, i := range order {
		m := &msgs[i]
		id := gid.New(gid.Message)
		m.id = id.String()
		builders[j] = env.Client.Message.Create().SetID(id).
			SetOrganizationID(tn.org).SetLivemode(false).
			SetConversationID(c.ID).SetPosition(m.position).
			SetRole(m.role).SetContent(m.content).SetModality(m.modality).
			SetCreatedAt(m.at).SetUpdatedAt(m.at)
	}
	if _, err := env.Client.Message.CreateBulk(builders...).Save(sys()); err != nil {
		t.Fatal(err)
	}

	first := get(t, env, tn.key, transcriptPath(c.ID.String()))
	body := ok(t, first)
	transcriptAnswer(t, "body", body)
	if got := testenv.Get(body, "data", "conversation_id"); got != c.ID.String() {
		t.Errorf("conversation_id = %v, want %s", got, c.ID)
	}
	got := testenv.Get(body, "data", "messages").([]any)
	if len(got) != n {
		t.Fatalf("transcript has %d messages, want %d", len(got), n)
	}
	for i, m := range msgs {
		want := map[string]any{"id": m.id, "role": string(m.role), "content": m.content, "created_at": m.at.Format(time.RFC3339Nano), "modality": string(m.modality)}
		sameValue(t, fmt.Sprintf("messages[%d]", i), got[i], want)
	}
	if got[0].(map[string]any)["created_at"] != "2026-02-03T04:05:06.25Z" {
		t.Errorf("first message created_at = %v", got[0].(map[string]any)["created_at"])
	}
	again := get(t, env, tn.key, transcriptPath(c.ID.String()))
	if !bytes.Equal(first.Body, again.Body) {
		t.Errorf("two reads of one transcript differ:\n%s\n%s", first.Body, again.Body)
	}

	// A conversation without messages has an empty list, not null.
	empty := tn.conversation(t, a.ID, conversation.StatusPending, dbtime.Now())
	body = ok(t, get(t, env, tn.key, transcriptPath(empty.ID.String())))
	transcriptAnswer(t, "body", body)
	sameValue(t, "empty transcript", body["data"], map[string]any{"conversation_id": empty.ID.String(), "messages": []any{}})
}

// TestErrors checks every documented error case of the five endpoints.
func TestErrors(t *testing.T) {
	env := apitest.Start(t)
	tn := newTenant(t, env, "Acme", false)
	key := tn.key
	now := dbtime.Now()
	a := tn.agent(t, "Interviewer", now)
	c := tn.conversation(t, a.ID, conversation.StatusCompleted, now)
	tn.conversation(t, a.ID, conversation.StatusPending, now.Add(time.Second))
	tn.agent(t, "Second", now.Add(time.Second))
	endpoints := []string{conversationsPath, conversationPath(c.ID.String()), transcriptPath(c.ID.String()), agentsPath, agentPath(a.ID.String())}

	// Valid cursors, for the cases that need one.
	convCursor := cursor(t, ok(t, get(t, env, key, query(conversationsPath, "limit", "1"))), "next_cursor")
	agentCursor := cursor(t, ok(t, get(t, env, key, query(agentsPath, "limit", "1"))), "next_cursor")

	t.Run("authentication", func(t *testing.T) {
		revoked := env.Key(t, "Acme", false)
		k, err := env.Client.APIKey.Query().Where(apikey.SecretHash(keys.Digest(revoked))).Only(sys())
		if err != nil {
			t.Fatal(err)
		}
		ok(t, get(t, env, revoked, conversationsPath)) // works until revoked
		if _, err := keys.Revoke(sys(), env.Client, k.ID); err != nil {
			t.Fatal(err)
		}
		headers := map[string]string{
			"missing":          "",
			"empty bearer":     "Bearer ",
			"not bearer":       "Basic " + key,
			"malformed":        "Bearer not-a-key",
			"short":            "Bearer sk_test_abc",
			"unknown":          "Bearer sk_test_" + strings.Repeat("x", 32),
			"other mode":       "Bearer sk_live_" + strings.TrimPrefix(key, "sk_test_"),
			"revoked":          "Bearer " + revoked,
			"key without type": key,
		}
		for name, h := range headers {
			for _, ep := range endpoints {
				req, err := http.NewRequest(http.MethodGet, env.Server.URL+ep, nil)
				if err != nil {
					t.Fatal(err)
				}
				if h != "" {
					req.Header.Set("Authorization", h)
				}
				res, err := env.Server.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				_, _ = buf.ReadFrom(res.Body)
				res.Body.Close()
				t.Run(name+" "+ep, func(t *testing.T) {
					wantError(t, response{Status: res.StatusCode, Header: res.Header, Body: buf.Bytes()}, http.StatusUnauthorized, "unauthorized")
				})
			}
		}
	})

	t.Run("list parameters", func(t *testing.T) {
		cases := []struct {
			name, path string
			params     []string
			mentions   []string
		}{
			{"limit 0", conversationsPath, []string{"limit", "0"}, []string{"limit"}},
			{"limit 101", conversationsPath, []string{"limit", "101"}, []string{"limit"}},
			{"limit abc", conversationsPath, []string{"limit", "abc"}, []string{"limit"}},
			{"limit 5.5", conversationsPath, []string{"limit", "5.5"}, []string{"limit"}},
			{"limit -1", conversationsPath, []string{"limit", "-1"}, []string{"limit"}},
			{"limit empty", conversationsPath, []string{"limit", ""}, []string{"limit"}},
			{"limit 1e1", conversationsPath, []string{"limit", "1e1"}, []string{"limit"}},
			{"agents limit 0", agentsPath, []string{"limit", "0"}, []string{"limit"}},
			{"agents limit 101", agentsPath, []string{"limit", "101"}, []string{"limit"}},
			{"agents limit abc", agentsPath, []string{"limit", "abc"}, []string{"limit"}},
			{"agents limit 5.5", agentsPath, []string{"limit", "5.5"}, []string{"limit"}},
			{"after and before", conversationsPath, []string{"after", convCursor, "before", convCursor}, []string{"after", "before"}},
			{"agents after and before", agentsPath, []string{"after", agentCursor, "before", agentCursor}, []string{"after", "before"}},
			{"after garbage", conversationsPath, []string{"after", "garbage"}, []string{"after"}},
			{"before garbage", conversationsPath, []string{"before", "not a cursor!"}, []string{"before"}},
			{"after empty", conversationsPath, []string{"after", ""}, []string{"after"}},
			{"agents after garbage", agentsPath, []string{"after", "garbage"}, []string{"after"}},
			{"agents before garbage", agentsPath, []string{"before", "Z2FyYmFnZQ=="}, []string{"before"}},
			{"status unknown", conversationsPath, []string{"status", "done"}, []string{"status"}},
			{"status upper case", conversationsPath, []string{"status", "COMPLETED"}, []string{"status"}},
			{"status empty", conversationsPath, []string{"status", ""}, []string{"status"}},
			{"agent_id not a UUID", conversationsPath, []string{"agent_id", "nope"}, []string{"agent_id"}},
			{"agent_id truncated", conversationsPath, []string{"agent_id", a.ID.String()[:35]}, []string{"agent_id"}},
			{"agent_id braced", conversationsPath, []string{"agent_id", "{" + a.ID.String() + "}"}, []string{"agent_id"}},
			{"limit twice", conversationsPath, []string{"limit", "5", "limit", "5"}, []string{"limit"}},
			{"status twice", conversationsPath, []string{"status", "pending", "status", "completed"}, []string{"status"}},
			{"agents after twice", agentsPath, []string{"after", agentCursor, "after", agentCursor}, []string{"after"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, get(t, env, key, query(tc.path, tc.params...)), http.StatusBadRequest, "invalid_request", tc.mentions...)
			})
		}
		// The limits themselves are accepted.
		for _, l := range []string{"1", "100"} {
			ok(t, get(t, env, key, query(conversationsPath, "limit", l)))
			ok(t, get(t, env, key, query(agentsPath, "limit", l)))
		}
		// Each status is accepted and filters.
		for _, s := range []string{"pending", "in_progress", "completed", "abandoned", "archived"} {
			body := ok(t, get(t, env, key, query(conversationsPath, "status", s)))
			for i, item := range body["data"].([]any) {
				if item.(map[string]any)["status"] != s {
					t.Errorf("status=%s: data[%d] = %v", s, i, item)
				}
			}
		}
	})

	t.Run("cursor of another ordering", func(t *testing.T) {
		// A well-formed GraphQL cursor that is not a position in a REST list.
		data := env.MustGraphQL(t, key, `{ conversations(first: 1, orderBy: {field: STATUS, direction: ASC}) { edges { cursor } pageInfo { endCursor } } }`, nil)
		foreign := testenv.Get(data, "conversations", "pageInfo", "endCursor").(string)
		wantError(t, get(t, env, key, query(conversationsPath, "after", foreign)), http.StatusBadRequest, "invalid_request", "after")
		wantError(t, get(t, env, key, query(conversationsPath, "before", foreign)), http.StatusBadRequest, "invalid_request", "before")
	})

	t.Run("unknown agent_id", func(t *testing.T) {
		for _, id := range []string{gid.New(gid.Agent).String(), uuid.NewString(), "00000000-0000-0000-0000-000000000000"} {
			body := ok(t, get(t, env, key, query(conversationsPath, "agent_id", id)))
			conversationList(t, "body", body)
			sameValue(t, "answer for agent_id "+id, body, map[string]any{"data": []any{}, "pagination": map[string]any{"has_more": false, "next_cursor": nil, "prev_cursor": nil}})
		}
		// A known agent_id filters.
		body := ok(t, get(t, env, key, query(conversationsPath, "agent_id", a.ID.String())))
		if n := len(body["data"].([]any)); n != 2 {
			t.Errorf("agent_id=%s gives %d conversations, want 2", a.ID, n)
		}
	})

	t.Run("path id not a UUID", func(t *testing.T) {
		for _, bad := range []string{"nope", "123", c.ID.String()[:35], c.ID.String() + "0", strings.ReplaceAll(c.ID.String(), "-", ""), "%7B" + c.ID.String() + "%7D"} {
			for _, path := range []string{conversationPath(bad), transcriptPath(bad), agentPath(bad)} {
				wantError(t, get(t, env, key, path), http.StatusBadRequest, "invalid_request", "id")
			}
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		for _, path := range []string{
			conversationPath(gid.New(gid.Conversation).String()),
			transcriptPath(gid.New(gid.Conversation).String()),
			agentPath(gid.New(gid.Agent).String()),
			conversationPath(uuid.NewString()), // no type tag
			agentPath(uuid.NewString()),
			conversationPath(a.ID.String()), // an agent's ID is no conversation
			transcriptPath(a.ID.String()),
			agentPath(c.ID.String()),
		} {
			id := strings.Split(strings.TrimPrefix(path, "/v1/backend/"), "/")[1]
			wantError(t, get(t, env, key, path), http.StatusNotFound, "not_found", id)
		}
	})

	t.Run("unknown route", func(t *testing.T) {
		for _, path := range []string{
			"/v1/backend/", "/v1/backend/nope", "/v1/backend/participants", "/v1/backend/conversations/",
			"/v1/backend/conversations/" + c.ID.String() + "/notes", "/v1/backend/agents/" + a.ID.String() + "/transcript",
			"/v1/backend/conversations/" + c.ID.String() + "/transcript/x", "/v1/backend/Conversations",
		} {
			wantError(t, get(t, env, key, path), http.StatusNotFound, "not_found")
		}
	})

	t.Run("wrong method", func(t *testing.T) {
		for _, ep := range endpoints {
			for _, method := range []string{http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodPatch} {
				r := send(t, env, method, key, ep)
				wantError(t, r, http.StatusMethodNotAllowed, "method_not_allowed", method)
				if allow := r.Header.Get("Allow"); !strings.Contains(allow, http.MethodGet) {
					t.Errorf("%s %s: Allow = %q, want GET in it", method, ep, allow)
				}
			}
		}
	})
}

// TestOtherTenantsLookMissing checks that an ID of another organization,
// or of the key's own organization in the other mode, is answered byte for
// byte like an ID that exists nowhere, and never appears in a list.
func TestOtherTenantsLookMissing(t *testing.T) {
	env := apitest.Start(t)
	now := dbtime.Now()
	me := newTenant(t, env, "Acme", false)
	others := map[string]*tenant{
		"another organization": newTenant(t, env, "Globex", false),
		"the other mode":       newTenant(t, env, "Acme", true),
	}
	mine := me.agent(t, "Mine", now)
	myConv := me.conversation(t, mine.ID, conversation.StatusPending, now)

	type rows struct{ agent, conv string }
	theirs := map[string]rows{}
	for name, o := range others {
		a := o.agent(t, "Theirs", now.Add(time.Second))
		c := o.conversation(t, a.ID, conversation.StatusCompleted, now.Add(time.Second))
		if _, err := env.Client.Message.Create().SetOrganizationID(o.org).SetLivemode(o.live).SetConversationID(c.ID).
			SetPosition(1).SetRole(message.RoleUser).SetContent("secret").SetModality(message.ModalityText).Save(sys()); err != nil {
			t.Fatal(err)
		}
		theirs[name] = rows{agent: a.ID.String(), conv: c.ID.String()}
		// The owner sees its rows: they exist.
		ok(t, get(t, env, o.key, conversationPath(c.ID.String())))
		ok(t, get(t, env, o.key, transcriptPath(c.ID.String())))
		ok(t, get(t, env, o.key, agentPath(a.ID.String())))
	}

	for name, r := range theirs {
		t.Run(name, func(t *testing.T) {
			missingConv, missingAgent := gid.New(gid.Conversation).String(), gid.New(gid.Agent).String()
			for _, tc := range []struct {
				what              string
				foreign, missing  string
				foreignID, missID string
			}{
				{"conversation", conversationPath(r.conv), conversationPath(missingConv), r.conv, missingConv},
				{"transcript", transcriptPath(r.conv), transcriptPath(missingConv), r.conv, missingConv},
				{"agent", agentPath(r.agent), agentPath(missingAgent), r.agent, missingAgent},
			} {
				foreign, missing := get(t, env, me.key, tc.foreign), get(t, env, me.key, tc.missing)
				wantError(t, foreign, http.StatusNotFound, "not_found", tc.foreignID)
				wantError(t, missing, http.StatusNotFound, "not_found", tc.missID)
				f := bytes.ReplaceAll(foreign.Body, []byte(tc.foreignID), []byte("<id>"))
				m := bytes.ReplaceAll(missing.Body, []byte(tc.missID), []byte("<id>"))
				if !bytes.Equal(f, m) {
					t.Errorf("%s: a foreign ID is answered\n%s\nbut a missing one\n%s", tc.what, foreign.Body, missing.Body)
				}
				if foreign.Header.Get("Content-Type") != missing.Header.Get("Content-Type") {
					t.Errorf("%s: content types differ", tc.what)
				}
			}
			// Filtering by their agent gives the empty page an unknown agent gives.
			sameValue(t, "conversations of a foreign agent", ok(t, get(t, env, me.key, query(conversationsPath, "agent_id", r.agent))),
				ok(t, get(t, env, me.key, query(conversationsPath, "agent_id", gid.New(gid.Agent).String()))))
		})
	}

	// Lists show only the key's own rows.
	if got := dataIDs(t, ok(t, get(t, env, me.key, conversationsPath))); !reflect.DeepEqual(got, []string{myConv.ID.String()}) {
		t.Errorf("conversations = %v, want only %s", got, myConv.ID)
	}
	if got := dataIDs(t, ok(t, get(t, env, me.key, agentsPath))); !reflect.DeepEqual(got, []string{mine.ID.String()}) {
		t.Errorf("agents = %v, want only %s", got, mine.ID)
	}
}

// TestCursorsAreGraphQLCursors checks that REST cursors are the cursors the
// GraphQL connections give for the same rows, in both directions.
func TestCursorsAreGraphQLCursors(t *testing.T) {
	env := apitest.Start(t)
	tn := newTenant(t, env, "Acme", false)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	statuses := []conversation.Status{conversation.StatusPending, conversation.StatusCompleted, conversation.StatusArchived}
	var builders []*ent.ConversationCreate
	var agentIDs []string
	for i := range 6 {
		agentIDs = append(agentIDs, tn.agent(t, fmt.Sprintf("Agent %d", i), base.Add(time.Duration(i%3)*time.Minute)).ID.String())
	}
	for i := range 40 {
		// Timestamps repeat, so cursors must carry the ID too.
		builders = append(builders, tn.newConversation(uuid.MustParse(agentIDs[i%2]), statuses[i%3], base.Add(time.Duration(i%9)*time.Second+time.Duration(i%2)*123456*time.Microsecond)))
	}
	saveConversations(t, env, builders)

	const gql = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: ConversationWhereInput) {
	  conversations(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: {field: CREATED_AT, direction: DESC}) {
	    edges { cursor node { id } }
	    pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
	  }
	}`
	type gqlPage struct {
		ids                  []string
		startCursor, endCur  string
		hasNext, hasPrevious bool
	}
	fetch := func(t *testing.T, vars map[string]any) gqlPage {
		t.Helper()
		data := env.MustGraphQL(t, tn.key, gql, vars)
		var p gqlPage
		for _, e := range testenv.Get(data, "conversations", "edges").([]any) {
			p.ids = append(p.ids, testenv.Get(e, "node", "id").(string))
		}
		info := testenv.Get(data, "conversations", "pageInfo").(map[string]any)
		p.startCursor, _ = info["startCursor"].(string)
		p.endCur, _ = info["endCursor"].(string)
		p.hasNext, p.hasPrevious = info["hasNextPage"].(bool), info["hasPreviousPage"].(bool)
		return p
	}

	for _, filter := range []struct {
		name  string
		rest  []string
		where map[string]any
	}{
		{"no filter", nil, map[string]any{}},
		{"status", []string{"status", "completed"}, map[string]any{"status": "completed"}},
		{"agent", []string{"agent_id", agentIDs[1]}, map[string]any{"agentID": agentIDs[1]}},
	} {
		for _, n := range []int{5, 7} {
			t.Run(fmt.Sprintf("%s limit %d", filter.name, n), func(t *testing.T) {
				limit := fmt.Sprint(n)
				r1 := ok(t, get(t, env, tn.key, query(conversationsPath, append([]string{"limit", limit}, filter.rest...)...)))
				g1 := fetch(t, map[string]any{"first": n, "where": filter.where})
				if !reflect.DeepEqual(dataIDs(t, r1), g1.ids) {
					t.Fatalf("page 1: REST %v, GraphQL %v", dataIDs(t, r1), g1.ids)
				}
				if got := cursor(t, r1, "next_cursor"); got != g1.endCur || !g1.hasNext {
					t.Fatalf("page 1: REST next_cursor %q, GraphQL endCursor %q (hasNextPage %v)", got, g1.endCur, g1.hasNext)
				}
				// Page 2, from the REST cursor and from the GraphQL one.
				r2 := ok(t, get(t, env, tn.key, query(conversationsPath, append([]string{"limit", limit, "after", g1.endCur}, filter.rest...)...)))
				g2 := fetch(t, map[string]any{"first": n, "after": cursor(t, r1, "next_cursor"), "where": filter.where})
				if !reflect.DeepEqual(dataIDs(t, r2), g2.ids) {
					t.Fatalf("page 2: REST %v, GraphQL %v", dataIDs(t, r2), g2.ids)
				}
				if got := cursor(t, r2, "prev_cursor"); got != g2.startCursor {
					t.Errorf("page 2: REST prev_cursor %q, GraphQL startCursor %q", got, g2.startCursor)
				}
				// On the last page nothing follows: null, whatever GraphQL's endCursor.
				if got := cursor(t, r2, "next_cursor"); g2.hasNext && got != g2.endCur || !g2.hasNext && got != "" {
					t.Errorf("page 2: REST next_cursor %q, GraphQL endCursor %q (hasNextPage %v)", got, g2.endCur, g2.hasNext)
				}
				// Back from page 2 is page 1, in both APIs.
				rb := ok(t, get(t, env, tn.key, query(conversationsPath, append([]string{"limit", limit, "before", g2.startCursor}, filter.rest...)...)))
				gb := fetch(t, map[string]any{"last": n, "before": cursor(t, r2, "prev_cursor"), "where": filter.where})
				if !reflect.DeepEqual(dataIDs(t, rb), g1.ids) || !reflect.DeepEqual(gb.ids, g1.ids) {
					t.Errorf("back from page 2: REST %v, GraphQL %v, want %v", dataIDs(t, rb), gb.ids, g1.ids)
				}
				if got := cursor(t, rb, "next_cursor"); got != gb.endCur || got != g1.endCur {
					t.Errorf("back from page 2: REST next_cursor %q, GraphQL endCursor %q", got, gb.endCur)
				}
			})
		}
	}

	t.Run("agents", func(t *testing.T) {
		const agentsGQL = `query($after: Cursor) { agents(first: 4, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node { id } } pageInfo { startCursor endCursor } } }`
		r1 := ok(t, get(t, env, tn.key, query(agentsPath, "limit", "4")))
		g1 := env.MustGraphQL(t, tn.key, agentsGQL, nil)
		if got, want := cursor(t, r1, "next_cursor"), testenv.Get(g1, "agents", "pageInfo", "endCursor"); got != want {
			t.Errorf("agents next_cursor %q, GraphQL endCursor %v", got, want)
		}
		r2 := ok(t, get(t, env, tn.key, query(agentsPath, "limit", "4", "after", cursor(t, r1, "next_cursor"))))
		g2 := env.MustGraphQL(t, tn.key, agentsGQL, map[string]any{"after": cursor(t, r1, "next_cursor")})
		if got, want := cursor(t, r2, "prev_cursor"), testenv.Get(g2, "agents", "pageInfo", "startCursor"); got != want {
			t.Errorf("agents page 2 prev_cursor %q, GraphQL startCursor %v", got, want)
		}
		var gids []string
		for _, e := range testenv.Get(g2, "agents", "edges").([]any) {
			gids = append(gids, testenv.Get(e, "node", "id").(string))
		}
		if got := dataIDs(t, r2); !reflect.DeepEqual(got, gids) || len(got) != 2 {
			t.Errorf("agents page 2: REST %v, GraphQL %v", got, gids)
		}
	})
}

// TestOpenAPIServed checks that the document is served without a key.
func TestOpenAPIServed(t *testing.T) {
	env := apitest.Start(t)
	r := get(t, env, "", "/v1/backend/openapi.json")
	body := ok(t, r)
	if body["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", body["openapi"])
	}
	if _, ok := body["paths"].(map[string]any); !ok {
		t.Errorf("no paths in %s", r.Body)
	}
}

// REST details a new user trips on: a misspelt parameter is named, not
// ignored; HEAD answers like GET without a body; the prefix alone is a
// JSON 404, not an HTML redirect.
func TestRESTDetails(t *testing.T) {
	env := apitest.Start(t)
	tn := newTenant(t, env, "Acme", false)
	a := tn.agent(t, "Interviewer", dbtime.Now())
	c := tn.conversation(t, a.ID, conversation.StatusCompleted, dbtime.Now())

	for _, tc := range []struct{ path, param string }{
		{query(conversationsPath, "Status", "completed"), "Status"},
		{query(conversationsPath, "limit", "5", "agentId", a.ID.String()), "agentId"},
		{query(agentsPath, "status", "completed"), "status"},
		{query(conversationPath(c.ID.String()), "expand", "agent"), "expand"},
		{query(messagesPath(c.ID.String()), "order", "desc"), "order"},
	} {
		msg := wantError(t, get(t, env, tn.key, tc.path), http.StatusBadRequest, "invalid_request", tc.param)
		if !strings.Contains(msg, "unknown query parameter") {
			t.Errorf("%s: message %q", tc.path, msg)
		}
	}

	for _, path := range []string{conversationsPath, agentsPath, conversationPath(c.ID.String()), transcriptPath(c.ID.String())} {
		head := send(t, env, http.MethodHead, tn.key, path)
		full := get(t, env, tn.key, path)
		if head.Status != http.StatusOK || len(head.Body) != 0 || head.Header.Get("Content-Type") != full.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: %s, want 200 with GET's headers and no body", path, head)
		}
	}
	if r := send(t, env, http.MethodPost, tn.key, agentsPath); r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST %s: Allow %q", agentsPath, r.Header.Get("Allow"))
	}

	for _, path := range []string{"/v1/backend", "/v1/backend/"} {
		r := get(t, env, tn.key, path)
		wantError(t, r, http.StatusNotFound, "not_found")
		if r.Header.Get("Location") != "" {
			t.Errorf("%s redirects to %q", path, r.Header.Get("Location"))
		}
	}
}
