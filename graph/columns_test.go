package graph

import (
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/parleyhq/parley/graph/generated"
)

func TestTranscriptColumns(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for _, c := range []struct {
		query string
		want  []string // nil: every column
	}{
		{`{ conversations(first: 50) { edges { node { id transcript { id role content createdAt modality } } } } }`,
			[]string{"id", "conversation_id", "content", "created_at", "modality", "role"}},
		{`{ conversations(first: 5) { edges { node { id messageCount } } } }`, nil},
		{`query($id: ID!) { a: conversation(id: $id) { transcript { ...M } } b: conversation(id: $id) { transcript { position conversation { transcript { livemode } } } } }
		  fragment M on Message { updatedAt ...N }
		  fragment N on Message { id }`,
			[]string{"id", "conversation_id", "livemode", "position", "updated_at"}},
		{`query($id: ID!) { node(id: $id) { ... on Conversation { ...C } } }
		  fragment C on Conversation { transcript { __typename content } agent { name } }`,
			[]string{"id", "conversation_id", "content"}},
		// A fragment spread inside and outside a transcript counts in both.
		{`query($id: ID!) { conversation(id: $id) { transcript { ...T } messages(first: 1) { edges { node { ...T } } } } }
		  fragment T on Message { role }`,
			[]string{"id", "conversation_id", "role"}},
	} {
		doc, err := gqlparser.LoadQuery(schema, c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		got := transcriptColumns(&graphql.OperationContext{Operation: doc.Operations[0]})
		if !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.query, got, c.want)
		}
	}
}
