package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/graph/model"
	"github.com/parleyhq/parley/internal/conversations"
)

// tx returns the client of the mutation's transaction (the transactioner
// opens one per mutation), or the plain client outside one.
func (r *Resolver) tx(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return r.client
}

// appendMessages hands an append to internal/conversations, the one place
// conversations change.
func appendMessages(ctx context.Context, c *ent.Client, id uuid.UUID, inputs []*model.AppendMessageInput) (*model.AppendMessagesPayload, error) {
	msgs := make([]conversations.NewMessage, len(inputs))
	for i, in := range inputs {
		msgs[i] = conversations.NewMessage{Role: in.Role, Content: in.Content, Modality: in.Modality, CreatedAt: in.CreatedAt}
	}
	conv, saved, err := conversations.Append(ctx, c, id, msgs)
	if err != nil {
		return nil, err
	}
	return &model.AppendMessagesPayload{Conversation: conv, Messages: saved}, nil
}
