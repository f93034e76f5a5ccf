// Package seed fills a database with a realistic, deterministic demo
// organization: agents, participants, conversations in every status, voice
// and text transcripts. The same seed always produces the same content.
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/agent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/gid"
)

// Options say what to generate.
type Options struct {
	Organization  string
	Conversations int
	// Messages is the average transcript length of a started conversation.
	Messages int
	Seed     uint64
	// Now anchors generated times; conversations spread over the 90 days
	// before it. Zero means the current time.
	Now time.Time
	// Progress, if set, is called after each stored batch of conversations.
	Progress func(done, total int)
}

// Result reports what was generated.
type Result struct {
	Organization  *ent.Organization
	Conversations int
	Messages      int
}

// Rows per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535 bind
// parameters with room to spare.
const (
	conversationsPerBatch = 500
	messagesPerInsert     = 2000
)

// Run generates the data, all in test mode, in transactions of
// conversationsPerBatch conversations with their messages.
func Run(ctx context.Context, client *ent.Client, opts Options) (*Result, error) {
	if opts.Conversations < 0 || opts.Messages < 0 {
		return nil, fmt.Errorf("seed: conversations and messages must not be negative")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	org, err := apikey.EnsureOrganization(ctx, client, opts.Organization)
	if err != nil {
		return nil, err
	}
	g := &generator{rng: newRand(opts.Seed), org: org.ID, now: dbtime.Of(opts.Now)}

	agents, err := g.agents(ctx, client)
	if err != nil {
		return nil, err
	}
	participants, err := g.participants(ctx, client, participantCount(opts.Conversations))
	if err != nil {
		return nil, err
	}
	res := &Result{Organization: org}
	for done := 0; done < opts.Conversations; {
		n := min(conversationsPerBatch, opts.Conversations-done)
		msgs, err := g.batch(ctx, client, done, n, opts, agents, participants)
		if err != nil {
			return nil, err
		}
		done += n
		res.Conversations += n
		res.Messages += msgs
		if opts.Progress != nil {
			opts.Progress(done, opts.Conversations)
		}
	}
	return res, nil
}

func participantCount(conversations int) int {
	return min(max(conversations/3, 10), 20_000)
}

type generator struct {
	rng *rand.Rand
	org uuid.UUID
	now time.Time
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func (g *generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// agents returns the organization's demo agents, creating those it lacks:
// seeding an organization again reuses the agents of the same names (the
// oldest, if an earlier version created several).
func (g *generator) agents(ctx context.Context, client *ent.Client) ([]*ent.Agent, error) {
	names := make([]string, len(agentProfiles))
	for i, a := range agentProfiles {
		names[i] = a.name
	}
	existing, err := client.Agent.Query().
		Where(agent.OrganizationID(g.org), agent.Livemode(false), agent.NameIn(names...)).
		Order(ent.Asc(agent.FieldCreatedAt), ent.Asc(agent.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed: loading agents: %w", err)
	}
	byName := map[string]*ent.Agent{}
	for _, a := range existing {
		if byName[a.Name] == nil {
			byName[a.Name] = a
		}
	}
	var builders []*ent.AgentCreate
	for i, a := range agentProfiles {
		if byName[a.name] != nil {
			continue
		}
		created := g.now.Add(-time.Duration(120-i) * 24 * time.Hour)
		builders = append(builders, client.Agent.Create().
			SetOrganizationID(g.org).SetLivemode(false).
			SetName(a.name).SetDescription(a.description).SetGoal(a.goal).
			SetAvailableModes(a.modes).SetDefaultMode(a.modes[0]).
			SetCreatedAt(created).SetUpdatedAt(created))
	}
	if len(builders) > 0 {
		created, err := client.Agent.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("seed: creating agents: %w", err)
		}
		for _, a := range created {
			byName[a.Name] = a
		}
	}
	agents := make([]*ent.Agent, len(agentProfiles))
	for i, name := range names {
		agents[i] = byName[name]
	}
	return agents, nil
}

func (g *generator) participants(ctx context.Context, client *ent.Client, n int) ([]*ent.Participant, error) {
	var all []*ent.Participant
	for start := 0; start < n; start += 1000 {
		builders := make([]*ent.ParticipantCreate, 0, min(1000, n-start))
		for i := start; i < min(start+1000, n); i++ {
			first, last := g.pick(firstNames), g.pick(lastNames)
			company := companies[g.rng.IntN(len(companies))]
			created := dbtime.Of(g.now.Add(-time.Duration(g.rng.Int64N(int64(100 * 24 * time.Hour)))))
			b := client.Participant.Create().
				SetOrganizationID(g.org).SetLivemode(false).
				SetFirstName(first).SetLastName(last).
				SetEmail(fmt.Sprintf("%s.%s.%d@%s", lower(first), lower(last), i, company.domain)).
				SetOrganizationName(company.name).SetOrganizationDomain(company.domain).
				SetCreatedAt(created).SetUpdatedAt(created)
			if g.rng.IntN(3) > 0 {
				b.SetAvatarImageURL(fmt.Sprintf("https://avatars.example.com/%s/%d.png", company.domain, i))
			}
			builders = append(builders, b)
		}
		ps, err := client.Participant.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("seed: creating participants: %w", err)
		}
		all = append(all, ps...)
	}
	return all, nil
}

// statusFor spreads statuses realistically and makes sure the first five
// conversations cover all of them.
func (g *generator) statusFor(i int) conversation.Status {
	all := []conversation.Status{conversation.StatusCompleted, conversation.StatusInProgress, conversation.StatusPending, conversation.StatusAbandoned, conversation.StatusArchived}
	if i < len(all) {
		return all[i]
	}
	switch r := g.rng.IntN(100); {
	case r < 55:
		return conversation.StatusCompleted
	case r < 65:
		return conversation.StatusInProgress
	case r < 75:
		return conversation.StatusPending
	case r < 88:
		return conversation.StatusAbandoned
	default:
		return conversation.StatusArchived
	}
}

func (g *generator) batch(ctx context.Context, client *ent.Client, offset, n int, opts Options, agents []*ent.Agent, participants []*ent.Participant) (int, error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return 0, fmt.Errorf("seed: starting transaction: %w", err)
	}
	convs := make([]*ent.ConversationCreate, n)
	var msgs []*ent.MessageCreate
	span := int64(90 * 24 * time.Hour)
	for j := range n {
		i := offset + j
		status := g.statusFor(i)
		agent := agents[g.rng.IntN(len(agents))]
		modality := message.Modality(agent.AvailableModes[g.rng.IntN(len(agent.AvailableModes))])
		created := dbtime.Of(g.now.Add(-time.Duration(g.rng.Int64N(span))))
		id := gid.New(gid.Conversation)
		count := 0
		if status != conversation.StatusPending && opts.Messages > 0 {
			count = opts.Messages - opts.Messages/4 + g.rng.IntN(opts.Messages/2+1)
			if status == conversation.StatusAbandoned {
				count = max(1, count/3)
			}
		}
		b := tx.Conversation.Create().
			SetID(id).
			SetOrganizationID(g.org).SetLivemode(false).
			SetAgentID(agent.ID).
			SetConnectionCode(fmt.Sprintf("%s-%04d", g.pick(codeWords), g.rng.IntN(10000))).
			SetStatus(status).
			SetTurnCount(count).SetMessageCount(count).
			SetSessionProperties(g.sessionProperties(modality)).
			SetPathTaken(g.path(status)).
			SetCreatedAt(created).SetUpdatedAt(created)
		if g.rng.IntN(10) > 0 {
			b.SetParticipantID(participants[g.rng.IntN(len(participants))].ID)
		}
		at := created.Add(time.Duration(1+g.rng.IntN(30)) * time.Minute)
		if status != conversation.StatusPending {
			b.SetStartedAt(at)
		}
		finished := status == conversation.StatusCompleted || status == conversation.StatusArchived
		// The message counters internal/conversations keeps with each
		// append, which conversationStats sums.
		roles := map[message.Role]int{}
		for k, l := range g.transcript(interviews[agent.Name], count, finished) {
			roles[l.role]++
			msgs = append(msgs, tx.Message.Create().
				SetOrganizationID(g.org).SetLivemode(false).
				SetConversationID(id).SetPosition(k+1).
				SetRole(l.role).SetContent(l.content).SetModality(modality).
				SetCreatedAt(at).SetUpdatedAt(at))
			// Some messages share a timestamp, as real transcripts do when a
			// client sends several at once; position keeps them in order.
			if g.rng.IntN(4) > 0 {
				at = at.Add(time.Duration(2+g.rng.IntN(40)) * time.Second)
			}
		}
		voice := 0
		if modality == message.ModalityVoice {
			voice = roles[message.RoleUser] + roles[message.RoleAssistant] + roles[message.RoleSystem]
		}
		b.SetUserMessages(roles[message.RoleUser]).SetAssistantMessages(roles[message.RoleAssistant]).
			SetSystemMessages(roles[message.RoleSystem]).SetVoiceMessages(voice)
		if status == conversation.StatusCompleted || status == conversation.StatusAbandoned || (status == conversation.StatusArchived && count > 0) {
			b.SetCompletedAt(at.Add(time.Minute))
		}
		convs[j] = b
	}
	if err := tx.Conversation.CreateBulk(convs...).Exec(ctx); err != nil {
		return 0, rollback(tx, fmt.Errorf("seed: creating conversations: %w", err))
	}
	for start := 0; start < len(msgs); start += messagesPerInsert {
		if err := tx.Message.CreateBulk(msgs[start:min(start+messagesPerInsert, len(msgs))]...).Exec(ctx); err != nil {
			return 0, rollback(tx, fmt.Errorf("seed: creating messages: %w", err))
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("seed: committing: %w", err)
	}
	return len(msgs), nil
}

func rollback(tx *ent.Tx, err error) error {
	if rerr := tx.Rollback(); rerr != nil {
		return fmt.Errorf("%w (rollback also failed: %v)", err, rerr)
	}
	return err
}

func (g *generator) sessionProperties(m message.Modality) map[string]any {
	props := map[string]any{
		"locale":  g.pick([]string{"en-US", "en-GB", "de-DE", "fr-FR", "es-ES"}),
		"source":  g.pick([]string{"email_campaign", "in_app", "website", "sales_referral"}),
		"channel": string(m),
	}
	if m == message.ModalityVoice {
		props["audio_codec"] = "opus"
	}
	return props
}

func (g *generator) path(status conversation.Status) []any {
	steps := []string{"greeting", "consent", "background", "core_questions", "follow_ups", "wrap_up"}
	n := len(steps)
	switch status {
	case conversation.StatusPending:
		n = 0
	case conversation.StatusInProgress:
		n = 2 + g.rng.IntN(3)
	case conversation.StatusAbandoned:
		n = 1 + g.rng.IntN(3)
	}
	path := make([]any, n)
	for i := range n {
		path[i] = steps[i]
	}
	return path
}
