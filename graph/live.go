package graph

import (
	"context"
	"errors"
	"slices"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/predicate"
	"github.com/parleyhq/parley/graph/model"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/budget"
	"github.com/parleyhq/parley/internal/conversations"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/tenant"
	"github.com/parleyhq/parley/internal/viewer"
)

// A subscription resolver subscribes to the broker, checks what the
// caller may see, and starts a goroutine that turns each event into the
// payload objects, read with the subscriber's viewer (so tenancy applies
// as to any query) under a budget of its own. The payload's fields are
// then resolved by gqlgen inside the response middlewares, where
// operationState gives every event fresh loaders and budget.

// eventStatus is the status each event conversationEvents delivers leaves
// its conversation in.
var eventStatus = map[string]conversation.Status{
	conversations.EventCreated:   conversation.StatusPending,
	conversations.EventStarted:   conversation.StatusInProgress,
	conversations.EventCompleted: conversation.StatusCompleted,
	conversations.EventAbandoned: conversation.StatusAbandoned,
	conversations.EventArchived:  conversation.StatusArchived,
}

// statusFilter is the top-level status part of a where input. It is
// checked against the status the event left (a subscriber that reads the
// "started" event after the conversation completed must still see it as
// a start), the rest of the filter in SQL against the conversation now.
type statusFilter struct {
	eq, neq   *conversation.Status
	in, notIn []conversation.Status
}

func splitStatus(w *ent.ConversationWhereInput) (*ent.ConversationWhereInput, statusFilter) {
	rest := *w
	f := statusFilter{eq: w.Status, neq: w.StatusNEQ, in: w.StatusIn, notIn: w.StatusNotIn}
	rest.Status, rest.StatusNEQ, rest.StatusIn, rest.StatusNotIn = nil, nil, nil, nil
	return &rest, f
}

func (f statusFilter) match(s conversation.Status) bool {
	return (f.eq == nil || *f.eq == s) && (f.neq == nil || *f.neq != s) &&
		(f.in == nil || slices.Contains(f.in, s)) && !slices.Contains(f.notIn, s)
}

// subscribe opens a broker subscription for the caller.
func (r *Resolver) subscribe(ctx context.Context, match func(live.Event) bool) (*live.Subscription, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok || r.live == nil {
		return nil, apperr.New(apperr.Unauthorized, "subscriptions need an API key")
	}
	sub, err := r.live.Subscribe(v, match)
	switch {
	case errors.Is(err, live.ErrTooMany):
		return nil, apperr.New(apperr.RateLimited, "this API key has %d open subscriptions, the most allowed; close one first", r.live.MaxPerKey())
	case errors.Is(err, live.ErrShutdown):
		return nil, apperr.New(apperr.Unavailable, "%s", err)
	}
	return sub, err
}

// eventContext is the context one event's payload is read under: the
// subscription's, with a budget and tenancy memo of its own.
func (r *Resolver) eventContext(ctx context.Context) context.Context {
	return budget.NewContext(tenant.WithReferenceCache(ctx), budget.New(r.budget))
}

// stream runs fn for each event of sub until the subscriber leaves, and
// tells the subscriber why the stream ended if it was not its own doing.
func stream[T any](ctx context.Context, r *Resolver, sub *live.Subscription, fn func(context.Context, live.Event, func(T) bool) error) <-chan T {
	out := make(chan T)
	send := func(v T) bool {
		select {
		case out <- v:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.Events():
				if !ok {
					if err := sub.Err(); err != nil {
						r.endStream(ctx, apperr.New(apperr.Unavailable, "%s", err))
					}
					return
				}
				if err := fn(r.eventContext(ctx), ev, send); err != nil {
					if ctx.Err() == nil {
						r.endStream(ctx, err)
					}
					return
				}
			}
		}
	}()
	return out
}

// streamEndKey marks a context whose transport reports why a stream ended
// (Parley's SSE transport); the websocket transport has gqlgen's own.
type streamEndKey struct{}

type streamEnd struct{ err *gqlerror.Error }

// endStream has the transport send err as the stream's last message.
func (r *Resolver) endStream(ctx context.Context, err error) {
	gqlErr := r.present(ctx, err)
	if end, ok := ctx.Value(streamEndKey{}).(*streamEnd); ok {
		end.err = gqlErr
		return
	}
	if isWebsocket(ctx) {
		transport.AddSubscriptionError(ctx, gqlErr)
	}
}

// visible answers not_found for a conversation the caller cannot see.
func (r *Resolver) visible(ctx context.Context, id uuid.UUID) (*ent.Conversation, error) {
	return r.client.Conversation.Query().Where(conversation.ID(id)).Only(ctx)
}

func messageAdded(ctx context.Context, r *Resolver, id uuid.UUID) (<-chan *ent.Message, error) {
	sub, err := r.subscribe(ctx, func(ev live.Event) bool {
		return ev.ConversationID == id && ev.Type == conversations.EventMessagesAppended
	})
	if err != nil {
		return nil, err
	}
	// Read after subscribing, so no append falls between the two.
	conv, err := r.visible(ctx, id)
	if err != nil {
		sub.Close()
		return nil, err
	}
	// Messages are read by position, up to the count each event reports:
	// an event that arrives after a later one finds its messages sent
	// already, so each message goes out once and in order whatever order
	// the events come in. An append that committed between subscribing and
	// that read is in the count read, but its event arrives here: until
	// something is sent, an event's own messages are sent even when the
	// read counted them.
	last, sent := conv.MessageCount, false
	return stream(ctx, r, sub, func(ctx context.Context, ev live.Event, send func(*ent.Message) bool) error {
		if first := ev.MessageCount - ev.Appended; !sent && ev.Appended > 0 && first < last {
			last = first
		}
		if ev.MessageCount <= last {
			return nil
		}
		msgs, err := r.client.Message.Query().
			Where(message.ConversationID(id), message.PositionGT(last), message.PositionLTE(ev.MessageCount)).
			Order(ent.Asc(message.FieldPosition)).All(ctx)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if !send(m) {
				return nil
			}
			last, sent = m.Position, true
		}
		return nil
	}), nil
}

func conversationUpdated(ctx context.Context, r *Resolver, id uuid.UUID) (<-chan *ent.Conversation, error) {
	sub, err := r.subscribe(ctx, func(ev live.Event) bool { return ev.ConversationID == id })
	if err != nil {
		return nil, err
	}
	if _, err := r.visible(ctx, id); err != nil {
		sub.Close()
		return nil, err
	}
	// Start after the conversation's newest event: its changes are written
	// in ID order (each locks the conversation first), so an event at or
	// before it committed before the subscription.
	start, err := live.Newest(ctx, r.client, event.ConversationID(id))
	if err != nil {
		sub.Close()
		return nil, err
	}
	return stream(ctx, r, sub, func(ctx context.Context, ev live.Event, send func(*ent.Conversation) bool) error {
		if gid.Compare(ev.ID, start) <= 0 {
			return nil // committed before the subscription: not a change to report
		}
		conv, err := r.visible(ctx, id)
		if err != nil {
			return err
		}
		send(conv)
		return nil
	}), nil
}

func conversationEvents(ctx context.Context, r *Resolver, where *ent.ConversationWhereInput) (<-chan *model.ConversationEvent, error) {
	var (
		filter []predicate.Conversation
		status statusFilter
	)
	if where != nil {
		if _, err := where.P(); err != nil { // the whole filter must be valid
			return nil, err
		}
		var rest *ent.ConversationWhereInput
		rest, status = splitStatus(where)
		p, err := rest.P()
		if err != nil && !errors.Is(err, ent.ErrEmptyConversationWhereInput) {
			return nil, err
		}
		if p != nil {
			filter = append(filter, p)
		}
	}
	sub, err := r.subscribe(ctx, func(ev live.Event) bool {
		s, ok := eventStatus[ev.Type]
		return ok && status.match(s)
	})
	if err != nil {
		return nil, err
	}
	// Unlike a single conversation's stream, this one has no start: the
	// events of different conversations are not written in ID order (IDs
	// are minted inside transactions that commit in any order), so an ID
	// cut-off could drop an event that commits after the subscription. An
	// event committed just before it may be sent instead.
	return stream(ctx, r, sub, func(ctx context.Context, ev live.Event, send func(*model.ConversationEvent) bool) error {
		// The rest of the filter is the one conversations(where:) applies,
		// in SQL, to the conversation as it is now.
		conv, err := r.client.Conversation.Query().Where(append([]predicate.Conversation{conversation.ID(ev.ConversationID)}, filter...)...).Only(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		send(&model.ConversationEvent{ID: ev.ID, Type: ev.Type, OccurredAt: ev.OccurredAt, Conversation: conv})
		return nil
	}), nil
}
