// Package loader batches the reads that entgql's eager loading cannot do:
// fields that are not ent edges (a conversation's transcript), and loads made
// outside a GraphQL execution. Loaders live for one request only (see
// Middleware): a batch runs with the context, and so the tenant, of the
// request that formed it.
package loader

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/message"
)

// Options tune batching.
type Options struct {
	// Wait is how long a loader collects keys before it runs a batch.
	Wait time.Duration
	// BatchCapacity bounds the keys in one batch, and so the bind parameters
	// of one `IN (...)` query.
	BatchCapacity int
}

// DefaultOptions are the batching settings the server uses.
var DefaultOptions = Options{Wait: time.Millisecond, BatchCapacity: 1000}

// Loaders are the per-request dataloaders.
type Loaders struct {
	// Transcript loads every message of a conversation, oldest first.
	Transcript *dataloader.Loader[uuid.UUID, []*ent.Message]
}

// New returns fresh loaders reading through client.
func New(client *ent.Client, opts Options) *Loaders {
	return &Loaders{
		Transcript: dataloader.NewBatchedLoader(transcripts(client),
			dataloader.WithWait[uuid.UUID, []*ent.Message](opts.Wait),
			dataloader.WithBatchCapacity[uuid.UUID, []*ent.Message](opts.BatchCapacity),
		),
	}
}

// transcripts loads the messages of many conversations in one query and
// hands each conversation its own, in order.
func transcripts(client *ent.Client) dataloader.BatchFunc[uuid.UUID, []*ent.Message] {
	return func(ctx context.Context, ids []uuid.UUID) []*dataloader.Result[[]*ent.Message] {
		results := make([]*dataloader.Result[[]*ent.Message], len(ids))
		msgs, err := client.Message.Query().
			Where(message.ConversationIDIn(ids...)).
			Order(message.ByConversationID(), message.ByPosition()).
			All(ctx)
		if err != nil {
			err = fmt.Errorf("loading transcripts: %w", err)
			for i := range results {
				results[i] = &dataloader.Result[[]*ent.Message]{Error: err}
			}
			return results
		}
		byConversation := make(map[uuid.UUID][]*ent.Message, len(ids))
		for _, m := range msgs {
			byConversation[m.ConversationID] = append(byConversation[m.ConversationID], m)
		}
		for i, id := range ids {
			ms := byConversation[id]
			if ms == nil {
				ms = []*ent.Message{}
			}
			results[i] = &dataloader.Result[[]*ent.Message]{Data: ms}
		}
		return results
	}
}

type ctxKey struct{}

// NewContext returns a context carrying l.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the request's loaders. It panics when the request did
// not pass through Middleware, a wiring error no request can cause.
func FromContext(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loader: no loaders in context; is the request going through loader.Middleware?")
	}
	return l
}

// Middleware gives every request its own loaders.
func Middleware(client *ent.Client, opts Options) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), New(client, opts))))
		})
	}
}
