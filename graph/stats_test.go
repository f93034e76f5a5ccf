package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/organization"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/testenv"
)

// statsConv is one hand-made conversation of the stats fixture.
type statsConv struct {
	agent    int
	status   conversation.Status
	created  string
	duration time.Duration // from start to completion; 0 when not ended
	turns    int
	// messages as role/modality pairs
	messages [][2]string
}

var statsFixture = []statsConv{
	{0, conversation.StatusCompleted, "2025-03-03T10:00:00Z", time.Minute, 4, [][2]string{{"user", "text"}, {"assistant", "text"}, {"user", "text"}, {"assistant", "text"}}},
	{0, conversation.StatusCompleted, "2025-03-03T12:00:00Z", 2 * time.Minute, 6, nil},
	{0, conversation.StatusCompleted, "2025-03-04T09:00:00Z", 5*time.Minute + 250*time.Millisecond, 10, [][2]string{{"system", "voice"}, {"user", "voice"}}},
	{0, conversation.StatusAbandoned, "2025-03-04T10:00:00Z", 7 * time.Minute, 3, [][2]string{{"assistant", "voice"}}},
	// 23:30 UTC is 00:30 the next day in Berlin (UTC+1 in March).
	{0, conversation.StatusInProgress, "2025-03-06T23:30:00Z", 0, 2, [][2]string{{"user", "text"}}},
	{1, conversation.StatusCompleted, "2025-03-05T08:00:00Z", 90 * time.Second, 8, [][2]string{{"assistant", "voice"}, {"user", "voice"}, {"assistant", "voice"}}},
	{1, conversation.StatusPending, "2025-03-05T09:00:00Z", 0, 0, nil},
	{1, conversation.StatusArchived, "2025-03-05T10:00:00Z", 0, 5, nil},
}

// statsEnv creates the fixture for the test mode of organization Stats, and
// decoys (its live mode, another organization) that must never be counted.
func statsEnv(t *testing.T) (env *apitest.Env, key string, agents []uuid.UUID) {
	t.Helper()
	env = apitest.Start(t)
	key = env.Key(t, "Stats", false)
	env.Key(t, "Stats", true)
	env.Key(t, "Other", false)
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	org := func(name string) uuid.UUID {
		id, err := env.Client.Organization.Query().Where(organization.Name(name)).OnlyID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	create := func(orgID uuid.UUID, live bool, convs []statsConv) []uuid.UUID {
		var ids []uuid.UUID
		for i := range 2 {
			a, err := env.Client.Agent.Create().SetOrganizationID(orgID).SetLivemode(live).SetName(fmt.Sprintf("agent %d", i)).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		for _, c := range convs {
			created, err := time.Parse(time.RFC3339, c.created)
			if err != nil {
				t.Fatal(err)
			}
			b := env.Client.Conversation.Create().SetOrganizationID(orgID).SetLivemode(live).
				SetAgentID(ids[c.agent]).SetStatus(c.status).SetTurnCount(c.turns).SetMessageCount(len(c.messages)).
				SetCreatedAt(created).SetUpdatedAt(created)
			if c.status != conversation.StatusPending {
				b.SetStartedAt(created.Add(time.Minute))
			}
			if c.duration > 0 {
				b.SetCompletedAt(created.Add(time.Minute + c.duration))
			}
			conv, err := b.Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range c.messages {
				err := env.Client.Message.Create().SetOrganizationID(orgID).SetLivemode(live).SetConversationID(conv.ID).
					SetPosition(i + 1).SetRole(message.Role(m[0])).SetModality(message.Modality(m[1])).SetContent("hi").Exec(ctx)
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		return ids
	}
	agents = create(org("Stats"), false, statsFixture)
	decoys := []statsConv{
		{0, conversation.StatusCompleted, "2025-03-03T10:30:00Z", time.Hour, 40, [][2]string{{"user", "text"}}},
		{1, conversation.StatusAbandoned, "2025-03-05T11:00:00Z", time.Hour, 30, [][2]string{{"system", "text"}}},
	}
	create(org("Stats"), true, decoys)
	create(org("Other"), false, decoys)
	env.WarmKey(t, key)
	return env, key, agents
}

// percentileCont is PostgreSQL's percentile_cont, computed independently.
func percentileCont(vals []float64, p float64) float64 {
	s := slices.Clone(vals)
	slices.Sort(s)
	pos := p * float64(len(s)-1)
	lo := math.Floor(pos)
	if int(lo)+1 >= len(s) {
		return s[int(lo)]
	}
	return s[int(lo)] + (pos-lo)*(s[int(lo)+1]-s[int(lo)])
}

// expected computes a group's numbers from the fixture rows that match.
func expected(match func(statsConv) bool) map[string]any {
	var durations, turns []float64
	byStatus := map[string]int{}
	msgs := map[string]int{}
	n := 0
	for _, c := range statsFixture {
		if !match(c) {
			continue
		}
		n++
		byStatus[string(c.status)]++
		turns = append(turns, float64(c.turns))
		if c.status == conversation.StatusCompleted {
			durations = append(durations, float64(c.duration.Milliseconds()))
		}
		for _, m := range c.messages {
			msgs["total"]++
			msgs[m[0]]++
			msgs[m[1]]++
		}
	}
	dist := func(vals []float64) map[string]any {
		if len(vals) == 0 {
			return map[string]any{"count": 0, "average": nil, "median": nil, "p90": nil}
		}
		sum := 0.0
		for _, v := range vals {
			sum += v
		}
		return map[string]any{"count": len(vals), "average": sum / float64(len(vals)),
			"median": percentileCont(vals, 0.5), "p90": percentileCont(vals, 0.9)}
	}
	var rate any
	if ended := byStatus["completed"] + byStatus["abandoned"]; ended > 0 {
		rate = float64(byStatus["completed"]) / float64(ended)
	}
	return map[string]any{
		"count": n,
		"byStatus": map[string]any{"pending": byStatus["pending"], "inProgress": byStatus["in_progress"],
			"completed": byStatus["completed"], "abandoned": byStatus["abandoned"], "archived": byStatus["archived"]},
		"completionRate": rate,
		"durationMs":     dist(durations),
		"turnCount":      dist(turns),
		"messages": map[string]any{"total": msgs["total"], "user": msgs["user"], "assistant": msgs["assistant"],
			"system": msgs["system"], "voice": msgs["voice"], "text": msgs["text"]},
	}
}

const statsFields = `count byStatus { pending inProgress completed abandoned archived } completionRate
	durationMs { count average median p90 } turnCount { count average median p90 }
	messages { total user assistant system voice text }`

// sameNumbers compares a group from the API with an expected one; numbers
// are compared as floats, with a tolerance for SQL's float arithmetic.
func sameNumbers(t *testing.T, where string, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %v, want an object", where, got)
			return
		}
		for k, wv := range w {
			sameNumbers(t, where+"."+k, g[k], wv)
		}
	case nil:
		if got != nil {
			t.Errorf("%s: got %v, want null", where, got)
		}
	default:
		wf := toFloat(want)
		gf, ok := got.(float64)
		if !ok || math.Abs(gf-wf) > 1e-6*math.Max(1, math.Abs(wf)) {
			t.Errorf("%s: got %v, want %v", where, got, want)
		}
	}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("not a number: %T", v))
}

func groups(t *testing.T, data map[string]any) []map[string]any {
	t.Helper()
	raw, _ := testenv.Get(data, "conversationStats", "groups").([]any)
	out := make([]map[string]any, len(raw))
	for i, g := range raw {
		out[i] = g.(map[string]any)
	}
	return out
}

func TestConversationStatsValues(t *testing.T) {
	env, key, agents := statsEnv(t)
	all := func(statsConv) bool { return true }

	t.Run("one group", func(t *testing.T) {
		data := env.MustGraphQL(t, key, `{ conversationStats { groupBy interval from to timeZone groups { `+statsFields+` } } }`, nil)
		gs := groups(t, data)
		if len(gs) != 1 {
			t.Fatalf("got %d groups, want 1", len(gs))
		}
		sameNumbers(t, "all", gs[0], expected(all))
		if tz := testenv.Get(data, "conversationStats", "timeZone"); tz != "UTC" {
			t.Errorf("timeZone %v, want UTC", tz)
		}
	})

	t.Run("by agent", func(t *testing.T) {
		data := env.MustGraphQL(t, key, `{ conversationStats(groupBy: AGENT) { groups { agentID `+statsFields+` } } }`, nil)
		gs := groups(t, data)
		if len(gs) != 2 {
			t.Fatalf("got %d groups, want 2: %v", len(gs), gs)
		}
		// Agent 0 has five conversations, agent 1 three: most first.
		for i, g := range gs {
			if g["agentID"] != agents[i].String() {
				t.Errorf("group %d is agent %v, want %v", i, g["agentID"], agents[i])
			}
			sameNumbers(t, fmt.Sprintf("agent %d", i), g, expected(func(c statsConv) bool { return c.agent == i }))
		}
	})

	t.Run("by status", func(t *testing.T) {
		data := env.MustGraphQL(t, key, `{ conversationStats(groupBy: STATUS) { groups { status `+statsFields+` } } }`, nil)
		gs := groups(t, data)
		want := []string{"pending", "in_progress", "completed", "abandoned", "archived"}
		if len(gs) != len(want) {
			t.Fatalf("got %d groups, want %d", len(gs), len(want))
		}
		for i, g := range gs {
			if g["status"] != want[i] {
				t.Errorf("group %d is %v, want %s", i, g["status"], want[i])
			}
			sameNumbers(t, want[i], g, expected(func(c statsConv) bool { return string(c.status) == want[i] }))
		}
	})

	t.Run("where is the conversations filter", func(t *testing.T) {
		vars := map[string]any{"where": map[string]any{"agentID": agents[1].String(), "statusIn": []string{"completed", "pending"}}}
		data := env.MustGraphQL(t, key, `query($where: ConversationWhereInput) {
			conversationStats(where: $where) { groups { `+statsFields+` } }
			conversations(where: $where) { totalCount } }`, vars)
		g := groups(t, data)[0]
		sameNumbers(t, "filtered", g, expected(func(c statsConv) bool {
			return c.agent == 1 && (c.status == conversation.StatusCompleted || c.status == conversation.StatusPending)
		}))
		if total := testenv.Get(data, "conversations", "totalCount"); total != g["count"] {
			t.Errorf("conversations totalCount %v, stats count %v", total, g["count"])
		}
	})
}

func TestConversationStatsTimeBuckets(t *testing.T) {
	env, key, _ := statsEnv(t)
	q := `query($where: ConversationWhereInput, $interval: StatsInterval, $tz: String) {
		conversationStats(where: $where, groupBy: TIME, interval: $interval, timeZone: $tz) {
			interval timeZone from to groups { start end ` + statsFields + ` } } }`
	week := map[string]any{"createdAtGTE": "2025-03-02T00:00:00Z", "createdAtLT": "2025-03-09T00:00:00Z"}
	inDay := func(loc *time.Location, day string) func(statsConv) bool {
		return func(c statsConv) bool {
			created, _ := time.Parse(time.RFC3339, c.created)
			return created.In(loc).Format("2006-01-02") == day
		}
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		zone   string
		loc    *time.Location
		starts []string
	}{
		{"UTC", time.UTC, []string{"2025-03-02T00:00:00Z", "2025-03-03T00:00:00Z", "2025-03-04T00:00:00Z", "2025-03-05T00:00:00Z", "2025-03-06T00:00:00Z", "2025-03-07T00:00:00Z", "2025-03-08T00:00:00Z"}},
		// Berlin's days start at 23:00 UTC; the window starts at midnight
		// UTC, inside Berlin's 2 March.
		{"Europe/Berlin", berlin, []string{"2025-03-01T23:00:00Z", "2025-03-02T23:00:00Z", "2025-03-03T23:00:00Z", "2025-03-04T23:00:00Z", "2025-03-05T23:00:00Z", "2025-03-06T23:00:00Z", "2025-03-07T23:00:00Z", "2025-03-08T23:00:00Z"}},
	} {
		t.Run("DAY "+tc.zone, func(t *testing.T) {
			data := env.MustGraphQL(t, key, q, map[string]any{"where": week, "interval": "DAY", "tz": tc.zone})
			gs := groups(t, data)
			if len(gs) != len(tc.starts) {
				t.Fatalf("got %d buckets, want %d: %v", len(gs), len(tc.starts), gs)
			}
			for i, g := range gs {
				if g["start"] != tc.starts[i] {
					t.Errorf("bucket %d starts %v, want %s", i, g["start"], tc.starts[i])
				}
				start, _ := time.Parse(time.RFC3339, tc.starts[i])
				day := start.In(tc.loc).Format("2006-01-02")
				sameNumbers(t, day, g, expected(inDay(tc.loc, day)))
			}
		})
	}

	t.Run("23:30 UTC is the next day in Berlin", func(t *testing.T) {
		where := map[string]any{"createdAtGTE": "2025-03-06T00:00:00Z", "createdAtLT": "2025-03-07T12:00:00Z"}
		utc := groups(t, env.MustGraphQL(t, key, q, map[string]any{"where": where, "tz": "UTC"}))
		ber := groups(t, env.MustGraphQL(t, key, q, map[string]any{"where": where, "tz": "Europe/Berlin"}))
		counts := func(gs []map[string]any) (out []string) {
			for _, g := range gs {
				out = append(out, fmt.Sprintf("%v=%v", g["start"], g["count"]))
			}
			return out
		}
		if got, want := counts(utc), []string{"2025-03-06T00:00:00Z=1", "2025-03-07T00:00:00Z=0"}; !slices.Equal(got, want) {
			t.Errorf("UTC buckets %v, want %v", got, want)
		}
		if got, want := counts(ber), []string{"2025-03-05T23:00:00Z=0", "2025-03-06T23:00:00Z=1"}; !slices.Equal(got, want) {
			t.Errorf("Berlin buckets %v, want %v", got, want)
		}
	})

	t.Run("HOUR and WEEK", func(t *testing.T) {
		where := map[string]any{"createdAtGTE": "2025-03-03T09:00:00Z", "createdAtLT": "2025-03-03T13:00:00Z"}
		hours := groups(t, env.MustGraphQL(t, key, q, map[string]any{"where": where, "interval": "HOUR", "tz": "Asia/Kolkata"}))
		// Kolkata is UTC+5:30, so its hours start at half past in UTC.
		var got []string
		for _, g := range hours {
			got = append(got, fmt.Sprintf("%v=%v", g["start"], g["count"]))
		}
		want := []string{"2025-03-03T08:30:00Z=0", "2025-03-03T09:30:00Z=1", "2025-03-03T10:30:00Z=0", "2025-03-03T11:30:00Z=1", "2025-03-03T12:30:00Z=0"}
		if !slices.Equal(got, want) {
			t.Errorf("hours %v, want %v", got, want)
		}
		weeks := groups(t, env.MustGraphQL(t, key, q, map[string]any{"where": week, "interval": "WEEK", "tz": "Europe/Berlin"}))
		got = nil
		for _, g := range weeks {
			got = append(got, fmt.Sprintf("%v..%v=%v", g["start"], g["end"], g["count"]))
		}
		want = []string{"2025-02-23T23:00:00Z..2025-03-02T23:00:00Z=0", "2025-03-02T23:00:00Z..2025-03-09T23:00:00Z=8"}
		if !slices.Equal(got, want) {
			t.Errorf("weeks %v, want %v", got, want)
		}
	})

	t.Run("default window", func(t *testing.T) {
		data := env.MustGraphQL(t, key, q, map[string]any{"interval": "DAY"})
		gs := groups(t, data)
		if len(gs) != 30 {
			t.Fatalf("default window has %d daily buckets, want 30", len(gs))
		}
		if last, _ := time.Parse(time.RFC3339, gs[29]["start"].(string)); time.Since(last) < 0 || time.Since(last) > 24*time.Hour {
			t.Errorf("the last bucket starts at %v, want today", last)
		}
	})
}

func TestConversationStatsTenancy(t *testing.T) {
	env, key, _ := statsEnv(t)
	const q = `{ conversationStats(groupBy: STATUS) { groups { status count turnCount { p90 } messages { total } } } }`
	live := env.Key(t, "Stats", true)
	other := env.Key(t, "Other", false)
	for name, k := range map[string]string{"live mode": live, "another organization": other} {
		var total, msgs int
		for _, g := range groups(t, env.MustGraphQL(t, k, q, nil)) {
			total += int(g["count"].(float64))
			msgs += int(testenv.Get(g, "messages", "total").(float64))
		}
		if total != 2 || msgs != 2 {
			t.Errorf("%s sees %d conversations and %d messages, want only its own 2 and 2", name, total, msgs)
		}
	}
	var total int
	for _, g := range groups(t, env.MustGraphQL(t, key, q, nil)) {
		total += int(g["count"].(float64))
	}
	if total != len(statsFixture) {
		t.Errorf("the test key sees %d conversations, want %d", total, len(statsFixture))
	}
}

// Stats are one statement for the conversations and one for their
// messages, whatever the number of groups; no messages selected, no
// messages statement.
func TestConversationStatsStatements(t *testing.T) {
	env, key, _ := statsEnv(t)
	for _, tc := range []struct {
		args string
		msgs bool
	}{
		{"", true},
		{"groupBy: AGENT", true},
		{"groupBy: STATUS", false},
		{`groupBy: TIME, interval: HOUR, timeZone: "Europe/Berlin", where: {createdAtGTE: "2025-03-01T00:00:00Z", createdAtLT: "2025-03-10T00:00:00Z"}`, true},
		{`groupBy: TIME, interval: DAY, where: {createdAtGTE: "2024-01-01T00:00:00Z", createdAtLT: "2025-06-01T00:00:00Z"}`, true},
		{`groupBy: TIME, interval: WEEK`, false},
	} {
		sel := `count durationMs { median p90 }`
		want := 2 // the key and the conversations
		if tc.msgs {
			sel += ` messages { total voice }`
			want = 3
		}
		args := ""
		if tc.args != "" {
			args = "(" + tc.args + ")"
		}
		env.Queries.Reset()
		env.MustGraphQL(t, key, `{ conversationStats`+args+` { groups { `+sel+` } } }`, nil)
		if got := env.Queries.Count(); got != want {
			t.Errorf("%s: %d statements, want %d: %q", tc.args, got, want, env.Queries.Statements())
		}
	}
}

func TestConversationStatsInvalid(t *testing.T) {
	env, key, _ := statsEnv(t)
	for _, tc := range []struct{ args, mention string }{
		{`timeZone: "Mars/Olympus_Mons"`, "timeZone"},
		{`timeZone: ""`, "timeZone"},
		{`timeZone: "Local"`, "timeZone"},
		{`timeZone: "../../etc/passwd"`, "timeZone"},
		{`groupBy: TIME, interval: MONTH`, "MONTH"},
		{`groupBy: AGENT, interval: DAY`, "interval"},
		{`groupBy: TIME, interval: HOUR, where: {createdAtGTE: "2025-01-01T00:00:00Z", createdAtLT: "2025-03-01T00:00:00Z"}`, "1000"},
		{`groupBy: TIME, interval: DAY, where: {createdAtGTE: "2025-03-01T00:00:00Z", createdAtLT: "2025-03-01T00:00:00Z"}`, "empty"},
	} {
		env.Queries.Reset()
		res := env.GraphQL(t, key, `{ conversationStats(`+tc.args+`) { groups { count } } }`, nil)
		if len(res.Errors) != 1 || res.Errors[0].Code() != "invalid_request" || !strings.Contains(res.Errors[0].Message, tc.mention) {
			body, _ := json.Marshal(res.Errors)
			t.Errorf("%s: errors %s, want one invalid_request mentioning %q", tc.args, body, tc.mention)
			continue
		}
		if res.Status != http.StatusOK && res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", tc.args, res.Status)
		}
		// Refused before any SQL but the key lookup.
		if n := env.Queries.Count(); n > 1 {
			t.Errorf("%s: %d statements: %q", tc.args, n, env.Queries.Statements())
		}
	}
}

// Conversations changed through the API keep message counters, which the
// stats sum without reading messages; conversations without them (the
// fixture's, written around internal/conversations as rows stored before
// the counters were) still have their messages counted, in the same
// answer.
func TestConversationStatsMessageCounters(t *testing.T) {
	env, key, agents := statsEnv(t)
	transcripts := [][][2]string{
		{{"system", "text"}, {"assistant", "voice"}, {"user", "voice"}},
		{{"user", "text"}},
		{{"assistant", "text"}, {"user", "voice"}, {"user", "text"}, {"assistant", "voice"}},
	}
	// The same transcripts under a second organization, where every
	// conversation is counted.
	counted := env.Key(t, "Counted", false)
	add := func(key, agentID string) {
		for _, tr := range transcripts {
			data := env.MustGraphQL(t, key, `mutation($input: CreateConversationInput!) { startConversation(input: $input) { id } }`,
				map[string]any{"input": map[string]any{"agentID": agentID}})
			id := testenv.Get(data, "startConversation", "id")
			var msgs []map[string]any
			for _, m := range tr {
				msgs = append(msgs, map[string]any{"role": m[0], "modality": m[1], "content": "hi"})
			}
			env.MustGraphQL(t, key, `mutation($id: ID!, $msgs: [AppendMessageInput!]!) { appendMessages(conversationID: $id, messages: $msgs) { conversation { id } } }`,
				map[string]any{"id": id, "msgs": msgs})
		}
	}
	add(key, agents[0].String())
	agent := testenv.Get(env.MustGraphQL(t, counted, `mutation { createAgent(input: {name: "a"}) { id } }`, nil), "createAgent", "id").(string)
	add(counted, agent)

	want := map[string]int{}
	for _, tr := range transcripts {
		for _, m := range tr {
			want["total"]++
			want[m[0]]++
			want[m[1]]++
		}
	}
	wantMessages := func(extra map[string]int) map[string]any {
		out := map[string]any{}
		for _, k := range []string{"total", "user", "assistant", "system", "voice", "text"} {
			out[k] = want[k] + extra[k]
		}
		return out
	}
	const q = `{ conversationStats { groups { count messages { total user assistant system voice text } } } }`

	env.Queries.Reset()
	g := groups(t, env.MustGraphQL(t, counted, q, nil))[0]
	sameNumbers(t, "counted", g["messages"], wantMessages(nil))
	// The key and the conversations: no messages statement.
	if got := env.Queries.Count(); got != 2 {
		t.Errorf("counted conversations only: %d statements, want 2: %q", got, env.Queries.Statements())
	}

	env.WarmKey(t, key)
	env.Queries.Reset()
	g = groups(t, env.MustGraphQL(t, key, q, nil))[0]
	fixture := expected(func(statsConv) bool { return true })["messages"].(map[string]any)
	extra := map[string]int{}
	for k, v := range fixture {
		extra[k] = v.(int)
	}
	sameNumbers(t, "mixed", g["messages"], wantMessages(extra))
	if got := env.Queries.Count(); got != 3 {
		t.Errorf("with uncounted conversations: %d statements, want 3: %q", got, env.Queries.Statements())
	}
}
