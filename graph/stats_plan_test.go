package graph_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/organization"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/database"
)

// statsPlan is one conversationStats query and the indexes its statements
// must use.
type statsPlan struct {
	name, args, fields string
	// uses are index names, one per statement sent after the key lookup,
	// that the statement's plan must read.
	uses []string
}

const (
	tenantIndex  = "conversation_organization_id_livemode_" // any of the tenant indexes
	createdIndex = "conversation_organization_id_livemode_created_at_id"
	agentIndex   = "conversation_organization_id_livemode_agent_id_created_at_id"
	statusIndex  = "conversation_organization_id_livemode_status_"
	messageIndex = "message_conversation_id_position"
)

var (
	// A table read whole: SQLite's "SCAN t" without an index, or a
	// PostgreSQL "Seq Scan on t" that testenv's Explain priced out.
	sqliteFullScan = regexp.MustCompile(`^SCAN (conversations|messages|m)\b`)
	pgFullScan     = regexp.MustCompile(`Seq Scan on (conversations|messages)\b`)
)

// statsPlanProblems lists what is wrong with a stats statement's plan: a
// table read whole, or the wanted index unused.
func statsPlanProblems(d string, plan []string, use string) []string {
	var out []string
	used := false
	for _, line := range plan {
		if d == dialect.Postgres {
			if m := pgFullScan.FindStringSubmatch(line); m != nil {
				out = append(out, "full scan of "+m[1])
			}
		} else if sqliteFullScan.MatchString(line) && !strings.Contains(line, "INDEX") {
			out = append(out, "full scan: "+line)
		}
		used = used || strings.Contains(line, use)
	}
	if !used {
		out = append(out, "does not use "+use)
	}
	return out
}

// checkStatsPlans sends each query and explains the statements it sent
// (the key lookup excepted), returning the problems found.
func checkStatsPlans(t *testing.T, env *apitest.Env, key string, plans []statsPlan) []string {
	t.Helper()
	var problems []string
	for _, p := range plans {
		args := ""
		if p.args != "" {
			args = "(" + p.args + ")"
		}
		env.Queries.Reset()
		env.MustGraphQL(t, key, `{ conversationStats`+args+` { groups { `+p.fields+` } } }`, nil)
		var sent []string
		for _, st := range env.Queries.Recorded() {
			if strings.Contains(st.Query, "api_keys") {
				continue
			}
			sent = append(sent, st.Query)
			if len(sent) > len(p.uses) {
				continue
			}
			plan, err := env.Explain(t.Context(), st.Query, st.Args...)
			if err != nil {
				t.Fatalf("%s: explaining %s: %v", p.name, st.Query, err)
			}
			for _, pr := range statsPlanProblems(env.DB.Dialect, plan, p.uses[len(sent)-1]) {
				problems = append(problems, fmt.Sprintf("%s, statement %d: %s\n\tSQL: %s\n\tplan:\n\t\t%s",
					p.name, len(sent), pr, st.Query, strings.Join(plan, "\n\t\t")))
			}
		}
		if len(sent) != len(p.uses) {
			problems = append(problems, fmt.Sprintf("%s: %d statements after the key, want %d: %q", p.name, len(sent), len(p.uses), sent))
		}
	}
	return problems
}

// addPlanRows gives the planner statistics of a real database, in which a
// tenant, a window or an agent is a small share of the tables: 1,000
// pending conversations of the fixture's organization from 2024, of agent,
// and 4,000 of another organization with 5 messages each. Only the
// fixture's own are in the queries' windows and filters.
func addPlanRows(t *testing.T, env *apitest.Env, agent uuid.UUID) {
	t.Helper()
	ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
	stats, err := env.Client.Organization.Query().Where(organization.Name("Stats")).OnlyID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := env.Client.Organization.Query().Where(organization.Name("Other")).OnlyID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	otherAgent, err := env.Client.Agent.Create().SetOrganizationID(other).SetLivemode(false).SetName("plan").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for chunk := range 10 {
		org, agentID := stats, agent
		if chunk >= 2 {
			org, agentID = other, otherAgent.ID
		}
		convs := make([]*ent.ConversationCreate, 500)
		var msgs []*ent.MessageCreate
		for i := range convs {
			id := uuid.New()
			at := created.Add(time.Duration(chunk*500+i) * time.Minute)
			convs[i] = env.Client.Conversation.Create().SetID(id).SetOrganizationID(org).SetLivemode(false).
				SetAgentID(agentID).SetStatus(conversation.StatusPending).SetCreatedAt(at).SetUpdatedAt(at)
			for j := range 5 {
				if org == other {
					msgs = append(msgs, env.Client.Message.Create().SetOrganizationID(org).SetLivemode(false).
						SetConversationID(id).SetPosition(j+1).SetRole(message.RoleUser).SetModality(message.ModalityText).SetContent("plan"))
				}
			}
		}
		if err := env.Client.Conversation.CreateBulk(convs...).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for part := range slices.Chunk(msgs, 500) {
			if err := env.Client.Message.CreateBulk(part...).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The stats statements read conversations through the tenant indexes (the
// createdAt window, agent and status filters through theirs), and the
// messages of uncounted conversations through their conversation's
// index, never a whole table; without the createdAt index, the window
// query's plan is reported.
func TestConversationStatsPlans(t *testing.T) {
	env, key, agents := statsEnv(t)
	addPlanRows(t, env, agents[0])
	const f = `count durationMs { median p90 } turnCount { p90 }`
	const m = f + ` messages { total voice }`
	window := `where: {createdAtGTE: "2025-03-01T00:00:00Z", createdAtLT: "2025-03-31T00:00:00Z"}`
	timeQuery := statsPlan{"TIME DAY Europe/Berlin", `groupBy: TIME, timeZone: "Europe/Berlin", ` + window, m, []string{createdIndex, messageIndex}}
	plans := []statsPlan{
		{"one group", "", f, []string{tenantIndex}},
		// The fixture's conversations were stored without message counters,
		// so their messages are read.
		{"one group with messages", "", m, []string{tenantIndex, messageIndex}},
		{"AGENT", "groupBy: AGENT", m, []string{tenantIndex, messageIndex}},
		{"STATUS statusIn", "groupBy: STATUS, where: {statusIn: [completed, abandoned]}", f, []string{statusIndex}},
		timeQuery,
		{"TIME HOUR default window", "groupBy: TIME, interval: HOUR", f, []string{createdIndex}},
		{"agentID", fmt.Sprintf("where: {agentID: %q}", agents[1]), m, []string{agentIndex, messageIndex}},
	}
	check := func(t *testing.T) {
		for _, p := range checkStatsPlans(t, env, key, plans) {
			t.Error(p)
		}
	}
	// As the database comes, without planner statistics, and as the server
	// runs, after it refreshed them.
	t.Run("before RefreshStats", check)
	if err := database.RefreshStats(t.Context(), env.DB); err != nil {
		t.Fatal(err)
	}
	t.Run("after RefreshStats", check)

	t.Run("without the createdAt index", func(t *testing.T) {
		if _, err := env.DB.SQL.ExecContext(t.Context(), `DROP INDEX `+createdIndex); err != nil {
			t.Fatal(err)
		}
		if problems := checkStatsPlans(t, env, key, []statsPlan{timeQuery}); len(problems) == 0 {
			t.Errorf("the window query's plan passes without %s", createdIndex)
		}
	})
}
