package graph_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/organization"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/testenv"
)

// connPage is one page of a Relay connection.
type connPage struct {
	ids, cursors     []string
	totalCount       any
	hasNext, hasPrev bool
	start, end       any
}

const pageInfoFields = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }`

// pageFieldsNoTotal leaves out totalCount, which the server then does not
// count (see ent/template/gql_pagination.tmpl): pageInfo must not depend on
// it.
const pageFieldsNoTotal = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }`

// fetchPage runs query and decodes the connection found at path.
func fetchPage(t *testing.T, env *apitest.Env, key, query string, vars map[string]any, path ...any) connPage {
	t.Helper()
	data := env.MustGraphQL(t, key, query, vars)
	conn := testenv.Get(data, path...)
	p := connPage{
		totalCount: testenv.Get(conn, "totalCount"),
		hasNext:    testenv.Get(conn, "pageInfo", "hasNextPage").(bool),
		hasPrev:    testenv.Get(conn, "pageInfo", "hasPreviousPage").(bool),
		start:      testenv.Get(conn, "pageInfo", "startCursor"),
		end:        testenv.Get(conn, "pageInfo", "endCursor"),
	}
	for _, e := range testenv.Get(conn, "edges").([]any) {
		p.ids = append(p.ids, testenv.Get(e, "node", "id").(string))
		p.cursors = append(p.cursors, testenv.Get(e, "cursor").(string))
	}
	return p
}

// connWalk pages through one ordering of a connection.
type connWalk struct {
	env   *apitest.Env
	key   string
	query string // takes $first, $after, $last, $before and whatever vars holds; %s is the connection's selection
	vars  map[string]any
	path  []any    // to the connection in the data
	want  []string // every ID, in the order of the connection

	noTotal bool // select pageInfo and edges only
}

func (w connWalk) page(t *testing.T, set map[string]any) connPage {
	t.Helper()
	vars := maps.Clone(w.vars)
	if vars == nil {
		vars = map[string]any{}
	}
	maps.Copy(vars, set)
	return w.fetch(t, vars)
}

func (w connWalk) fetch(t *testing.T, vars map[string]any) connPage {
	t.Helper()
	sel := pageInfoFields
	if w.noTotal {
		sel = pageFieldsNoTotal
	}
	p := fetchPage(t, w.env, w.key, fmt.Sprintf(w.query, sel), vars, w.path...)
	if !w.noTotal && p.totalCount != float64(len(w.want)) {
		t.Fatalf("%v: totalCount = %v, want %d", vars, p.totalCount, len(w.want))
	}
	if len(p.ids) == 0 {
		if p.start != nil || p.end != nil {
			t.Fatalf("%v: empty page has cursors %v, %v", vars, p.start, p.end)
		}
	} else if p.start != p.cursors[0] || p.end != p.cursors[len(p.cursors)-1] {
		t.Fatalf("%v: pageInfo cursors %v..%v, edge cursors %v", vars, p.start, p.end, p.cursors)
	}
	return p
}

// forward walks with first/after and returns the cursor of every ID.
func (w connWalk) forward(t *testing.T, size int) map[string]string {
	t.Helper()
	var got []string
	cursors := map[string]string{}
	var after any
	for n := 0; ; n++ {
		if n > len(w.want)+1 {
			t.Fatalf("first: %d: still paging after %d pages", size, n)
		}
		p := w.page(t, map[string]any{"first": size, "after": after})
		if want := min(size, len(w.want)-len(got)); len(p.ids) != want {
			t.Fatalf("first: %d, page %d: %d edges, want %d", size, n, len(p.ids), want)
		}
		if n == 0 && p.hasPrev {
			t.Fatalf("first: %d without after: hasPreviousPage is true", size)
		}
		for i, id := range p.ids {
			if _, dup := cursors[id]; dup {
				t.Fatalf("first: %d, page %d: %s seen twice", size, n, id)
			}
			cursors[id] = p.cursors[i]
		}
		got = append(got, p.ids...)
		if more := len(got) < len(w.want); p.hasNext != more {
			t.Fatalf("first: %d, page %d: hasNextPage = %v after %d of %d", size, n, p.hasNext, len(got), len(w.want))
		}
		if !p.hasNext {
			break
		}
		after = p.end
	}
	if !slices.Equal(got, w.want) {
		t.Fatalf("first: %d walk:\n got %v\nwant %v", size, got, w.want)
	}
	return cursors
}

// backward walks with last/before from the end and checks the pages, put
// back in order, are the whole sequence.
func (w connWalk) backward(t *testing.T, size int) {
	t.Helper()
	var pages [][]string
	seen := 0
	var before any
	for n := 0; ; n++ {
		if n > len(w.want)+1 {
			t.Fatalf("last: %d: still paging after %d pages", size, n)
		}
		p := w.page(t, map[string]any{"last": size, "before": before})
		if want := min(size, len(w.want)-seen); len(p.ids) != want {
			t.Fatalf("last: %d, page %d: %d edges, want %d", size, n, len(p.ids), want)
		}
		if n == 0 && p.hasNext {
			t.Fatalf("last: %d without before: hasNextPage is true", size)
		}
		seen += len(p.ids)
		if more := seen < len(w.want); p.hasPrev != more {
			t.Fatalf("last: %d, page %d: hasPreviousPage = %v after %d of %d", size, n, p.hasPrev, seen, len(w.want))
		}
		pages = append(pages, p.ids)
		if !p.hasPrev {
			break
		}
		before = p.start
	}
	slices.Reverse(pages)
	if got := slices.Concat(pages...); !slices.Equal(got, w.want) {
		t.Fatalf("last: %d walk, pages put back in order:\n got %v\nwant %v", size, got, w.want)
	}
}

// around checks cursors taken from the middle of a forward walk in both
// directions.
func (w connWalk) around(t *testing.T, cursors map[string]string) {
	t.Helper()
	for _, m := range []int{1, len(w.want) / 2, len(w.want) - 2} {
		c := cursors[w.want[m]]
		if got, want := w.page(t, map[string]any{"first": 5, "after": c}).ids, w.want[m+1:min(m+6, len(w.want))]; !slices.Equal(got, want) {
			t.Errorf("first: 5 after item %d: got %v, want %v", m, got, want)
		}
		if got, want := w.page(t, map[string]any{"last": 5, "before": c}).ids, w.want[max(0, m-5):m]; !slices.Equal(got, want) {
			t.Errorf("last: 5 before item %d: got %v, want %v", m, got, want)
		}
	}
}

func (w connWalk) run(t *testing.T, sizes ...int) {
	t.Helper()
	for _, size := range sizes {
		for _, noTotal := range []bool{false, true} {
			name := fmt.Sprintf("size %d", size)
			if noTotal {
				name += " without totalCount"
			}
			w := w
			w.noTotal = noTotal
			t.Run(name, func(t *testing.T) {
				cursors := w.forward(t, size)
				w.backward(t, size)
				if size == 1 {
					w.around(t, cursors)
				}
			})
		}
	}
}

// orderKey is one row's sort value; rows are ordered by it, then by ID in
// the same direction.
type orderKey[V cmp.Ordered] struct {
	id string
	v  V
}

func sortedIDs[V cmp.Ordered](rows []orderKey[V], desc bool) []string {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b orderKey[V]) int {
		c := cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.id, b.id))
		if desc {
			return -c
		}
		return c
	})
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	return ids
}

// ties reports whether some rows share a sort value, so the ID tie-breaker
// matters.
func ties[V cmp.Ordered](rows []orderKey[V]) bool {
	seen := map[V]bool{}
	for _, r := range rows {
		if seen[r.v] {
			return true
		}
		seen[r.v] = true
	}
	return false
}

func systemContext() context.Context {
	return privacy.DecisionContext(context.Background(), privacy.Allow)
}

func orgID(t *testing.T, env *apitest.Env, name string) uuid.UUID {
	t.Helper()
	org, err := env.Client.Organization.Query().Where(organization.Name(name)).Only(systemContext())
	if err != nil {
		t.Fatal(err)
	}
	return org.ID
}

const conversationsPage = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $orderBy: ConversationOrder) {
  conversations(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) { %s }
}`

func TestPaginationConversations(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	env.Key(t, "Acme", true)
	env.Key(t, "Globex", false)
	ctx := systemContext()
	acme, globex := orgID(t, env, "Acme"), orgID(t, env, "Globex")
	agentID := uuid.MustParse(newAgent(t, env, key, "Interviewer"))

	// 37 conversations whose created_at (7 values), updated_at (4 values),
	// status (5 values) and turn_count (4 values) repeat, in an order
	// unrelated to their IDs, so every ordering needs the ID tie-breaker.
	// Times carry microseconds, the precision both databases store. Turn
	// counts start at 1 here: a turn count of 0 breaks cursors, see
	// TestPaginationTurnCountZero.
	base := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	statuses := []conversation.Status{conversation.StatusPending, conversation.StatusInProgress, conversation.StatusCompleted, conversation.StatusAbandoned, conversation.StatusArchived}
	const n = 37
	var created, updated []orderKey[int64]
	var status []orderKey[string]
	var turns []orderKey[int]
	for i := range n {
		c := base.Add(time.Duration((i*5)%7) * time.Second).Add(time.Duration(i%2) * time.Microsecond)
		u := base.Add(time.Hour + time.Duration((i*3)%4)*250*time.Millisecond)
		s := statuses[(i*2)%5]
		tc := 1 + (i*7)%4
		conv, err := env.Client.Conversation.Create().
			SetOrganizationID(acme).SetLivemode(false).SetAgentID(agentID).
			SetCreatedAt(c).SetUpdatedAt(u).SetStatus(s).SetTurnCount(tc).SetMessageCount(tc).
			Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id := conv.ID.String()
		created = append(created, orderKey[int64]{id, c.UnixMicro()})
		updated = append(updated, orderKey[int64]{id, u.UnixMicro()})
		status = append(status, orderKey[string]{id, string(s)})
		turns = append(turns, orderKey[int]{id, tc})
	}
	if !ties(created) || !ties(updated) || !ties(status) || !ties(turns) {
		t.Fatal("the data set must have ties in every order field")
	}
	// Rows of the same organization in live mode and of another
	// organization, with the same values, are never counted or listed.
	for _, owner := range []struct {
		org  uuid.UUID
		live bool
	}{{acme, true}, {globex, false}} {
		other, err := env.Client.Agent.Create().SetOrganizationID(owner.org).SetLivemode(owner.live).SetName("Other").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			err := env.Client.Conversation.Create().
				SetOrganizationID(owner.org).SetLivemode(owner.live).SetAgentID(other.ID).
				SetCreatedAt(base.Add(time.Duration(i) * time.Second)).SetUpdatedAt(base.Add(time.Hour)).
				SetStatus(statuses[i]).SetTurnCount(i).
				Exec(ctx)
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	orders := []struct {
		field string
		want  func(desc bool) []string
	}{
		{"CREATED_AT", func(desc bool) []string { return sortedIDs(created, desc) }},
		{"UPDATED_AT", func(desc bool) []string { return sortedIDs(updated, desc) }},
		{"STATUS", func(desc bool) []string { return sortedIDs(status, desc) }},
		{"TURN_COUNT", func(desc bool) []string { return sortedIDs(turns, desc) }},
	}
	for _, o := range orders {
		for _, dir := range []string{"ASC", "DESC"} {
			t.Run(o.field+" "+dir, func(t *testing.T) {
				connWalk{
					env: env, key: key, query: conversationsPage, path: []any{"conversations"},
					vars: map[string]any{"orderBy": map[string]any{"field": o.field, "direction": dir}},
					want: o.want(dir == "DESC"),
				}.run(t, 1, 5, 10, n, 100)
			})
		}
	}
	newestFirst := sortedIDs(created, true)
	t.Run("default order", func(t *testing.T) {
		connWalk{env: env, key: key, query: conversationsPage, path: []any{"conversations"}, want: newestFirst}.run(t, 1, 5, 10)
	})

	t.Run("default page size", func(t *testing.T) {
		p := fetchPage(t, env, key, `{ conversations { `+pageInfoFields+` } }`, nil, "conversations")
		if !slices.Equal(p.ids, newestFirst[:20]) || !p.hasNext || p.hasPrev || p.totalCount != float64(n) {
			t.Fatalf("conversations without first/last: %d edges %v, hasNextPage %v, hasPreviousPage %v, totalCount %v; want the newest 20 of %d",
				len(p.ids), p.ids, p.hasNext, p.hasPrev, p.totalCount, n)
		}
		p = fetchPage(t, env, key, `{ conversations(first: 100) { `+pageInfoFields+` } }`, nil, "conversations")
		if !slices.Equal(p.ids, newestFirst) || p.hasNext {
			t.Fatalf("first: 100 = %d edges, hasNextPage %v", len(p.ids), p.hasNext)
		}
	})

	t.Run("page size bounds", func(t *testing.T) {
		for _, field := range []string{"agents", "participants", "conversations"} {
			for _, args := range []string{"first: 101", "last: 101", "first: -1", "last: -1"} {
				res := env.GraphQL(t, key, fmt.Sprintf(`{ %s(%s) { totalCount edges { node { id } } } }`, field, args), nil)
				onlyError(t, res, "invalid_request")
				if res.Data != nil && res.Data[field] != nil {
					t.Fatalf("%s(%s) returned data %v", field, args, res.Data)
				}
			}
			for _, args := range []string{"first: 100", "last: 100"} {
				env.MustGraphQL(t, key, fmt.Sprintf(`{ %s(%s) { totalCount } }`, field, args), nil)
			}
		}
	})
}

const agentsPage = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $orderBy: AgentOrder) {
  agents(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) { %s }
}`

func TestPaginationAgents(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	ctx := systemContext()
	acme := orgID(t, env, "Acme")

	// 23 agents; names (lower-case single words, so every collation sorts
	// them alike) and creation times repeat.
	names := []string{"alpha", "bravo", "charlie", "delta", "echo"}
	base := time.Date(2026, 3, 4, 5, 6, 7, 654321000, time.UTC)
	const n = 23
	var created []orderKey[int64]
	var named []orderKey[string]
	for i := range n {
		c := base.Add(time.Duration((i*4)%6) * time.Millisecond)
		name := names[(i*3)%len(names)]
		a, err := env.Client.Agent.Create().SetOrganizationID(acme).SetLivemode(false).
			SetName(name).SetCreatedAt(c).SetUpdatedAt(c).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, orderKey[int64]{a.ID.String(), c.UnixMicro()})
		named = append(named, orderKey[string]{a.ID.String(), name})
	}
	if !ties(created) || !ties(named) {
		t.Fatal("the data set must have ties in every order field")
	}
	// An agent of the live mode, which the test key never sees.
	if err := env.Client.Agent.Create().SetOrganizationID(acme).SetLivemode(true).SetName("alpha").SetCreatedAt(base).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	for _, o := range []struct {
		field string
		rows  any
	}{{"CREATED_AT", created}, {"NAME", named}} {
		for _, dir := range []string{"ASC", "DESC"} {
			var want []string
			switch rows := o.rows.(type) {
			case []orderKey[int64]:
				want = sortedIDs(rows, dir == "DESC")
			case []orderKey[string]:
				want = sortedIDs(rows, dir == "DESC")
			}
			t.Run(o.field+" "+dir, func(t *testing.T) {
				connWalk{
					env: env, key: key, query: agentsPage, path: []any{"agents"},
					vars: map[string]any{"orderBy": map[string]any{"field": o.field, "direction": dir}},
					want: want,
				}.run(t, 1, 5, 10)
			})
		}
	}
	t.Run("default order", func(t *testing.T) {
		connWalk{env: env, key: key, query: agentsPage, path: []any{"agents"}, want: sortedIDs(created, true)}.run(t, 1, 5, 10)
	})
	t.Run("default page size", func(t *testing.T) {
		p := fetchPage(t, env, key, `{ agents { `+pageInfoFields+` } }`, nil, "agents")
		if !slices.Equal(p.ids, sortedIDs(created, true)[:20]) || !p.hasNext || p.totalCount != float64(n) {
			t.Fatalf("agents without first/last: %d edges, hasNextPage %v, totalCount %v", len(p.ids), p.hasNext, p.totalCount)
		}
	})
}

const messagesPage = `query($id: ID!, $first: Int, $after: Cursor, $last: Int, $before: Cursor, $orderBy: MessageOrder) {
  conversation(id: $id) { messages(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) { %s } }
}`

func TestPaginationMessages(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	agentID := newAgent(t, env, key, "Interviewer")

	// Three conversations with 23, 3 and 1 messages; within one append,
	// groups of four messages share a timestamp.
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	counts := []int{23, 3, 1}
	convs := make([]string, len(counts))
	byPosition := make([][]string, len(counts)) // message IDs, position 1 first
	for c, count := range counts {
		convs[c] = newConversation(t, env, key, agentID)
		var msgs []any
		for j := range count {
			msgs = append(msgs, map[string]any{
				"role": []string{"assistant", "user"}[j%2], "content": fmt.Sprintf("c%d m%d", c, j+1), "modality": "text",
				"createdAt": base.Add(time.Duration(j/4) * time.Second).Format(time.RFC3339Nano),
			})
		}
		data := env.MustGraphQL(t, key, appendMessages, map[string]any{"id": convs[c], "messages": msgs})
		for j, m := range testenv.Get(data, "appendMessages", "messages").([]any) {
			if testenv.Get(m, "position") != float64(j+1) {
				t.Fatalf("message %d has position %v", j, testenv.Get(m, "position"))
			}
			byPosition[c] = append(byPosition[c], testenv.Get(m, "id").(string))
		}
	}

	asc := byPosition[0]
	desc := slices.Clone(asc)
	slices.Reverse(desc)
	for _, o := range []struct {
		dir  string
		want []string
	}{{"ASC", asc}, {"DESC", desc}} {
		t.Run("POSITION "+o.dir, func(t *testing.T) {
			connWalk{
				env: env, key: key, query: messagesPage, path: []any{"conversation", "messages"},
				vars: map[string]any{"id": convs[0], "orderBy": map[string]any{"field": "POSITION", "direction": o.dir}},
				want: o.want,
			}.run(t, 1, 5, 10, 23)
		})
	}

	t.Run("eager-loaded inside a list", func(t *testing.T) {
		// Each conversation of a list gets its own page of messages.
		data := env.MustGraphQL(t, key, `query($ids: [ID!]) {
		  conversations(first: 10, where: {idIn: $ids}) { edges { node { id
		    last2: messages(first: 2, orderBy: {field: POSITION, direction: DESC}) { totalCount pageInfo { hasNextPage } edges { node { id } } }
		    first2: messages(first: 2, orderBy: {field: POSITION, direction: ASC}) { totalCount pageInfo { hasNextPage } edges { node { id } } }
		  } } }
		}`, map[string]any{"ids": convs})
		nodes := edgeNodes(data["conversations"])
		if len(nodes) != len(convs) {
			t.Fatalf("%d conversations, want %d", len(nodes), len(convs))
		}
		for _, node := range nodes {
			c := slices.Index(convs, node["id"].(string))
			all := byPosition[c]
			rev := slices.Clone(all)
			slices.Reverse(rev)
			for alias, want := range map[string][]string{"first2": all[:min(2, len(all))], "last2": rev[:min(2, len(rev))]} {
				if got := nodeIDs(edgeNodes(node[alias])); !slices.Equal(got, want) {
					t.Errorf("conversation %d %s: %v, want %v", c, alias, got, want)
				}
				if got := testenv.Get(node, alias, "totalCount"); got != float64(len(all)) {
					t.Errorf("conversation %d %s totalCount = %v, want %d", c, alias, got, len(all))
				}
				if got := testenv.Get(node, alias, "pageInfo", "hasNextPage"); got != (len(all) > 2) {
					t.Errorf("conversation %d %s hasNextPage = %v", c, alias, got)
				}
			}
		}
	})
}

// TestPaginationTurnCountZero pages by TURN_COUNT across conversations with
// no turns yet (every pending conversation).
func TestPaginationTurnCountZero(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	ctx := systemContext()
	acme := orgID(t, env, "Acme")
	agentID := uuid.MustParse(newAgent(t, env, key, "Interviewer"))

	// Three conversations with two turns, then three with none: the latter
	// have the greater IDs but sort first by turn count.
	var rows []orderKey[int]
	for _, tc := range []int{2, 2, 2, 0, 0, 0} {
		c, err := env.Client.Conversation.Create().
			SetOrganizationID(acme).SetLivemode(false).SetAgentID(agentID).
			SetTurnCount(tc).SetMessageCount(tc).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, orderKey[int]{c.ID.String(), tc})
	}
	want := sortedIDs(rows, false)
	orderBy := map[string]any{"field": "TURN_COUNT", "direction": "ASC"}

	// Each page on its own is right: the order and the first page.
	p := fetchPage(t, env, key, fmt.Sprintf(conversationsPage, pageInfoFields), map[string]any{"first": 6, "orderBy": orderBy}, "conversations")
	if !slices.Equal(p.ids, want) {
		t.Fatalf("first: 6 = %v, want %v", p.ids, want)
	}
	p = fetchPage(t, env, key, fmt.Sprintf(conversationsPage, pageInfoFields), map[string]any{"first": 3, "orderBy": orderBy}, "conversations")
	if !slices.Equal(p.ids, want[:3]) || !p.hasNext {
		t.Fatalf("first: 3 = %v (hasNextPage %v), want %v", p.ids, p.hasNext, want[:3])
	}
	next := fetchPage(t, env, key, fmt.Sprintf(conversationsPage, pageInfoFields), map[string]any{"first": 3, "after": p.end, "orderBy": orderBy}, "conversations")
	// A turn count of 0 is dropped from the cursor's encoding; the pager
	// restores it, so the walk continues with the two-turn conversations.
	if !slices.Equal(next.ids, want[3:]) || next.hasNext {
		t.Fatalf("page after the last zero-turn conversation = %v (hasNextPage %v), want %v", next.ids, next.hasNext, want[3:])
	}
}

// Make sure the helpers stay honest: sortedIDs breaks ties by ID in the
// direction of the order.
func TestPaginationExpectedOrder(t *testing.T) {
	rows := []orderKey[int]{{"b", 1}, {"a", 1}, {"c", 0}}
	if got := sortedIDs(rows, false); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Fatalf("ASC = %v", got)
	}
	if got := sortedIDs(rows, true); !slices.Equal(got, []string{"b", "a", "c"}) {
		t.Fatalf("DESC = %v", got)
	}
}
