package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/testenv"
)

// appendNoTimes appends without selecting any time, so an accepted time is
// stored even when it could not be shown.
const appendNoTimes = `mutation($id: ID!, $messages: [AppendMessageInput!]!) { appendMessages(conversationID: $id, messages: $messages) { messages { id } } }`

// transcriptTimes reads a conversation's message times over REST and over
// GraphQL (transcript and messages connection), failing on any error.
func transcriptTimes(t *testing.T, env *apitest.Env, key, id string) []string {
	t.Helper()
	res := env.Send(t, http.MethodGet, key, "/v1/backend/conversations/"+id+"/transcript", nil, nil)
	var body struct {
		Data struct {
			Messages []struct {
				CreatedAt string `json:"created_at"`
			} `json:"messages"`
		} `json:"data"`
	}
	if err := json.Unmarshal(res.Body, &body); err != nil || res.Status != http.StatusOK {
		t.Fatalf("REST transcript: %s", res)
	}
	data := env.MustGraphQL(t, key, `query($id: ID!) { conversation(id: $id) { transcript { createdAt } messages(first: 10) { edges { node { createdAt } } } } }`, map[string]any{"id": id})
	var times []string
	for i, m := range body.Data.Messages {
		viaTranscript := testenv.Get(data, "conversation", "transcript", i, "createdAt")
		viaConnection := testenv.Get(data, "conversation", "messages", "edges", i, "node", "createdAt")
		if viaTranscript != m.CreatedAt || viaConnection != m.CreatedAt {
			t.Fatalf("message %d: REST %q, transcript %v, connection %v", i, m.CreatedAt, viaTranscript, viaConnection)
		}
		times = append(times, m.CreatedAt)
	}
	return times
}

// A message time must lie between 1970 and the end of year 9999 (UTC);
// others are refused with a message naming the field, and nothing is stored.
func TestMessageTimesInRange(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	agentID := newAgent(t, env, key, "Interviewer")

	for _, at := range []string{
		"0001-01-01T00:00:00Z",      // Go's zero time
		"1969-12-31T23:59:59.999Z",  // just before the epoch
		"9999-12-31T23:59:59-01:00", // year 10000 in UTC: not RFC 3339
	} {
		t.Run(at, func(t *testing.T) {
			id := newConversation(t, env, key, agentID)
			res := env.GraphQL(t, key, appendNoTimes, map[string]any{"id": id, "messages": []any{
				map[string]any{"role": "user", "content": "ok", "modality": "text"},
				map[string]any{"role": "user", "content": "hello", "modality": "text", "createdAt": at},
			}})
			e := onlyError(t, res, "invalid_request")
			if !strings.HasPrefix(e.Message, "messages[1].createdAt: ") || !strings.Contains(e.Message, "1970-01-01T00:00:00Z") {
				t.Errorf("message %q does not name the field and the range", e.Message)
			}
			if got := transcriptTimes(t, env, key, id); len(got) != 0 {
				t.Errorf("a refused append stored messages at %v", got)
			}
		})
	}

	id := newConversation(t, env, key, agentID)
	bounds := []string{"1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"}
	env.MustGraphQL(t, key, appendNoTimes, map[string]any{"id": id, "messages": []any{
		map[string]any{"role": "user", "content": "first", "modality": "text", "createdAt": bounds[0]},
		map[string]any{"role": "user", "content": "last", "modality": "text", "createdAt": bounds[1]},
	}})
	if got := transcriptTimes(t, env, key, id); strings.Join(got, " ") != strings.Join(bounds, " ") {
		t.Fatalf("times at the bounds read back as %v, want %v", got, bounds)
	}
}

// Whatever time is stored (here the zero time, as the API accepted before
// times were checked), reading it is never an error.
func TestStoredZeroTimeReads(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	id := newConversation(t, env, key, newAgent(t, env, key, "Interviewer"))
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	conv, err := env.Client.Conversation.Get(ctx, uuid.MustParse(id))
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.Message.Create().
		SetOrganizationID(conv.OrganizationID).SetLivemode(conv.Livemode).SetConversationID(conv.ID).
		SetPosition(1).SetRole(message.RoleUser).SetContent("from long ago").SetModality(message.ModalityText).
		SetCreatedAt(time.Time{}).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := transcriptTimes(t, env, key, id); len(got) != 1 || got[0] != "0001-01-01T00:00:00Z" {
		t.Fatalf("stored zero time reads as %v", got)
	}
}
