package rest_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/testenv"
)

// planRequest is one API request whose SQL must be served by indexes.
type planRequest struct {
	name string
	// do sends the request and checks that it succeeded.
	do func(t *testing.T)
	// list is the table of the request's main list query (the one page of
	// conversations or agents, with ORDER BY), or "" when it has none; that
	// query must not sort in a temporary B-tree.
	list string
}

// TestQueryPlans replays the SELECTs of the REST endpoints and of the
// GraphQL lists with EXPLAIN, with the arguments they were sent with, and
// fails on a full table scan, or on a sort of the main list query, which
// the indexes in ent/schema should make unnecessary.
//
// The plans come from testenv's Explain, which on PostgreSQL prices
// sequential scans and sorts out: a "Seq Scan" or "Sort" node left in such
// a plan is one that no index could avoid.
//
// Plans are checked twice: as the database comes, without statistics, and
// after database.RefreshStats, as the server runs.
func TestQueryPlans(t *testing.T) {
	d := newBudgetData(t)
	env := d.env

	// Statistics of tiny tables rightly favour scanning them: with only the
	// seed's 40 participants, the 10 to 20 of a page are best found by
	// reading them all. With as many as a real organization has, a page's
	// are a small fraction, and the primary key must serve them.
	builders := make([]*ent.ParticipantCreate, 2000)
	for i := range builders {
		builders[i] = env.Client.Participant.Create().
			SetID(gid.New(gid.Participant)).SetOrganizationID(d.org).SetLivemode(false).
			SetEmail(fmt.Sprintf("plan%d@example.com", i))
	}
	for chunk := range slices.Chunk(builders, 500) {
		if err := env.Client.Participant.CreateBulk(chunk...).Exec(sys()); err != nil {
			t.Fatal(err)
		}
	}

	first := ok(t, get(t, env, d.key, query(conversationsPath, "limit", "10")))
	next := cursor(t, first, "next_cursor")
	if next == "" {
		t.Fatal("the first page of conversations has no next_cursor")
	}
	// An agent with completed conversations, so that both filters
	// together match some.
	completed := ok(t, get(t, env, d.key, query(conversationsPath, "status", "completed", "limit", "1")))
	agentID, _ := testenv.Get(completed, "data", 0, "agent_id").(string)
	if agentID == "" {
		t.Fatalf("no agent_id in %v", completed)
	}

	restGET := func(target string) func(t *testing.T) {
		return func(t *testing.T) { ok(t, get(t, env, d.key, target)) }
	}
	gql := func(q string) func(t *testing.T) {
		return func(t *testing.T) { env.MustGraphQL(t, d.key, q, nil) }
	}
	requests := []planRequest{
		{"REST conversations first page", restGET(query(conversationsPath, "limit", "10")), "conversations"},
		{"REST conversations after cursor", restGET(query(conversationsPath, "limit", "10", "after", next)), "conversations"},
		{"REST conversations status=completed", restGET(query(conversationsPath, "status", "completed")), "conversations"},
		{"REST conversations agent_id", restGET(query(conversationsPath, "agent_id", agentID)), "conversations"},
		{"REST conversations status=completed and agent_id", restGET(query(conversationsPath, "status", "completed", "agent_id", agentID)), "conversations"},
		{"REST agents", restGET(agentsPath), "agents"},
		{"REST conversation", restGET(conversationPath(d.many)), ""},
		{"REST transcript", restGET(transcriptPath(d.many)), ""},
	}
	for _, field := range []string{"CREATED_AT", "UPDATED_AT", "STATUS", "TURN_COUNT"} {
		for _, dir := range []string{"ASC", "DESC"} {
			requests = append(requests, planRequest{
				fmt.Sprintf("GraphQL conversations orderBy %s %s", field, dir),
				gql(fmt.Sprintf(`{ conversations(first: 10, orderBy: {field: %s, direction: %s}) { edges { node { id } } } }`, field, dir)),
				"conversations",
			})
		}
	}
	requests = append(requests,
		planRequest{"GraphQL conversations where status", gql(`{ conversations(first: 10, where: {status: completed}) { edges { node { id status } } } }`), "conversations"},
		planRequest{"GraphQL transcript loader", gql(`{ conversations(first: 10) { edges { node { id transcript { id content } } } } }`), "conversations"},
		planRequest{"GraphQL messages(first: 5)", gql(`{ conversations(first: 10) { edges { node { id messages(first: 5) { totalCount edges { node { id content } } } } } } }`), "conversations"},
	)

	tables := tableNames(t, env)
	check := func(t *testing.T) {
		checked := 0
		for _, r := range requests {
			env.Queries.Reset()
			r.do(t)
			recorded := env.Queries.Recorded()
			selects, mains := 0, 0
			for _, st := range recorded {
				if !strings.HasPrefix(st.Query, "SELECT") && !strings.HasPrefix(st.Query, "WITH") {
					continue
				}
				selects++
				plan, err := env.Explain(t.Context(), st.Query, st.Args...)
				if err != nil {
					t.Errorf("%s: explaining %s %v: %v", r.name, st.Query, st.Args, err)
					continue
				}
				checked++
				main := r.list != "" && tablesRead([]string{st.Query})[0] == r.list && strings.Contains(st.Query, "ORDER BY")
				if main {
					mains++
				}
				problems := planProblems(env.DB.Dialect, tables, st.Query, plan, main)
				report := fmt.Sprintf("\n\tSQL: %s\n\targs: %v\n\tplan:\n\t\t%s", st.Query, st.Args, strings.Join(plan, "\n\t\t"))
				if len(problems) > 0 {
					t.Errorf("%s: %s%s", r.name, strings.Join(problems, "; "), report)
				} else {
					t.Logf("%s: ok%s", r.name, report)
				}
			}
			// Every request reads at least its API key and its data, and a
			// list request reads its page with one ordered query.
			if selects < 2 {
				t.Errorf("%s sent %d SELECTs, want at least 2: %q", r.name, selects, env.Queries.Statements())
			}
			if r.list != "" && mains != 1 {
				t.Errorf("%s sent %d ordered queries of %s, want 1: %q", r.name, mains, r.list, env.Queries.Statements())
			}
		}
		if checked == 0 {
			t.Fatal("no plan was checked")
		}
	}
	// A fresh database has no planner statistics (SQLite never gathers
	// them by itself), and tables that grew since the last refresh have
	// stale ones; the server refreshes them on start and every hour.
	t.Run("before RefreshStats", check)
	if err := database.RefreshStats(t.Context(), env.DB); err != nil {
		t.Fatal(err)
	}
	t.Run("after RefreshStats", check)
}

// tableNames returns the names of the database's tables, so that a scan of
// a table can be told from a scan of a subquery or a WITH clause.
func tableNames(t *testing.T, env *apitest.Env) map[string]bool {
	t.Helper()
	q := `SELECT name FROM sqlite_schema WHERE type = 'table'`
	if env.DB.Dialect == dialect.Postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`
	}
	rows, err := env.DB.SQL.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names[name] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"conversations", "messages", "agents", "participants", "api_keys"} {
		if !names[want] {
			t.Fatalf("no table %s among %v", want, names)
		}
	}
	return names
}

var (
	// SQLite: "SCAN conversations" is a full table scan; "SCAN conversations
	// USING [COVERING] INDEX ..." walks an index, and "SCAN (subquery-1)"
	// or "SCAN src_query" (a WITH clause) read no table. A plan names a
	// FROM item by its alias.
	sqliteScan      = regexp.MustCompile(`^SCAN (\S+)`)
	sqlAlias        = regexp.MustCompile("(?:FROM|JOIN) [`\"](\\w+)[`\"] AS [`\"](\\w+)[`\"]")
	sqliteIndexed   = regexp.MustCompile(`USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY`)
	sqliteTempOrder = regexp.MustCompile(`USE TEMP B-TREE FOR .*ORDER BY`)
	// PostgreSQL plan nodes.
	pgSeqScan = regexp.MustCompile(`Seq Scan on (\S+)`)
	pgSort    = regexp.MustCompile(`^\s*(->\s*)?(Incremental )?Sort\s+\(`)
)

// planProblems lists what is wrong with a plan: full table scans, and for
// the main list query a sort the index order should have made unnecessary.
func planProblems(dialectName string, tables map[string]bool, query string, plan []string, mainList bool) []string {
	// entgql's windowed query for nested connections reads its WITH clause
	// under the table's name ("FROM limited_query AS messages"), and
	// SQLite's plan calls that scan "SCAN messages". Each such alias
	// excuses one scan line of its name; a scan of the table itself would
	// be one line more.
	excused := map[string]int{}
	for _, m := range sqlAlias.FindAllStringSubmatch(query, -1) {
		if !tables[m[1]] {
			excused[m[2]]++
		}
	}
	var out []string
	for _, line := range plan {
		if dialectName == dialect.Postgres {
			if m := pgSeqScan.FindStringSubmatch(line); m != nil && tables[m[1]] {
				out = append(out, "full table scan of "+m[1])
			}
			if mainList && pgSort.MatchString(line) {
				out = append(out, "the list query sorts: "+strings.TrimSpace(line))
			}
			continue
		}
		if m := sqliteScan.FindStringSubmatch(line); m != nil && tables[m[1]] && !sqliteIndexed.MatchString(line) {
			if excused[m[1]] > 0 {
				excused[m[1]]--
				continue
			}
			out = append(out, "full table scan of "+m[1])
		}
		if mainList && sqliteTempOrder.MatchString(line) {
			out = append(out, "the list query sorts: "+line)
		}
	}
	return out
}
