package rest_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/agent"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/testenv"
)

// budgetData is a seeded organization with an API key, plus conversations
// written through the API with a participant and few or many messages.
type budgetData struct {
	env      *apitest.Env
	key      string
	org      uuid.UUID
	few      string // conversation with a participant and 2 messages
	many     string // conversation with a participant and manyMessages messages
	solo     string // conversation without a participant or messages
	nAgents  int
	nConvers int
}

const manyMessages = 300

func newBudgetData(t testing.TB) *budgetData {
	t.Helper()
	env := apitest.Start(t)
	res, err := seed.Run(sys(), env.Client, seed.Options{Organization: "Budget", Conversations: 120, Messages: 6, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	tn := newTenant(t, env, "Budget", false)
	d := &budgetData{env: env, key: tn.key, org: tn.org}

	// The seed makes six agents; a page of 100 needs more.
	builders := make([]*ent.AgentCreate, 110)
	base := dbtime.Of(time.Now().Add(-time.Hour))
	for i := range builders {
		at := base.Add(time.Duration(i) * time.Second)
		builders[i] = env.Client.Agent.Create().
			SetID(gid.New(gid.Agent)).
			SetOrganizationID(tn.org).SetLivemode(false).
			SetName(fmt.Sprintf("Budget agent %d", i)).SetAvailableModes([]string{"voice"}).SetDefaultMode("voice").
			SetCreatedAt(at).SetUpdatedAt(at)
	}
	if err := env.Client.Agent.CreateBulk(builders...).Exec(sys()); err != nil {
		t.Fatal(err)
	}
	if d.nAgents, err = env.Client.Agent.Query().Where(agent.OrganizationID(tn.org)).Count(sys()); err != nil {
		t.Fatal(err)
	}

	agentID := testenv.Get(env.MustGraphQL(t, d.key, gqlCreateAgent, map[string]any{"input": map[string]any{"name": "Interviewer"}}), "createAgent", "id").(string)
	participantID := testenv.Get(env.MustGraphQL(t, d.key, gqlCreateParticipant, map[string]any{"input": map[string]any{"email": "ada@example.com"}}), "createParticipant", "id").(string)
	withMessages := func(n int) string {
		id := testenv.Get(env.MustGraphQL(t, d.key, gqlStart, map[string]any{"input": map[string]any{"agentID": agentID, "participantID": participantID}}), "startConversation", "id").(string)
		msgs := make([]any, n)
		for i := range msgs {
			role := "assistant"
			if i%2 == 1 {
				role = "user"
			}
			msgs[i] = map[string]any{"role": role, "content": fmt.Sprintf("message %d", i+1), "modality": "text"}
		}
		env.MustGraphQL(t, d.key, gqlAppend, map[string]any{"id": id, "messages": msgs})
		return id
	}
	d.few = withMessages(2)
	d.many = withMessages(manyMessages)
	d.solo = testenv.Get(env.MustGraphQL(t, d.key, gqlStart, map[string]any{"input": map[string]any{"agentID": agentID}}), "startConversation", "id").(string)
	d.nConvers = res.Conversations + 3

	env.WarmKey(t, d.key)
	return d
}

// statements runs one GET and returns its answer and the SQL it sent.
func (d *budgetData) statements(t testing.TB, target string) (map[string]any, []string) {
	t.Helper()
	d.env.Queries.Reset()
	body := ok(t, get(t, d.env, d.key, target))
	return body, d.env.Queries.Statements()
}

// The SQL each REST endpoint may send, whatever the page size or the
// transcript length. The API key lookup is the first statement of every
// request.
func TestRESTQueryBudget(t *testing.T) {
	d := newBudgetData(t)
	if d.nConvers < 100 || d.nAgents < 100 {
		t.Fatalf("%d conversations and %d agents; the cases need at least 100 of each", d.nConvers, d.nAgents)
	}

	listOf := func(n int) func(t *testing.T, body map[string]any) {
		return func(t *testing.T, body map[string]any) {
			if got := len(dataIDs(t, body)); got != n {
				t.Fatalf("page of %d has %d items", n, got)
			}
		}
	}
	transcriptOf := func(id string, n int) func(t *testing.T, body map[string]any) {
		return func(t *testing.T, body map[string]any) {
			if got := testenv.Get(body, "data", "conversation_id"); got != id {
				t.Fatalf("conversation_id = %v, want %s", got, id)
			}
			if got := len(testenv.Get(body, "data", "messages").([]any)); got != n {
				t.Fatalf("transcript has %d messages, want %d", got, n)
			}
		}
	}
	conversationOf := func(id string, participant bool) func(t *testing.T, body map[string]any) {
		return func(t *testing.T, body map[string]any) {
			if got := testenv.Get(body, "data", "id"); got != id {
				t.Fatalf("id = %v, want %s", got, id)
			}
			if got := testenv.Get(body, "data", "participant_profile") != nil; got != participant {
				t.Fatalf("participant_profile present: %v, want %v", got, participant)
			}
		}
	}

	cases := []struct {
		name     string
		variants []variant
		budget   int
		// reads names the table each statement selects from, in order.
		reads []string
	}{
		{
			// 1. API key lookup; 2. the page of conversations (LIMIT n+1,
			// tenant-scoped, newest first); 3. the page's participants,
			// eager-loaded with one WHERE id IN (...). agent_id is a column,
			// so agents are not read.
			name: "conversations list",
			variants: []variant{
				{"limit=10", query(conversationsPath, "limit", "10"), listOf(10)},
				{"limit=100", query(conversationsPath, "limit", "100"), listOf(100)},
			},
			budget: 3,
			reads:  []string{"api_keys", "conversations", "participants"},
		},
		{
			// 1. API key lookup; 2. the conversation; 3. the messages, by the
			// transcript loader (one query, ordered by position).
			name: "transcript",
			variants: []variant{
				{"2 messages", transcriptPath(d.few), transcriptOf(d.few, 2)},
				{fmt.Sprintf("%d messages", manyMessages), transcriptPath(d.many), transcriptOf(d.many, manyMessages)},
			},
			budget: 3,
			reads:  []string{"api_keys", "conversations", "messages"},
		},
		{
			// 1. API key lookup; 2. the conversation; 3. its participant.
			// The messages are not read.
			name: "conversation with a participant",
			variants: []variant{
				{"2 messages", conversationPath(d.few), conversationOf(d.few, true)},
				{fmt.Sprintf("%d messages", manyMessages), conversationPath(d.many), conversationOf(d.many, true)},
			},
			budget: 3,
			reads:  []string{"api_keys", "conversations", "participants"},
		},
		{
			// 1. API key lookup; 2. the conversation. With no participant_id
			// there is no participant query.
			name: "conversation without a participant",
			variants: []variant{
				{"no participant", conversationPath(d.solo), conversationOf(d.solo, false)},
			},
			budget: 2,
			reads:  []string{"api_keys", "conversations"},
		},
		{
			// 1. API key lookup; 2. the page of agents (LIMIT n+1,
			// tenant-scoped, newest first). Agents have no edges in REST.
			name: "agents list",
			variants: []variant{
				{"limit=10", query(agentsPath, "limit", "10"), listOf(10)},
				{"limit=100", query(agentsPath, "limit", "100"), listOf(100)},
			},
			budget: 2,
			reads:  []string{"api_keys", "agents"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			counts := make([]int, len(tc.variants))
			var report strings.Builder
			for i, v := range tc.variants {
				body, statements := d.statements(t, v.target)
				v.check(t, body)
				counts[i] = len(statements)
				if got := tablesRead(statements); !slices.Equal(got, tc.reads) {
					t.Errorf("GET %s (%s) read %q, want %q\n\t%s", v.target, v.name, got, tc.reads, strings.Join(statements, "\n\t"))
				}
				fmt.Fprintf(&report, "GET %s (%s): %d statements\n\t%s\n", v.target, v.name, len(statements), strings.Join(statements, "\n\t"))
			}
			for _, c := range counts {
				if c != counts[0] || c > tc.budget {
					t.Fatalf("statements %v for %s; want all equal and at most %d\n%s", counts, variantNames(tc.variants), tc.budget, report.String())
				}
			}
			t.Logf("statements %v for %s", counts, variantNames(tc.variants))
		})
	}
}

// variant is one request of a budget case.
type variant struct {
	name   string
	target string
	check  func(t *testing.T, body map[string]any)
}

var fromTable = regexp.MustCompile("FROM [`\"](\\w+)[`\"]")

// tablesRead names, for each statement, the first table it reads.
func tablesRead(statements []string) []string {
	out := make([]string, len(statements))
	for i, s := range statements {
		if m := fromTable.FindStringSubmatch(s); m != nil {
			out[i] = m[1]
		} else {
			out[i] = "?"
		}
	}
	return out
}

func variantNames(vs []variant) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.name
	}
	return strings.Join(names, ", ")
}
