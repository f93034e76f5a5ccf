package conversations_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/internal/conversations"
	"github.com/parleyhq/parley/internal/testenv"
)

// counters reads a conversation's message counters as stored, -1 for NULL.
func counters(t *testing.T, ctx context.Context, c *ent.Client, id uuid.UUID) [4]int {
	t.Helper()
	conv, err := c.Conversation.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out [4]int
	for i, p := range []*int{conv.UserMessages, conv.AssistantMessages, conv.SystemMessages, conv.VoiceMessages} {
		out[i] = -1
		if p != nil {
			out[i] = *p
		}
	}
	return out
}

// Start zeroes the message counters and each append adds its messages by
// role and modality; a conversation never counted stays uncounted, so the
// stats count its messages instead of trusting a partial sum.
func TestAppendKeepsMessageCounters(t *testing.T) {
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
	if got := counters(t, ctx, env.Client, conv.ID); got != [4]int{0, 0, 0, 0} {
		t.Fatalf("a new conversation has counters %v, want zeros", got)
	}
	msg := func(r message.Role, m message.Modality) conversations.NewMessage {
		return conversations.NewMessage{Role: r, Modality: m, Content: "hi"}
	}
	appends := [][]conversations.NewMessage{
		{msg(message.RoleSystem, message.ModalityText), msg(message.RoleAssistant, message.ModalityVoice)},
		{msg(message.RoleUser, message.ModalityVoice)},
		{msg(message.RoleUser, message.ModalityText), msg(message.RoleAssistant, message.ModalityText), msg(message.RoleUser, message.ModalityVoice)},
	}
	for _, a := range appends {
		if _, _, err := conversations.Append(ctx, env.Client, conv.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	// user, assistant, system, voice
	if got, want := counters(t, ctx, env.Client, conv.ID), [4]int{3, 2, 1, 3}; got != want {
		t.Errorf("counters %v, want %v", got, want)
	}

	// Stored around this package, as before the counters existed.
	legacy, err := env.Client.Conversation.Create().SetAgentID(agent.ID).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := conversations.Append(ctx, env.Client, legacy.ID, appends[0]); err != nil {
		t.Fatal(err)
	}
	if got := counters(t, ctx, env.Client, legacy.ID); got != [4]int{-1, -1, -1, -1} {
		t.Errorf("an uncounted conversation has counters %v after an append, want all NULL", got)
	}
}
