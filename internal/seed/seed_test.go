package seed_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/agent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/testenv"
)

func sys() context.Context {
	return privacy.DecisionContext(context.Background(), privacy.Allow)
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func run(t *testing.T, client *ent.Client, org string, conversations, messages int, s uint64) *seed.Result {
	t.Helper()
	res, err := seed.Run(sys(), client, seed.Options{Organization: org, Conversations: conversations, Messages: messages, Seed: s, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Seeding an organization again adds conversations, not another set of
// agents of the same names.
func TestSeedReusesAgents(t *testing.T) {
	env := testenv.Open(t)
	first := run(t, env.Client, "Acme", 8, 4, 1)
	run(t, env.Client, "Acme", 8, 4, 2)
	run(t, env.Client, "Other", 3, 2, 1) // another organization gets its own

	agents, err := env.Client.Agent.Query().Where(agent.OrganizationID(first.Organization.ID)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ids := map[uuid.UUID]bool{}
	for _, a := range agents {
		names = append(names, a.Name)
		ids[a.ID] = true
	}
	slices.Sort(names)
	if len(names) != 6 || len(slices.Compact(slices.Clone(names))) != 6 {
		t.Fatalf("after two seeds Acme has %d agents, want the same 6: %q", len(names), names)
	}
	convs, err := env.Client.Conversation.Query().Where(conversation.OrganizationID(first.Organization.ID)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 16 {
		t.Fatalf("Acme has %d conversations, want 16", len(convs))
	}
	for _, c := range convs {
		if !ids[c.AgentID] {
			t.Fatalf("conversation %s has agent %s, not one of Acme's", c.ID, c.AgentID)
		}
	}
	total, err := env.Client.Agent.Query().Count(sys())
	if err != nil {
		t.Fatal(err)
	}
	if total != 12 {
		t.Fatalf("%d agents in all, want 6 per organization", total)
	}
}

// transcripts returns every transcript of the organization, each as
// "role: content" lines in order, keyed by conversation.
func transcripts(t *testing.T, client *ent.Client, org uuid.UUID) map[uuid.UUID][]string {
	t.Helper()
	msgs, err := client.Message.Query().Where(message.OrganizationID(org)).
		Order(ent.Asc(message.FieldConversationID), ent.Asc(message.FieldPosition)).All(sys())
	if err != nil {
		t.Fatal(err)
	}
	out := map[uuid.UUID][]string{}
	for _, m := range msgs {
		out[m.ConversationID] = append(out[m.ConversationID], string(m.Role)+": "+m.Content)
	}
	return out
}

// A transcript reads like an interview: the agent speaks first, the two
// alternate, and each answer responds to the question before it, so one
// answer never follows two different questions.
func TestTranscriptsAnswerTheQuestion(t *testing.T) {
	env := testenv.Open(t)
	res := run(t, env.Client, "Acme", 120, 12, 1)

	askedBy := map[string]string{} // answer -> the question it followed
	answers := 0
	for id, lines := range transcripts(t, env.Client, res.Organization.ID) {
		for i, line := range lines {
			role, content, _ := strings.Cut(line, ": ")
			want := "assistant"
			if i%2 == 1 {
				want = "user"
			}
			if role != want {
				t.Fatalf("conversation %s, message %d is %s's, want %s's:\n%s", id, i+1, role, want, strings.Join(lines, "\n"))
			}
			if role != "user" {
				continue
			}
			answers++
			_, question, _ := strings.Cut(lines[i-1], ": ")
			if !strings.HasSuffix(question, "?") {
				t.Errorf("conversation %s: %q answers %q, which asks nothing", id, content, question)
			}
			if prev, ok := askedBy[content]; ok && prev != question {
				t.Fatalf("the answer %q follows two questions:\n  %q\n  %q", content, prev, question)
			}
			askedBy[content] = question
		}
	}
	if answers < 300 {
		t.Fatalf("only %d answers in 120 conversations", answers)
	}
}

// The same seed gives the same content, whatever the organization.
func TestSeedDeterministic(t *testing.T) {
	env := testenv.Open(t)
	summary := func(org string) []string {
		res := run(t, env.Client, org, 40, 6, 7)
		convs, err := env.Client.Conversation.Query().Where(conversation.OrganizationID(res.Organization.ID)).
			WithAgent().WithParticipant().All(sys())
		if err != nil {
			t.Fatal(err)
		}
		lines := transcripts(t, env.Client, res.Organization.ID)
		var out []string
		for _, c := range convs {
			email := ""
			if c.Edges.Participant != nil {
				email = *c.Edges.Participant.Email
			}
			out = append(out, fmt.Sprintf("%s %s %s %s %s %d\n%s", c.CreatedAt.Format(time.RFC3339Nano), c.Status, c.Edges.Agent.Name,
				*c.ConnectionCode, email, c.TurnCount, strings.Join(lines[c.ID], "\n")))
		}
		slices.Sort(out)
		return out
	}
	a, b := summary("One"), summary("Two")
	if !slices.Equal(a, b) {
		t.Fatalf("the same seed gave different content:\n%s\n---\n%s", strings.Join(a[:3], "\n"), strings.Join(b[:3], "\n"))
	}
}
