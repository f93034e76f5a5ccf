package tenant

import (
	"context"
	"sync"

	"entgo.io/ent"
	"github.com/google/uuid"

	gen "github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/agent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/hook"
	"github.com/parleyhq/parley/ent/participant"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/viewer"
)

// A foreign key only proves that a row exists, not that the viewer may see
// it. These hooks check that every row a write points to is visible through
// the tenant filter, so one organization cannot attach its data to another's.
// Writes without a viewer are trusted system writes and are not checked.

// ConversationRefsHook checks a conversation's agent and participant.
func ConversationRefsHook() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.ConversationFunc(func(ctx context.Context, m *gen.ConversationMutation) (ent.Value, error) {
			if _, ok := viewer.FromContext(ctx); ok {
				if id, ok := m.AgentID(); ok {
					if err := mustSee(ctx, "agent", id, m.Client().Agent.Query().Where(agent.ID(id)).Exist); err != nil {
						return nil, err
					}
				}
				if id, ok := m.ParticipantID(); ok {
					if err := mustSee(ctx, "participant", id, m.Client().Participant.Query().Where(participant.ID(id)).Exist); err != nil {
						return nil, err
					}
				}
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne)
}

// MessageRefsHook checks a message's conversation.
func MessageRefsHook() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.MessageFunc(func(ctx context.Context, m *gen.MessageMutation) (ent.Value, error) {
			if _, ok := viewer.FromContext(ctx); ok {
				if id, ok := m.ConversationID(); ok {
					if err := mustSee(ctx, "conversation", id, m.Client().Conversation.Query().Where(conversation.ID(id)).Exist); err != nil {
						return nil, err
					}
				}
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate)
}

func mustSee(ctx context.Context, label string, id uuid.UUID, exist func(context.Context) (bool, error)) error {
	seen := seenFromContext(ctx)
	if seen != nil {
		if _, ok := seen.Load(id); ok {
			return nil
		}
	}
	ok, err := exist(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.NotFoundf("%s %s not found", label, id)
	}
	if seen != nil {
		seen.Store(id, struct{}{})
	}
	return nil
}

type seenKey struct{}

// WithReferenceCache returns a context in which rows proven visible are
// remembered, so a batch of writes pointing at one row checks it once. Use
// one per request: the memo is only valid for a single viewer.
func WithReferenceCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, seenKey{}, &sync.Map{})
}

func seenFromContext(ctx context.Context) *sync.Map {
	m, _ := ctx.Value(seenKey{}).(*sync.Map)
	return m
}
