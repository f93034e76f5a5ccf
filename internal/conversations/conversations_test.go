package conversations_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/conversations"
	"github.com/parleyhq/parley/internal/testenv"
	"github.com/parleyhq/parley/internal/viewer"
)

// as returns a context acting for a new organization's test key.
func as(t *testing.T, env *testenv.Env, org string) context.Context {
	t.Helper()
	v, err := apikey.Authenticate(context.Background(), env.Client, env.Key(t, org, false))
	if err != nil {
		t.Fatal(err)
	}
	return viewer.NewContext(context.Background(), v)
}

func events(t *testing.T, ctx context.Context, c *ent.Client, conv uuid.UUID) []*ent.Event {
	t.Helper()
	evs, err := c.Event.Query().Where(event.ConversationID(conv)).Order(ent.Asc(event.FieldID)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func types(evs []*ent.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

// Every change records its event, in order, with the conversation as the
// change left it; the events are the organization's alone.
func TestChangesRecordEvents(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme")
	agent, err := env.Client.Agent.Create().SetName("Interviewer").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Client.Participant.Create().SetEmail("ada@example.com").SetFirstName("Ada").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := conversations.Start(ctx, env.Client, ent.CreateConversationInput{AgentID: agent.ID, ParticipantID: &p.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := conversations.Append(ctx, env.Client, conv.ID, []conversations.NewMessage{
		{Role: message.RoleAssistant, Content: "Hello", Modality: message.ModalityText},
		{Role: message.RoleUser, Content: "Hi", Modality: message.ModalityText},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := conversations.SetStatus(ctx, env.Client, conv.ID, conversation.StatusCompleted); err != nil {
		t.Fatal(err)
	}

	evs := events(t, ctx, env.Client, conv.ID)
	want := []string{conversations.EventCreated, conversations.EventStarted, conversations.EventMessagesAppended, conversations.EventCompleted}
	if got := types(evs); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Fatalf("events %v, want %v", got, want)
	}
	done := evs[3].Data
	profile, _ := done["participant_profile"].(map[string]any)
	if done["conversation_id"] != conv.ID.String() || done["status"] != "completed" || done["completed_at"] == nil ||
		done["turn_count"] != float64(2) && done["turn_count"] != 2 || profile["email"] == nil || done["participant_user_id"] != p.ID.String() {
		t.Errorf("completed event data: %v", done)
	}
	if msgs, _ := evs[2].Data["message_ids"].([]any); len(msgs) != 2 {
		t.Errorf("messages event data: %v", evs[2].Data)
	}

	// Another organization sees none of them.
	if n := len(events(t, as(t, env, "Globex"), env.Client, conv.ID)); n != 0 {
		t.Errorf("another organization sees %d events", n)
	}
}

// A change that fails records nothing: the event and the change share the
// transaction.
func TestRolledBackChangeRecordsNothing(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme")
	agent, err := env.Client.Agent.Create().SetName("Interviewer").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := conversations.Start(ctx, env.Client, ent.CreateConversationInput{AgentID: agent.ID})
	if err != nil {
		t.Fatal(err)
	}
	before := len(events(t, ctx, env.Client, conv.ID))

	// The second message is invalid after the first was accepted: nothing
	// of the append, the start included, may remain.
	_, _, err = conversations.Append(ctx, env.Client, conv.ID, []conversations.NewMessage{
		{Role: message.RoleUser, Content: "fine", Modality: message.ModalityText},
		{Role: message.RoleUser, Content: "", Modality: message.ModalityText},
	})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.InvalidRequest {
		t.Fatalf("append with an empty message: %v", err)
	}
	// A transition that is not allowed.
	if _, err := conversations.SetStatus(ctx, env.Client, conv.ID, conversation.StatusCompleted); err == nil {
		t.Fatal("pending -> completed was allowed")
	}
	// A caller's transaction that rolls back after a successful change.
	tx, err := env.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txCtx := ent.NewTxContext(ctx, tx)
	if _, err := conversations.SetStatus(txCtx, tx.Client(), conv.ID, conversation.StatusArchived); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}

	if n := len(events(t, ctx, env.Client, conv.ID)); n != before {
		t.Errorf("%d events after failed and rolled-back changes, want %d", n, before)
	}
	got, err := env.Client.Conversation.Get(ctx, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != conversation.StatusPending || got.MessageCount != 0 {
		t.Errorf("conversation after the failures: %s with %d messages", got.Status, got.MessageCount)
	}
}

// An import writes history as it was, with the counters and positions the
// rules derive, records no events, and refuses a past the lifecycle could
// not have left.
func TestImport(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme")
	v, _ := viewer.FromContext(ctx)
	agent, err := env.Client.Agent.Create().SetName("Interviewer").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	later := at.Add(time.Minute)
	ended := at.Add(time.Hour)
	done := conversations.Past{
		OrganizationID: v.OrganizationID, AgentID: agent.ID, ConnectionCode: "ABC-1234",
		Status: conversation.StatusCompleted, CreatedAt: at, StartedAt: &at, CompletedAt: &ended,
		SessionProperties: map[string]any{}, PathTaken: []any{},
		Messages: []conversations.NewMessage{
			{Role: message.RoleSystem, Content: "Be brief.", Modality: message.ModalityText, CreatedAt: &at},
			{Role: message.RoleAssistant, Content: "Hello?", Modality: message.ModalityText, CreatedAt: &at},
			{Role: message.RoleUser, Content: "Hi.", Modality: message.ModalityText, CreatedAt: &later},
		},
	}
	n, err := conversations.Import(ctx, env.Client, []conversations.Past{done})
	if err != nil || n != 3 {
		t.Fatalf("import: %d messages, %v", n, err)
	}
	conv, err := env.Client.Conversation.Query().Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if conv.TurnCount != 2 || conv.MessageCount != 3 || !conv.CompletedAt.Equal(ended) || conv.Status != conversation.StatusCompleted {
		t.Errorf("imported %+v", conv)
	}
	counters := []*int{conv.UserMessages, conv.AssistantMessages, conv.SystemMessages, conv.VoiceMessages}
	for i, want := range []int{1, 1, 1, 0} {
		if counters[i] == nil || *counters[i] != want {
			t.Errorf("message counter %d: %v, want %d", i, counters[i], want)
		}
	}
	positions, err := env.Client.Message.Query().Order(ent.Asc(message.FieldPosition)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range positions {
		if m.Position != i+1 || m.Content != done.Messages[i].Content {
			t.Errorf("message %d: position %d, %q", i, m.Position, m.Content)
		}
	}
	if evs := events(t, ctx, env.Client, conv.ID); len(evs) != 0 {
		t.Errorf("an import recorded %v", types(evs))
	}
	for name, bad := range map[string]func(p *conversations.Past){
		"pending with a start":  func(p *conversations.Past) { p.Status = conversation.StatusPending },
		"in progress but ended": func(p *conversations.Past) { p.Status = conversation.StatusInProgress },
		"completed, not ended":  func(p *conversations.Past) { p.CompletedAt = nil },
		"ended before started":  func(p *conversations.Past) { early := at.Add(-time.Hour); p.CompletedAt = &early },
		"message without time": func(p *conversations.Past) {
			p.Messages = []conversations.NewMessage{{Role: message.RoleUser, Content: "x", Modality: message.ModalityText}}
		},
	} {
		p := done
		bad(&p)
		if _, err := conversations.Import(ctx, env.Client, []conversations.Past{p}); err == nil {
			t.Errorf("%s: imported", name)
		}
	}
	if n, _ := env.Client.Conversation.Query().Count(ctx); n != 1 {
		t.Errorf("%d conversations after the refused imports, want 1", n)
	}
}
