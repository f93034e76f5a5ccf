package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/graph/loader"
)

// primeTranscripts makes transcript batching deterministic; the field
// middleware (resolverMiddleware) calls it with what a resolver or method
// returned. When a field returns several conversations (a connection,
// a list, or `nodes`) and the query selects their transcript, it loads all
// of their transcripts in one query and primes the request's loader with
// them before gqlgen resolves the elements; each element's Load then finds
// its result cached, whatever order and timing gqlgen gives the elements.
// Without it a batch forms only from the Loads that arrive within the
// loader's wait.
func primeTranscripts(ctx context.Context, res any) {
	var ids []uuid.UUID
	switch v := res.(type) {
	case *ent.ConversationConnection:
		if v == nil || !selects(ctx, "edges", "node", "transcript") {
			return
		}
		for _, e := range v.Edges {
			ids = appendPrimable(ids, e.Node)
		}
	case []*ent.Conversation:
		if !selects(ctx, "transcript") {
			return
		}
		for _, c := range v {
			ids = appendPrimable(ids, c)
		}
	case []ent.Noder:
		if !selects(ctx, "transcript") { // fragments on Conversation included
			return
		}
		for _, n := range v {
			if c, ok := n.(*ent.Conversation); ok {
				ids = appendPrimable(ids, c)
			}
		}
	default:
		return
	}
	if len(ids) > 1 {
		loader.FromContext(ctx).PrimeTranscripts(ctx, ids)
	}
}

// selects reports whether the current field's selection reaches the path of
// field names (through fragments too).
func selects(ctx context.Context, path ...string) bool {
	oc := graphql.GetOperationContext(ctx)
	fields := graphql.CollectFieldsCtx(ctx, nil)
	for _, name := range path {
		var next *graphql.CollectedField
		for i := range fields {
			if fields[i].Name == name {
				next = &fields[i]
				break
			}
		}
		if next == nil {
			return false
		}
		fields = graphql.CollectFields(oc, next.Selections, nil)
	}
	return true
}

// appendPrimable adds c's ID unless its transcript is one the resolver
// refuses to load whole.
func appendPrimable(ids []uuid.UUID, c *ent.Conversation) []uuid.UUID {
	if c == nil || c.MessageCount > loader.MaxTranscriptMessages {
		return ids
	}
	return append(ids, c.ID)
}
