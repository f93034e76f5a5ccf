package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/testenv"
)

// tenantRows is what one API key created through the API, as the key's
// owner should see it.
type tenantRows struct {
	label   string
	key     string
	orgName string
	orgID   string
	live    bool

	agents, participants, conversations, messages []string

	agentName        map[string]string   // agent -> name
	convAgent        map[string]string   // conversation -> agent
	convParticipant  map[string]string   // conversation -> participant ("" for none)
	convMessages     map[string][]string // conversation -> messages by position
	agentConvs       map[string][]string // agent -> conversations
	participantConvs map[string][]string // participant -> conversations
}

// visible returns every ID the key may see: its own rows and its
// organization.
func (r *tenantRows) visible() map[string]bool {
	v := map[string]bool{r.orgID: true}
	for _, ids := range [][]string{r.agents, r.participants, r.conversations, r.messages} {
		for _, id := range ids {
			v[id] = true
		}
	}
	return v
}

const tnCreateParticipant = `mutation($input: CreateParticipantInput!) { createParticipant(input: $input) { id } }`

// seedTenant creates, with key, two agents, two participants and three
// conversations (two of them with messages, one completed).
func seedTenant(t *testing.T, env *apitest.Env, label, orgName, key string, live bool) *tenantRows {
	t.Helper()
	r := &tenantRows{
		label: label, key: key, orgName: orgName, live: live,
		agentName: map[string]string{}, convAgent: map[string]string{}, convParticipant: map[string]string{},
		convMessages: map[string][]string{}, agentConvs: map[string][]string{}, participantConvs: map[string][]string{},
	}
	r.orgID = testenv.Get(env.MustGraphQL(t, key, `{ viewer { organization { id } } }`, nil), "viewer", "organization", "id").(string)
	for i := range 2 {
		name := fmt.Sprintf("%s agent %d", label, i)
		id := newAgent(t, env, key, name)
		r.agents = append(r.agents, id)
		r.agentName[id] = name
		data := env.MustGraphQL(t, key, tnCreateParticipant, map[string]any{"input": map[string]any{
			"email": fmt.Sprintf("%s-%d@example.com", strings.ReplaceAll(label, " ", "-"), i), "firstName": label,
		}})
		r.participants = append(r.participants, testenv.Get(data, "createParticipant", "id").(string))
	}
	// conversation 0: agent 0 + participant 0, three messages, in progress
	// conversation 1: agent 1, no participant, no messages, pending
	// conversation 2: agent 0 + participant 1, two messages, completed
	plan := []struct {
		agent, participant int
		messages           int
		complete           bool
	}{{0, 0, 3, false}, {1, -1, 0, false}, {0, 1, 2, true}}
	for i, p := range plan {
		input := map[string]any{"agentID": r.agents[p.agent], "sessionProperties": map[string]any{"tenant": label}}
		participant := ""
		if p.participant >= 0 {
			participant = r.participants[p.participant]
			input["participantID"] = participant
		}
		data := env.MustGraphQL(t, key, startConversation, map[string]any{"input": input})
		id := testenv.Get(data, "startConversation", "id").(string)
		r.conversations = append(r.conversations, id)
		r.convAgent[id] = r.agents[p.agent]
		r.convParticipant[id] = participant
		r.agentConvs[r.agents[p.agent]] = append(r.agentConvs[r.agents[p.agent]], id)
		if participant != "" {
			r.participantConvs[participant] = append(r.participantConvs[participant], id)
		}
		if p.messages > 0 {
			var msgs []any
			for j := range p.messages {
				role := "assistant"
				if j%2 == 1 {
					role = "user"
				}
				msgs = append(msgs, map[string]any{"role": role, "content": fmt.Sprintf("%s conversation %d message %d", label, i, j), "modality": "text"})
			}
			data := env.MustGraphQL(t, key, appendMessages, map[string]any{"id": id, "messages": msgs})
			for _, m := range testenv.Get(data, "appendMessages", "messages").([]any) {
				mid := testenv.Get(m, "id").(string)
				r.messages = append(r.messages, mid)
				r.convMessages[id] = append(r.convMessages[id], mid)
			}
		}
		if p.complete {
			env.MustGraphQL(t, key, setStatus, map[string]any{"id": id, "status": "completed"})
		}
	}
	return r
}

// tenancySnapshot reads everything a key can see, with every field a
// mutation could change and every nested list that could leak. A tenant has
// at most four rows of a kind, so pages of 10 hold all of them (and the
// totalCounts are checked), while the query stays within the complexity
// limit.
const tenancySnapshot = `{
  viewer { livemode organization { id name } }
  agents(first: 10) { totalCount edges { node {
    id createdAt updatedAt livemode name description goal availableModes defaultMode
    conversations(first: 10) { totalCount edges { node { id agent { id } } } }
  } } }
  participants(first: 10) { totalCount edges { node {
    id createdAt updatedAt livemode email firstName lastName organizationName organizationDomain avatarImageURL
    conversations(first: 10) { totalCount edges { node { id participant { id } } } }
  } } }
  conversations(first: 10) { totalCount edges { node {
    id createdAt updatedAt livemode agentID participantID connectionCode status startedAt completedAt
    turnCount messageCount sessionProperties pathTaken
    agent { id name livemode }
    participant { id email livemode }
    transcript { id position content livemode conversationID conversation { id } }
    messages(first: 10) { totalCount edges { node { id position livemode conversation { id } } } }
  } } }
}`

func snapshot(t *testing.T, env *apitest.Env, key string) map[string]any {
	t.Helper()
	return env.MustGraphQL(t, key, tenancySnapshot, nil)
}

// edgeNodes returns the nodes of a connection.
func edgeNodes(conn any) []map[string]any {
	var out []map[string]any
	for _, e := range testenv.Get(conn, "edges").([]any) {
		out = append(out, testenv.Get(e, "node").(map[string]any))
	}
	return out
}

func nodeIDs(nodes []map[string]any) []string {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n["id"].(string)
	}
	return ids
}

// sameSet fails unless got and want hold the same IDs, each once.
func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s: got IDs %v, want exactly %v", what, g, w)
	}
}

// checkOwnView checks a snapshot against what the tenant created.
func checkOwnView(t *testing.T, r *tenantRows, snap map[string]any) {
	t.Helper()
	if got := testenv.Get(snap, "viewer", "livemode"); got != r.live {
		t.Errorf("%s: viewer.livemode = %v, want %v", r.label, got, r.live)
	}
	if got := testenv.Get(snap, "viewer", "organization", "name"); got != r.orgName {
		t.Errorf("%s: viewer.organization.name = %v, want %v", r.label, got, r.orgName)
	}
	if got := testenv.Get(snap, "viewer", "organization", "id"); got != r.orgID {
		t.Errorf("%s: viewer.organization.id = %v, want %v", r.label, got, r.orgID)
	}

	for field, want := range map[string][]string{"agents": r.agents, "participants": r.participants, "conversations": r.conversations} {
		nodes := edgeNodes(snap[field])
		sameSet(t, r.label+" "+field, nodeIDs(nodes), want)
		if got := testenv.Get(snap, field, "totalCount"); got != float64(len(want)) {
			t.Errorf("%s: %s.totalCount = %v, want %d", r.label, field, got, len(want))
		}
		for _, n := range nodes {
			if n["livemode"] != r.live {
				t.Errorf("%s: %s %s has livemode %v", r.label, field, n["id"], n["livemode"])
			}
		}
	}

	// Nested lists and edges show the tenant's own rows only.
	for _, a := range edgeNodes(snap["agents"]) {
		id := a["id"].(string)
		convs := edgeNodes(a["conversations"])
		sameSet(t, r.label+" agent.conversations", nodeIDs(convs), r.agentConvs[id])
		if got := testenv.Get(a, "conversations", "totalCount"); got != float64(len(r.agentConvs[id])) {
			t.Errorf("%s: agent %s conversations.totalCount = %v, want %d", r.label, id, got, len(r.agentConvs[id]))
		}
		for _, c := range convs {
			if testenv.Get(c, "agent", "id") != id {
				t.Errorf("%s: agent %s lists conversation %s of agent %v", r.label, id, c["id"], testenv.Get(c, "agent", "id"))
			}
		}
	}
	for _, p := range edgeNodes(snap["participants"]) {
		id := p["id"].(string)
		convs := edgeNodes(p["conversations"])
		sameSet(t, r.label+" participant.conversations", nodeIDs(convs), r.participantConvs[id])
		if got := testenv.Get(p, "conversations", "totalCount"); got != float64(len(r.participantConvs[id])) {
			t.Errorf("%s: participant %s conversations.totalCount = %v, want %d", r.label, id, got, len(r.participantConvs[id]))
		}
	}
	for _, c := range edgeNodes(snap["conversations"]) {
		id := c["id"].(string)
		if got := testenv.Get(c, "agent", "id"); got != r.convAgent[id] || c["agentID"] != r.convAgent[id] {
			t.Errorf("%s: conversation %s agent = %v (agentID %v), want %s", r.label, id, got, c["agentID"], r.convAgent[id])
		}
		if got := testenv.Get(c, "agent", "name"); got != r.agentName[r.convAgent[id]] {
			t.Errorf("%s: conversation %s agent name = %v", r.label, id, got)
		}
		if testenv.Get(c, "agent", "livemode") != r.live {
			t.Errorf("%s: conversation %s agent livemode = %v", r.label, id, testenv.Get(c, "agent", "livemode"))
		}
		if want := r.convParticipant[id]; want == "" {
			if c["participant"] != nil || c["participantID"] != nil {
				t.Errorf("%s: conversation %s has participant %v, want none", r.label, id, c["participant"])
			}
		} else if testenv.Get(c, "participant", "id") != want || c["participantID"] != want || testenv.Get(c, "participant", "livemode") != r.live {
			t.Errorf("%s: conversation %s participant = %v, want %s", r.label, id, c["participant"], want)
		}
		var transcript []string
		for i, m := range c["transcript"].([]any) {
			transcript = append(transcript, testenv.Get(m, "id").(string))
			if testenv.Get(m, "position") != float64(i+1) || testenv.Get(m, "conversationID") != id ||
				testenv.Get(m, "conversation", "id") != id || testenv.Get(m, "livemode") != r.live ||
				!strings.HasPrefix(testenv.Get(m, "content").(string), r.label+" ") {
				t.Errorf("%s: conversation %s transcript[%d] = %v", r.label, id, i, m)
			}
		}
		if !slices.Equal(transcript, r.convMessages[id]) {
			t.Errorf("%s: conversation %s transcript = %v, want %v", r.label, id, transcript, r.convMessages[id])
		}
		msgs := edgeNodes(c["messages"])
		sameSet(t, r.label+" conversation.messages", nodeIDs(msgs), r.convMessages[id])
		if got := testenv.Get(c, "messages", "totalCount"); got != float64(len(r.convMessages[id])) || c["messageCount"] != float64(len(r.convMessages[id])) {
			t.Errorf("%s: conversation %s messages.totalCount = %v, messageCount = %v, want %d", r.label, id, got, c["messageCount"], len(r.convMessages[id]))
		}
		for _, m := range msgs {
			if testenv.Get(m, "conversation", "id") != id || m["livemode"] != r.live {
				t.Errorf("%s: conversation %s lists message %v", r.label, id, m)
			}
		}
	}
}

// missingLike returns a well-formed ID with the same type tag as id (only
// its last 12 hex digits differ) that names no row in any table.
func missingLike(t *testing.T, env *apitest.Env, id string) string {
	t.Helper()
	existing := allIDs(t, env)
	for {
		fresh := uuid.NewString()
		candidate := id[:len(id)-12] + fresh[len(fresh)-12:]
		if !existing[candidate] {
			return candidate
		}
	}
}

// allIDs returns the ID of every row in the database.
func allIDs(t *testing.T, env *apitest.Env) map[string]bool {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	ids := map[string]bool{}
	var lists [][]uuid.UUID
	for _, q := range []func() ([]uuid.UUID, error){
		func() ([]uuid.UUID, error) { return env.Client.Organization.Query().IDs(ctx) },
		func() ([]uuid.UUID, error) { return env.Client.APIKey.Query().IDs(ctx) },
		func() ([]uuid.UUID, error) { return env.Client.Agent.Query().IDs(ctx) },
		func() ([]uuid.UUID, error) { return env.Client.Participant.Query().IDs(ctx) },
		func() ([]uuid.UUID, error) { return env.Client.Conversation.Query().IDs(ctx) },
		func() ([]uuid.UUID, error) { return env.Client.Message.Query().IDs(ctx) },
	} {
		l, err := q()
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, l)
	}
	for _, l := range lists {
		for _, id := range l {
			ids[id.String()] = true
		}
	}
	return ids
}

// sameAsMissing fails unless the answer for an ID the caller cannot see
// (foreign) is exactly the answer for an ID that does not exist (missing):
// one not_found error, the same data, path and status, and the same message
// once each ID is replaced by a placeholder.
func sameAsMissing(t *testing.T, what string, foreign, missing testenv.Response, foreignID, missingID string) {
	t.Helper()
	if len(foreign.Errors) != 1 || foreign.Errors[0].Code() != "not_found" {
		t.Errorf("%s with another tenant's ID %s: want one not_found error, got status %d, errors %+v, data %v", what, foreignID, foreign.Status, foreign.Errors, foreign.Data)
		return
	}
	if len(missing.Errors) != 1 || missing.Errors[0].Code() != "not_found" {
		t.Errorf("%s with a missing ID %s: want one not_found error, got status %d, errors %+v, data %v", what, missingID, missing.Status, missing.Errors, missing.Data)
		return
	}
	if foreign.Status != missing.Status {
		t.Errorf("%s: HTTP status %d for a foreign ID, %d for a missing one", what, foreign.Status, missing.Status)
	}
	if !reflect.DeepEqual(foreign.Data, missing.Data) {
		t.Errorf("%s: data %v for a foreign ID, %v for a missing one", what, foreign.Data, missing.Data)
	}
	fe, me := foreign.Errors[0], missing.Errors[0]
	if !reflect.DeepEqual(fe.Path, me.Path) || !reflect.DeepEqual(fe.Extensions, me.Extensions) {
		t.Errorf("%s: error %+v for a foreign ID, %+v for a missing one", what, fe, me)
	}
	if f, m := strings.ReplaceAll(fe.Message, foreignID, "<id>"), strings.ReplaceAll(me.Message, missingID, "<id>"); f != m {
		t.Errorf("%s: message %q for a foreign ID, %q for a missing one", what, f, m)
	}
}

// sameJSON fails with both values when got and want differ.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s changed:\n got: %s\nwant: %s", what, g, w)
	}
}

// idKinds names the object type of each ID a tenant created.
func idKinds(rs []*tenantRows) map[string]string {
	kinds := map[string]string{}
	for _, r := range rs {
		kinds[r.orgID] = "Organization"
		for kind, ids := range map[string][]string{"Agent": r.agents, "Participant": r.participants, "Conversation": r.conversations, "Message": r.messages} {
			for _, id := range ids {
				kinds[id] = kind
			}
		}
	}
	return kinds
}

func TestTenantIsolation(t *testing.T) {
	env := apitest.Start(t)
	aTest := seedTenant(t, env, "A test", "Acme", env.Key(t, "Acme", false), false)
	aLive := seedTenant(t, env, "A live", "Acme", env.Key(t, "Acme", true), true)
	bTest := seedTenant(t, env, "B test", "Globex", env.Key(t, "Globex", false), false)
	tenants := []*tenantRows{aTest, aLive, bTest}
	if aTest.orgID != aLive.orgID || aTest.orgID == bTest.orgID {
		t.Fatalf("organizations: A test %s, A live %s, B test %s", aTest.orgID, aLive.orgID, bTest.orgID)
	}

	// Every ID in the database the tests made, by type, and for each type a
	// well-formed ID of that type that names nothing.
	kinds := idKinds(tenants)
	universe := slices.Sorted(maps.Keys(kinds))
	missing := map[string]string{}
	for _, id := range universe {
		if missing[kinds[id]] == "" {
			missing[kinds[id]] = missingLike(t, env, id)
		}
	}
	if len(missing) != 5 {
		t.Fatalf("want a missing ID for each of 5 types, got %v", missing)
	}

	baseline := map[string]map[string]any{}
	for _, r := range tenants {
		baseline[r.label] = snapshot(t, env, r.key)
	}
	// unchanged fails unless every tenant still sees exactly the baseline.
	unchanged := func(t *testing.T, after string) {
		t.Helper()
		for _, r := range tenants {
			sameJSON(t, fmt.Sprintf("%s's data after %s", r.label, after), snapshot(t, env, r.key), baseline[r.label])
		}
	}

	t.Run("root connections, viewer and nested fields", func(t *testing.T) {
		for _, r := range tenants {
			checkOwnView(t, r, baseline[r.label])
		}
	})

	t.Run("filters naming other tenants' IDs", func(t *testing.T) {
		var allAgents, allParticipants, allConversations []string
		for _, r := range tenants {
			allAgents = append(allAgents, r.agents...)
			allParticipants = append(allParticipants, r.participants...)
			allConversations = append(allConversations, r.conversations...)
		}
		const q = `query($a: [ID!], $p: [ID!], $c: [ID!]) {
		  agents(first: 100, where: {idIn: $a}) { totalCount edges { node { id } } }
		  participants(first: 100, where: {idIn: $p}) { totalCount edges { node { id } } }
		  conversations(first: 100, where: {idIn: $c}) { totalCount edges { node { id } } }
		  byAgent: conversations(first: 100, where: {agentIDIn: $a}) { totalCount edges { node { id } } }
		  byParticipant: conversations(first: 100, where: {participantIDIn: $p}) { totalCount edges { node { id } } }
		}`
		for _, r := range tenants {
			data := env.MustGraphQL(t, r.key, q, map[string]any{"a": allAgents, "p": allParticipants, "c": allConversations})
			var withParticipant []string
			for _, c := range r.conversations {
				if r.convParticipant[c] != "" {
					withParticipant = append(withParticipant, c)
				}
			}
			for field, want := range map[string][]string{
				"agents": r.agents, "participants": r.participants, "conversations": r.conversations,
				"byAgent": r.conversations, "byParticipant": withParticipant,
			} {
				sameSet(t, r.label+" "+field, nodeIDs(edgeNodes(data[field])), want)
				if got := testenv.Get(data, field, "totalCount"); got != float64(len(want)) {
					t.Errorf("%s: %s.totalCount = %v, want %d", r.label, field, got, len(want))
				}
			}
		}
	})

	t.Run("node", func(t *testing.T) {
		const q = `query($id: ID!) { node(id: $id) { id __typename } }`
		for _, r := range tenants {
			visible := r.visible()
			missingRes := map[string]testenv.Response{}
			for kind, id := range missing {
				missingRes[kind] = env.GraphQL(t, r.key, q, map[string]any{"id": id})
			}
			for _, id := range universe {
				res := env.GraphQL(t, r.key, q, map[string]any{"id": id})
				if visible[id] {
					if len(res.Errors) > 0 || testenv.Get(res.Data, "node", "id") != id || testenv.Get(res.Data, "node", "__typename") != kinds[id] {
						t.Errorf("%s: node(%s %s) = %v, errors %+v", r.label, kinds[id], id, res.Data, res.Errors)
					}
					continue
				}
				sameAsMissing(t, fmt.Sprintf("%s: node(%s)", r.label, kinds[id]), res, missingRes[kinds[id]], id, missing[kinds[id]])
			}
		}
	})

	t.Run("conversation", func(t *testing.T) {
		const q = `query($id: ID!) { conversation(id: $id) { id agent { id } participant { id } transcript { id } } }`
		for _, r := range tenants {
			missingRes := env.GraphQL(t, r.key, q, map[string]any{"id": missing["Conversation"]})
			for _, other := range tenants {
				for _, id := range other.conversations {
					res := env.GraphQL(t, r.key, q, map[string]any{"id": id})
					if other != r {
						sameAsMissing(t, r.label+": conversation(id:)", res, missingRes, id, missing["Conversation"])
						continue
					}
					if len(res.Errors) > 0 || testenv.Get(res.Data, "conversation", "id") != id || testenv.Get(res.Data, "conversation", "agent", "id") != r.convAgent[id] {
						t.Errorf("%s: conversation(%s) = %v, errors %+v", r.label, id, res.Data, res.Errors)
					}
					var transcript []string
					for _, m := range testenv.Get(res.Data, "conversation", "transcript").([]any) {
						transcript = append(transcript, testenv.Get(m, "id").(string))
					}
					if !slices.Equal(transcript, r.convMessages[id]) {
						t.Errorf("%s: conversation(%s).transcript = %v, want %v", r.label, id, transcript, r.convMessages[id])
					}
				}
			}
		}
	})

	t.Run("agent", func(t *testing.T) {
		const q = `query($id: ID!) { agent(id: $id) { id name livemode conversations(first: 100) { totalCount edges { node { id } } } } }`
		for _, r := range tenants {
			missingRes := env.GraphQL(t, r.key, q, map[string]any{"id": missing["Agent"]})
			for _, other := range tenants {
				for _, id := range other.agents {
					res := env.GraphQL(t, r.key, q, map[string]any{"id": id})
					if other != r {
						sameAsMissing(t, r.label+": agent(id:)", res, missingRes, id, missing["Agent"])
						continue
					}
					if len(res.Errors) > 0 || testenv.Get(res.Data, "agent", "id") != id || testenv.Get(res.Data, "agent", "name") != r.agentName[id] || testenv.Get(res.Data, "agent", "livemode") != r.live {
						t.Errorf("%s: agent(%s) = %v, errors %+v", r.label, id, res.Data, res.Errors)
						continue
					}
					sameSet(t, r.label+" agent(id:).conversations", nodeIDs(edgeNodes(testenv.Get(res.Data, "agent", "conversations"))), r.agentConvs[id])
				}
			}
		}
	})

	t.Run("nodes", func(t *testing.T) {
		const q = `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`
		for _, r := range tenants {
			visible := r.visible()

			// One ID at a time: a foreign ID answers like a missing one.
			for _, id := range universe {
				if visible[id] {
					continue
				}
				res := env.GraphQL(t, r.key, q, map[string]any{"ids": []string{id}})
				missingRes := env.GraphQL(t, r.key, q, map[string]any{"ids": []string{missing[kinds[id]]}})
				sameAsMissing(t, fmt.Sprintf("%s: nodes([%s])", r.label, kinds[id]), res, missingRes, id, missing[kinds[id]])
			}

			// Every ID at once, followed by one missing ID of each type: the
			// visible ones resolve in place, every other position is null
			// with a not_found error on its path, and a foreign ID's error
			// reads like a missing ID's.
			ids := slices.Clone(universe)
			for _, kind := range slices.Sorted(maps.Keys(missing)) {
				ids = append(ids, missing[kind])
			}
			res := env.GraphQL(t, r.key, q, map[string]any{"ids": ids})
			nodes, ok := res.Data["nodes"].([]any)
			if !ok || len(nodes) != len(ids) {
				t.Fatalf("%s: nodes(%d IDs) = %v, errors %+v", r.label, len(ids), res.Data, res.Errors)
			}
			errs := map[int]testenv.GraphQLError{}
			for _, e := range res.Errors {
				if len(e.Path) != 2 || e.Path[0] != "nodes" {
					t.Errorf("%s: nodes: error off a position: %+v", r.label, e)
					continue
				}
				errs[int(e.Path[1].(float64))] = e
			}
			missingMsg := map[string]string{}
			for kind, id := range missing {
				if e, ok := errs[slices.Index(ids, id)]; ok {
					missingMsg[kind] = strings.ReplaceAll(e.Message, id, "<id>")
				}
			}
			nErrs := 0
			for i, id := range ids {
				e, hasErr := errs[i]
				if visible[id] {
					if hasErr || nodes[i] == nil || testenv.Get(nodes[i], "id") != id || testenv.Get(nodes[i], "__typename") != kinds[id] {
						t.Errorf("%s: nodes[%d] (own %s %s) = %v, error %+v", r.label, i, kinds[id], id, nodes[i], e)
					}
					continue
				}
				nErrs++
				// Unresolved IDs in a batch are not_found, like a single one.
				const multiNodesUnresolvedCode = "not_found"
				if nodes[i] != nil || !hasErr || e.Code() != multiNodesUnresolvedCode {
					t.Errorf("%s: nodes[%d] (%s %s, not visible) = %v, error %+v; want null and a %s error", r.label, i, kinds[id], id, nodes[i], e, multiNodesUnresolvedCode)
					continue
				}
				kind := kinds[id]
				if kind == "" {
					continue // a missing ID itself
				}
				if got, want := strings.ReplaceAll(e.Message, id, "<id>"), missingMsg[kind]; got != want {
					t.Errorf("%s: nodes[%d]: message %q for a foreign %s, %q for a missing one", r.label, i, got, kind, want)
				}
			}
			if len(res.Errors) != nErrs {
				t.Errorf("%s: nodes: %d errors for %d IDs it cannot see: %+v", r.label, len(res.Errors), nErrs, res.Errors)
			}
		}
	})

	t.Run("mutations on other tenants' IDs", func(t *testing.T) {
		hijack := []any{map[string]any{"role": "user", "content": "hijacked", "modality": "text"}}
		attacks := []struct {
			name, query, kind string
			target            func(victim *tenantRows) string
			vars              func(attacker *tenantRows, id string) map[string]any
		}{
			{
				name: "updateAgent", kind: "Agent",
				query:  `mutation($id: ID!) { updateAgent(id: $id, input: {name: "hijacked", goal: "hijacked", clearDefaultMode: true}) { id name } }`,
				target: func(v *tenantRows) string { return v.agents[0] },
				vars:   func(_ *tenantRows, id string) map[string]any { return map[string]any{"id": id} },
			},
			{
				name: "updateParticipant", kind: "Participant",
				query:  `mutation($id: ID!) { updateParticipant(id: $id, input: {firstName: "hijacked", clearEmail: true}) { id email } }`,
				target: func(v *tenantRows) string { return v.participants[0] },
				vars:   func(_ *tenantRows, id string) map[string]any { return map[string]any{"id": id} },
			},
			{
				name: "startConversation with a foreign agentID", kind: "Agent",
				query:  `mutation($input: CreateConversationInput!) { startConversation(input: $input) { id agent { id name } } }`,
				target: func(v *tenantRows) string { return v.agents[1] },
				vars: func(_ *tenantRows, id string) map[string]any {
					return map[string]any{"input": map[string]any{"agentID": id}}
				},
			},
			{
				name: "startConversation with a foreign participantID", kind: "Participant",
				query:  `mutation($input: CreateConversationInput!) { startConversation(input: $input) { id participant { id email } } }`,
				target: func(v *tenantRows) string { return v.participants[1] },
				vars: func(a *tenantRows, id string) map[string]any {
					return map[string]any{"input": map[string]any{"agentID": a.agents[0], "participantID": id}}
				},
			},
			{
				name: "updateConversation", kind: "Conversation",
				query:  `mutation($id: ID!) { updateConversation(id: $id, input: {connectionCode: "HIJACK", sessionProperties: {hijacked: true}, appendPathTaken: ["hijacked"], clearParticipant: true}) { id } }`,
				target: func(v *tenantRows) string { return v.conversations[0] },
				vars:   func(_ *tenantRows, id string) map[string]any { return map[string]any{"id": id} },
			},
			{
				name: "updateConversation with a foreign participantID", kind: "Participant",
				query:  `mutation($id: ID!, $p: ID!) { updateConversation(id: $id, input: {participantID: $p}) { id participant { id email } } }`,
				target: func(v *tenantRows) string { return v.participants[0] },
				vars: func(a *tenantRows, id string) map[string]any {
					return map[string]any{"id": a.conversations[1], "p": id}
				},
			},
			{
				name: "appendMessages to a pending conversation", kind: "Conversation",
				query:  appendMessages,
				target: func(v *tenantRows) string { return v.conversations[1] },
				vars:   func(_ *tenantRows, id string) map[string]any { return map[string]any{"id": id, "messages": hijack} },
			},
			{
				name: "appendMessages to an in-progress conversation", kind: "Conversation",
				query:  appendMessages,
				target: func(v *tenantRows) string { return v.conversations[0] },
				vars:   func(_ *tenantRows, id string) map[string]any { return map[string]any{"id": id, "messages": hijack} },
			},
			{
				name: "setConversationStatus archived", kind: "Conversation",
				query:  setStatus,
				target: func(v *tenantRows) string { return v.conversations[2] },
				vars: func(_ *tenantRows, id string) map[string]any {
					return map[string]any{"id": id, "status": "archived"}
				},
			},
			{
				name: "setConversationStatus completed", kind: "Conversation",
				query:  setStatus,
				target: func(v *tenantRows) string { return v.conversations[0] },
				vars: func(_ *tenantRows, id string) map[string]any {
					return map[string]any{"id": id, "status": "completed"}
				},
			},
		}
		for _, a := range attacks {
			t.Run(a.name, func(t *testing.T) {
				for _, attacker := range tenants {
					for _, victim := range tenants {
						if attacker == victim {
							continue
						}
						id := a.target(victim)
						res := env.GraphQL(t, attacker.key, a.query, a.vars(attacker, id))
						missingRes := env.GraphQL(t, attacker.key, a.query, a.vars(attacker, missing[a.kind]))
						what := fmt.Sprintf("%s by %s on %s's %s", a.name, attacker.label, victim.label, a.kind)
						sameAsMissing(t, what, res, missingRes, id, missing[a.kind])
						unchanged(t, what)
					}
				}
			})
		}
		// The same mutations still work for the owner: the rejections above
		// are about tenancy, not about the requests themselves.
		data := env.MustGraphQL(t, aTest.key, `mutation($id: ID!) { updateAgent(id: $id, input: {goal: "owner edit"}) { goal } }`, map[string]any{"id": aTest.agents[0]})
		if testenv.Get(data, "updateAgent", "goal") != "owner edit" {
			t.Errorf("owner's updateAgent = %v", data)
		}
		env.MustGraphQL(t, bTest.key, setStatus, map[string]any{"id": bTest.conversations[2], "status": "archived"})
		baseline[aTest.label] = snapshot(t, env, aTest.key)
		baseline[bTest.label] = snapshot(t, env, bTest.key)
	})

	t.Run("rows pointing across tenants", func(t *testing.T) {
		// Rows the API can never create (its hooks refuse foreign keys into
		// another tenant), written directly as trusted system code: a
		// conversation of B's on A's agent and participant, and messages of
		// B's and of A live's in a conversation of A test's. The tenant
		// filter below the resolvers must still keep each out of every other
		// tenant's view, eager loads and transcripts included.
		ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
		orgB := uuid.MustParse(bTest.orgID)
		orgA := uuid.MustParse(aTest.orgID)
		aConv := uuid.MustParse(aTest.conversations[0])
		poisonConv, err := env.Client.Conversation.Create().
			SetOrganizationID(orgB).SetLivemode(false).
			SetAgentID(uuid.MustParse(aTest.agents[0])).
			SetParticipantID(uuid.MustParse(aTest.participants[0])).
			Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var poisonMsgs []*ent.Message
		for i, owner := range []struct {
			org  uuid.UUID
			live bool
		}{{orgB, false}, {orgA, true}} {
			m, err := env.Client.Message.Create().
				SetOrganizationID(owner.org).SetLivemode(owner.live).
				SetConversationID(aConv).SetPosition(90 + i).
				SetRole(message.RoleUser).SetContent("poison").SetModality(message.ModalityText).
				Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			poisonMsgs = append(poisonMsgs, m)
		}

		// A test sees nothing new: not in agent.conversations,
		// participant.conversations, transcripts or messages connections.
		sameJSON(t, "A test's data with cross-tenant rows present", snapshot(t, env, aTest.key), baseline[aTest.label])
		sameJSON(t, "A live's data with cross-tenant rows present", snapshot(t, env, aLive.key), baseline[aLive.label])
		for _, m := range poisonMsgs {
			res := env.GraphQL(t, aTest.key, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": m.ID.String()})
			missingRes := env.GraphQL(t, aTest.key, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": missing["Message"]})
			sameAsMissing(t, "A test: node(message of another tenant in its conversation)", res, missingRes, m.ID.String(), missing["Message"])
		}

		// B's own conversation is listed for B, but its agent and
		// participant (A's) are not shown to B.
		data := env.MustGraphQL(t, bTest.key, `{ conversations(first: 100) { totalCount edges { node { id } } } }`, nil)
		sameSet(t, "B test conversations", nodeIDs(edgeNodes(data["conversations"])), append(slices.Clone(bTest.conversations), poisonConv.ID.String()))
		for _, q := range []string{
			`query($id: ID!) { conversation(id: $id) { id agent { id name goal } } }`,
			`query($id: ID!) { conversation(id: $id) { id participant { id email firstName } } }`,
			`query($id: ID!) { node(id: $id) { id ... on Conversation { agent { id name } participant { id email } } } }`,
		} {
			res := env.GraphQL(t, bTest.key, q, map[string]any{"id": poisonConv.ID.String()})
			raw, _ := json.Marshal(res)
			for _, secret := range []string{aTest.agents[0], aTest.agentName[aTest.agents[0]], aTest.participants[0], "A-test-0@example.com"} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("B test reads A test's %q through its own conversation: %s", secret, raw)
				}
			}
		}
		// B's own message in A's conversation: B may see the message, not
		// the conversation it points into.
		res := env.GraphQL(t, bTest.key, `query($id: ID!) { node(id: $id) { id ... on Message { conversation { id status connectionCode sessionProperties } } } }`, map[string]any{"id": poisonMsgs[0].ID.String()})
		raw, _ := json.Marshal(res)
		if strings.Contains(string(raw), aTest.conversations[0]) || strings.Contains(string(raw), `"tenant"`) || strings.Contains(string(raw), "A test") {
			t.Errorf("B test reads A test's conversation through its own message: %s", raw)
		}
	})
}
