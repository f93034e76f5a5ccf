package graph_test

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/budget"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/testenv"
)

// fragmentBomb is a document of n named fragments, each spreading the next
// twice: 2^n copies of its last selection once expanded, in n lines.
func fragmentBomb(n int, leaf string) string {
	var b strings.Builder
	b.WriteString("query Bomb { ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { %s }\n", n, leaf)
	return b.String()
}

// refusedBeforeSQL checks that a request was refused with code and that
// no SQL ran but the API key lookup.
func refusedBeforeSQL(t *testing.T, env *apitest.Env, res testenv.Response, code, mention string) {
	t.Helper()
	e := onlyError(t, res, code)
	if !strings.Contains(e.Message, mention) {
		t.Errorf("message %q does not mention %q", e.Message, mention)
	}
	if res.Data != nil {
		t.Errorf("data %v alongside the error, want null", res.Data)
	}
	if n := env.Queries.Count(); n != 1 {
		t.Errorf("%d SQL statements ran, want only the API key lookup:\n%s", n, strings.Join(env.Queries.Statements(), "\n"))
	}
}

// A document's analysis is linear in its size: fragments are analysed
// once, and a document that merges one field too often is refused before
// validation compares the copies pairwise. Before, 23 levels of the bomb
// took seconds and 40 never returned.
func TestDocumentAnalysisIsBounded(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	env.WarmKey(t, key)
	run := func(query string) testenv.Response {
		t.Helper()
		env.Queries.Reset()
		return env.GraphQL(t, key, query, nil)
	}

	for _, levels := range []int{23, 40, 120} {
		refusedBeforeSQL(t, env, run(fragmentBomb(levels, "viewer { livemode }")), "invalid_request", "at most 20")
	}
	// The same nested, with distinct aliases: nothing repeats, but the
	// expansion is still 2^40 fields, which the memoised analysis measures
	// without expanding.
	var b strings.Builder
	b.WriteString("query Wide { agent(id: \"" + gid.New(gid.Agent).String() + "\") { ...F0 } }\n")
	for i := range 40 {
		fmt.Fprintf(&b, "fragment F%d on Agent { a: conversations(first: 1) { edges { node { agent { ...F%d } } } } b: conversations(first: 1) { edges { node { agent { ...F%d } } } } }\n", i, i+1, i+1)
	}
	b.WriteString("fragment F40 on Agent { id }\n")
	refusedBeforeSQL(t, env, run(b.String()), "invalid_request", "deep")

	// Sizes: 60,000 copies of __typename (125 s of validation before), 8,000
	// aliases of viewer (8,001 statements before), 4,000 aliased counts.
	refusedBeforeSQL(t, env, run("{"+strings.Repeat(" __typename", 60_000)+" }"), "invalid_request", "token limit")
	var viewers, counts strings.Builder
	for i := range 8000 {
		fmt.Fprintf(&viewers, " v%d: viewer { livemode }", i)
	}
	refusedBeforeSQL(t, env, run("{"+viewers.String()+" }"), "invalid_request", "token limit")
	for i := range 4000 {
		fmt.Fprintf(&counts, ` c%d: conversations(first: 0, where: {hasMessagesWith: {contentContains: "x"}}) { totalCount }`, i)
	}
	refusedBeforeSQL(t, env, run("{"+counts.String()+" }"), "invalid_request", "token limit")

	// Under the token limit, fields that send SQL of their own are priced so
	// that the complexity limit admits about as many as the statement
	// budget: 101 viewers are refused before SQL, 99 run.
	aliases := func(n int, field string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " a%d: %s", i, field)
		}
		return "{" + b.String() + " }"
	}
	refusedBeforeSQL(t, env, run(aliases(101, "viewer { livemode }")), "invalid_request", "complexity")
	refusedBeforeSQL(t, env, run(aliases(101, "conversations(first: 0) { totalCount }")), "invalid_request", "complexity")
	if res := run(aliases(99, "viewer { livemode }")); len(res.Errors) > 0 {
		t.Fatalf("99 viewers: %+v", res.Errors)
	}
	// A filter that follows an edge may read the whole other table (here
	// every message of the tenant), so it is priced higher: 20 such counts
	// are refused before SQL, 19 run, as do 90 counts without the filter.
	filtered := `conversations(first: 0, where: {hasMessagesWith: {contentContains: "x"}}) { totalCount }`
	refusedBeforeSQL(t, env, run(aliases(20, filtered)), "invalid_request", "complexity")
	refusedBeforeSQL(t, env, run(aliases(20, `conversations(first: 0, where: {or: [{status: completed}, {not: {hasAgentWith: {name: "x"}}}]}) { totalCount }`)), "invalid_request", "complexity")
	if res := run(aliases(19, filtered)); len(res.Errors) > 0 {
		t.Fatalf("19 filtered counts: %+v", res.Errors)
	}
	if res := run(aliases(90, "conversations(first: 0, where: {status: completed}) { totalCount }")); len(res.Errors) > 0 {
		t.Fatalf("90 counts: %+v", res.Errors)
	}

	// Fragments used from several places still work.
	env.MustGraphQL(t, key, `{ a: conversations(first: 1) { ...C } b: conversations(last: 1) { ...C } } fragment C on ConversationConnection { totalCount edges { node { ...N } } } fragment N on Conversation { id status agent { ...A } } fragment A on Agent { id name }`, nil)

	// graphql-js's full introspection query passes the limits, while an
	// introspection that nests fields without end, which the depth limit
	// leaves to gqlparser, is refused before any SQL.
	env.MustGraphQL(t, key, introspectionQuery, nil)
	deep := "{ __schema { types { " + strings.Repeat("fields { type { ", 30) + "name" + strings.Repeat(" } }", 30) + " } } }"
	refusedBeforeSQL(t, env, run(deep), "invalid_request", "introspection depth")
}

// The statement budget stops a request that passes analysis but would
// send more statements than one request may: one error, no data, and no
// statement over the budget reaches the database.
func TestStatementBudget(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	agent := newAgent(t, env, key, "Interviewer")
	newConversation(t, env, key, agent)
	env.WarmKey(t, key)

	// Each alias sends four statements (page, agent, participant,
	// transcript), and 80 of them fit in the complexity limit.
	var b strings.Builder
	for i := range 80 {
		fmt.Fprintf(&b, " c%d: conversations(first: 1) { ...Page }", i)
	}
	env.Queries.Reset()
	res := env.GraphQL(t, key, "{"+b.String()+" } fragment Page on ConversationConnection { edges { node { id agent { name } participant { email } transcript { content } } } }", nil)
	e := onlyError(t, res, "budget_exceeded")
	if !strings.Contains(e.Message, "100 SQL statements") || res.Data != nil {
		t.Errorf("error %q, data %v; want the statement budget named and no data", e.Message, res.Data)
	}
	if n := int64(env.Queries.Count()); n > budget.DefaultLimits.Statements+1 {
		t.Errorf("%d statements reached the database, want at most the budget (%d) and the key lookup", n, budget.DefaultLimits.Statements)
	}
}

// The bytes budget bounds what one request may read, including a
// transcript served again by an alias, which the database does not read
// twice; nodes refuses an ID given twice.
func TestBytesBudget(t *testing.T) {
	env := apitest.StartWith(t, func(c *api.Config) {
		c.Budget = budget.Limits{Statements: 100, Rows: 1000, Bytes: 70_000}
	})
	key := env.Key(t, "Acme", false)
	conv := newConversation(t, env, key, newAgent(t, env, key, "Interviewer"))
	env.MustGraphQL(t, key, appendMessages, map[string]any{"id": conv, "messages": []any{
		map[string]any{"role": "user", "content": strings.Repeat("a", 20_000), "modality": "text"},
	}})

	q := func(aliases int) string {
		var b strings.Builder
		for i := range aliases {
			fmt.Fprintf(&b, " t%d: transcript { content }", i)
		}
		return `query($id: ID!) { conversation(id: $id) {` + b.String() + ` } }`
	}
	env.MustGraphQL(t, key, q(3), map[string]any{"id": conv})
	onlyError(t, env.GraphQL(t, key, q(4), map[string]any{"id": conv}), "budget_exceeded")

	res := env.GraphQL(t, key, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{conv, conv}})
	if e := onlyError(t, res, "invalid_request"); !strings.Contains(e.Message, "more than once") {
		t.Errorf("nodes with a repeated ID: %q", e.Message)
	}

	// REST: the same budget, the same error, as the documented envelope;
	// a page of one message (which reads two, to know if more follow) fits.
	env.MustGraphQL(t, key, appendMessages, map[string]any{"id": conv, "messages": []any{
		map[string]any{"role": "assistant", "content": strings.Repeat("b", 40_000), "modality": "text"},
		map[string]any{"role": "user", "content": strings.Repeat("c", 40_000), "modality": "text"},
	}})
	r := env.Send(t, http.MethodGet, key, "/v1/backend/conversations/"+conv+"/transcript", nil, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"code":"budget_exceeded"`) || !strings.Contains(string(r.Body), "/messages") {
		t.Errorf("REST transcript over the bytes budget: %s", r)
	}
	if r := env.Send(t, http.MethodGet, key, "/v1/backend/conversations/"+conv+"/messages?limit=1", nil, nil); r.Status != http.StatusOK {
		t.Errorf("REST messages, one at a time: %s", r)
	}
}

// A transcript longer than MaxTranscriptMessages is refused before it is
// loaded, and stays readable page by page, in GraphQL and in REST.
func TestLongTranscriptIsPaged(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	conv := newConversation(t, env, key, newAgent(t, env, key, "Interviewer"))
	total := loader.MaxTranscriptMessages + 1
	for sent := 0; sent < total; {
		n := min(500, total-sent)
		msgs := make([]any, n)
		for i := range msgs {
			msgs[i] = map[string]any{"role": "user", "content": fmt.Sprintf("message %d", sent+i+1), "modality": "text"}
		}
		env.MustGraphQL(t, key, appendMessages, map[string]any{"id": conv, "messages": msgs})
		sent += n
	}

	env.Queries.Reset()
	res := env.GraphQL(t, key, `query($id: ID!) { conversation(id: $id) { messageCount transcript { id } } }`, map[string]any{"id": conv})
	e := onlyError(t, res, "budget_exceeded")
	if !strings.Contains(e.Message, "messages(first:") {
		t.Errorf("message %q does not say how to read the transcript", e.Message)
	}
	for _, st := range env.Queries.Statements() {
		if strings.Contains(st, `FROM "messages"`) {
			t.Errorf("the refused transcript was loaded: %s", st)
		}
	}
	// Without messageCount in the query: the field collection selects only
	// the columns asked for, and the message count the check needs with
	// them (ent/schema ResolverColumns).
	for _, q := range []string{
		`query($id: ID!) { conversation(id: $id) { transcript { id } } }`,
		`{ conversations(first: 5) { edges { node { transcript { id } } } } }`,
		`query($id: ID!) { nodes(ids: [$id]) { ... on Conversation { transcript { id } } } }`,
	} {
		env.Queries.Reset()
		onlyError(t, env.GraphQL(t, key, q, map[string]any{"id": conv}), "budget_exceeded")
		for _, st := range env.Queries.Statements() {
			if strings.Contains(st, `FROM "messages"`) {
				t.Errorf("%s: the refused transcript was loaded: %s", q, st)
			}
		}
	}

	// REST: 422 pointing at the paged endpoint, which serves every message
	// once, in order.
	r := env.Send(t, http.MethodGet, key, "/v1/backend/conversations/"+conv+"/transcript", nil, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "/v1/backend/conversations/"+conv+"/messages") {
		t.Fatalf("REST transcript of %d messages: %s", total, r)
	}
	seen := 0
	next := ""
	for page := 0; page < 20; page++ {
		target := "/v1/backend/conversations/" + conv + "/messages?limit=100"
		if next != "" {
			target += "&after=" + next
		}
		body := decodeJSON(t, env.Send(t, http.MethodGet, key, target, nil, nil))
		for _, m := range body["data"].([]any) {
			seen++
			if got, want := m.(map[string]any)["content"], fmt.Sprintf("message %d", seen); got != want {
				t.Fatalf("message %d: content %v, want %q", seen, got, want)
			}
		}
		c, _ := testenv.Get(body, "pagination", "next_cursor").(string)
		if c == "" {
			break
		}
		next = url.QueryEscape(c)
	}
	if seen != total {
		t.Fatalf("walking /messages saw %d messages, want %d", seen, total)
	}
}

// introspectionQuery is graphql-js's getIntrospectionQuery() with every
// option on (descriptions, specifiedByUrl, directiveIsRepeatable,
// schemaDescription, inputValueDeprecation, oneOf), as GraphiQL and
// codegen tools send it.
//
//go:embed testdata/introspection.graphql
var introspectionQuery string

func decodeJSON(t *testing.T, r testenv.HTTPResponse) map[string]any {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("want 200, got %s", r)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	return body
}

// An error repeats at most a short prefix of the caller's input, so an
// answer never grows with the request (a 1 MB ID used to come back whole).
func TestErrorsDoNotEchoLargeInput(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	huge := strings.Repeat("x", 500_000)
	res := env.GraphQL(t, key, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": huge})
	if len(res.Errors) == 0 || len(res.Errors[0].Message) > 200 {
		t.Fatalf("an invalid 500 KB ID: %d errors, first message %d bytes", len(res.Errors), len(res.Errors[0].Message))
	}
	res = env.GraphQL(t, key, `{ node(id: "`+huge+`") { id } }`, nil)
	if len(res.Errors) == 0 || len(res.Errors[0].Message) > 200 {
		t.Fatalf("an inline invalid 500 KB ID: first message %d bytes", len(res.Errors[0].Message))
	}
	r := env.Send(t, http.MethodGet, key, "/v1/backend/conversations/"+strings.Repeat("y", 4000), nil, nil)
	if r.Status != http.StatusBadRequest || len(r.Body) > 300 {
		t.Fatalf("REST with a 4 KB path ID: %d, %d bytes", r.Status, len(r.Body))
	}
}
