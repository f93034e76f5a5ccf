package graph

import (
	_ "embed"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

//go:embed testdata/introspection.graphql
var benchIntrospection string

// BenchmarkAnalysis measures what a document costs before any resolver
// runs (parse, the repeated-field check, validation, the limits walk),
// for ordinary documents and for the worst shapes the limits admit or
// refuse. Each iteration uses a new document text, as an attacker would,
// so the query cache never answers.
func BenchmarkAnalysis(b *testing.B) {
	var repeats, bomb, deep strings.Builder
	for n := 0; repeats.Len() < 5000; n++ { // 20 copies each of many names: the most pairs validation compares
		fmt.Fprintf(&repeats, " a%d: __typename", n%90)
	}
	bomb.WriteString("query Bomb { ...F0 }\n")
	for i := range 150 {
		fmt.Fprintf(&bomb, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	bomb.WriteString("fragment F150 on Query { viewer { livemode } }\n")
	deep.WriteString("query Wide { agent(id: \"x\") { ...F0 } }\n")
	for i := range 40 {
		fmt.Fprintf(&deep, "fragment F%d on Agent { a: conversations(first: 1) { edges { node { agent { ...F%d } } } } b: conversations(first: 1) { edges { node { agent { ...F%d } } } } }\n", i, i+1, i+1)
	}
	deep.WriteString("fragment F40 on Agent { id }\n")
	docs := map[string]string{
		"dashboard":       `{ conversations(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status turnCount agent { id name } participant { id email } transcript { id role content createdAt } } } } }`,
		"introspection":   benchIntrospection,
		"repeats-at-max":  "{" + firstRepeats(repeats.String(), 20) + " }",
		"fragment-bomb":   bomb.String(),
		"nested-2^40":     deep.String(),
		"tokens-over-max": "{" + strings.Repeat(" __typename", 60_000) + " }",
	}
	exec := NewExecutor(nil, slog.New(slog.DiscardHandler), Options{})
	for name, doc := range docs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				ctx := graphql.StartOperationTrace(b.Context())
				// A comment makes each text new to the query cache.
				exec.CreateOperationContext(ctx, &graphql.RawParams{Query: fmt.Sprintf("#%d\n%s", i, doc)})
			}
		})
	}
}

// firstRepeats keeps at most n copies of each aliased field.
func firstRepeats(fields string, n int) string {
	seen := map[string]int{}
	var out strings.Builder
	for _, f := range strings.SplitAfter(fields, "__typename") {
		alias, _, _ := strings.Cut(strings.TrimSpace(f), ":")
		if seen[alias]++; seen[alias] <= n && alias != "" {
			out.WriteString(f)
		}
	}
	return out.String()
}
