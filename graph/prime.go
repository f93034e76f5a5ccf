package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/graph/loader"
)

// primeTranscripts is a field middleware that makes transcript batching
// deterministic. When a field returns several conversations and the query
// selects their transcript, it queues all of them in the loader at once,
// before gqlgen resolves the elements; each element's Load then finds its
// result in the loader's cache. Without it a batch forms only from the Loads
// that arrive within the loader's wait, which a busy server can split.
func primeTranscripts(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	var ids []uuid.UUID
	switch v := res.(type) {
	case *ent.ConversationConnection:
		if v == nil || !selects(ctx, "edges", "node", "transcript") {
			return res, err
		}
		ids = make([]uuid.UUID, len(v.Edges))
		for i, e := range v.Edges {
			ids[i] = e.Node.ID
		}
	case []*ent.Conversation:
		if !selects(ctx, "transcript") {
			return res, err
		}
		ids = make([]uuid.UUID, len(v))
		for i, c := range v {
			ids[i] = c.ID
		}
	default:
		return res, err
	}
	if len(ids) > 1 {
		// Load queues each key synchronously (LoadMany would queue them from
		// goroutines, racing the loader's wait); the thunks are left for the
		// element resolvers to call.
		transcripts := loader.FromContext(ctx).Transcript
		for _, id := range ids {
			transcripts.Load(ctx, id)
		}
	}
	return res, err
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
