// Package loader batches the reads that entgql's eager loading cannot do:
// fields that are not ent edges (a conversation's transcript), and loads made
// outside a GraphQL execution. Loaders live for one GraphQL operation only
// (the GraphQL handler and executor give each response its own): a batch
// runs with the context, and so the tenant, of the operation that formed
// it.
package loader

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/budget"
)

// Options tune batching.
type Options struct {
	// Wait is how long a loader collects keys before it runs a batch.
	Wait time.Duration
	// BatchCapacity bounds the keys in one batch, and so the bind parameters
	// of one `IN (...)` query.
	BatchCapacity int
	// MessageColumns, when set, are the only columns a transcript reads
	// (they must include the ID and the conversation): the GraphQL handler
	// sets them for each operation to those its transcripts select. Unset,
	// every column is read.
	MessageColumns []string
}

// DefaultOptions are the batching settings the server uses, chosen by
// BenchmarkTranscriptLoader. Every list of conversations is primed in one
// query (PrimeTranscripts), so the loader itself only ever sees keys that
// arrive one at a time: a wait would be pure latency. Measured on a 2-core
// Linux host, a wait below a millisecond still costs about one (1.3ms per
// single load with 100µs or 1ms, against 0.15ms with none), and the 16ms
// default of dataloader adds 16ms to every request that reads a transcript.
// Without priming, no wait splits 50 concurrent loads into about 25 queries,
// which the query budget tests would catch. The capacity is far above the
// largest page (100) and keeps a batch's bind parameters under SQLite's
// 32,766.
var DefaultOptions = Options{Wait: 0, BatchCapacity: 1000}

// Loaders are the per-operation dataloaders.
//
// Which path serves which field: a conversation's agent, participant and
// messages connection, and every other ent edge, are eager-loaded by
// entgql's field collection (one IN query per edge per level, or one
// windowed query for a nested connection). Conversation.transcript is not
// an edge (all messages, oldest first, no pagination), so it is served by
// the Transcript loader, primed per page.
type Loaders struct {
	// Transcript loads every message of a conversation, oldest first.
	Transcript *dataloader.Loader[uuid.UUID, []*ent.Message]

	transcripts dataloader.BatchFunc[uuid.UUID, []*ent.Message]
	capacity    int

	mu     sync.Mutex
	served map[uuid.UUID]bool // transcripts already in this operation's answer
}

// MaxTranscriptMessages is the longest transcript served whole. A longer
// one is read page by page (GraphQL `messages`, REST
// /conversations/{id}/messages), so no single answer holds an unbounded
// list.
const MaxTranscriptMessages = 1000

// ConversationTranscript returns every message of c, oldest first. It
// refuses a transcript longer than MaxTranscriptMessages before loading
// it, and charges the operation's budget for a transcript served again (by
// an alias, or an ID given twice), which the database did not read again.
func (l *Loaders) ConversationTranscript(ctx context.Context, c *ent.Conversation) ([]*ent.Message, error) {
	if c.MessageCount > MaxTranscriptMessages {
		return nil, apperr.New(apperr.BudgetExceeded,
			"the transcript of conversation %s has %d messages, more than the %d served at once; read it page by page with messages(first:, after:)",
			c.ID, c.MessageCount, MaxTranscriptMessages)
	}
	msgs, err := l.Transcript.Load(ctx, c.ID)()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	again := l.served[c.ID]
	l.served[c.ID] = true
	l.mu.Unlock()
	if again {
		var n int64
		for _, m := range msgs {
			n += int64(len(m.Content))
		}
		if err := budget.FromContext(ctx).Bytes(n); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// New returns fresh loaders reading through client.
func New(client *ent.Client, opts Options) *Loaders {
	batch := transcripts(client, opts.MessageColumns)
	return &Loaders{
		Transcript: dataloader.NewBatchedLoader(batch,
			dataloader.WithWait[uuid.UUID, []*ent.Message](opts.Wait),
			dataloader.WithBatchCapacity[uuid.UUID, []*ent.Message](opts.BatchCapacity),
		),
		transcripts: batch,
		capacity:    opts.BatchCapacity,
		served:      map[uuid.UUID]bool{},
	}
}

// PrimeTranscripts loads the transcripts of ids in as few queries as the
// batch capacity allows and stores them in the Transcript loader, so that
// the Loads of a page's elements, however gqlgen schedules them, find their
// result cached. A failed batch primes nothing: the Loads then run their own
// batch and report its error on the field that asked.
func (l *Loaders) PrimeTranscripts(ctx context.Context, ids []uuid.UUID) {
	if len(ids) == 0 {
		return
	}
	size := l.capacity
	if size <= 0 { // no capacity: one batch, as in dataloader
		size = len(ids)
	}
	for chunk := range slices.Chunk(ids, size) {
		results := l.transcripts(ctx, chunk)
		for i, id := range chunk {
			if results[i].Error == nil {
				l.Transcript.Prime(ctx, id, results[i].Data)
			}
		}
	}
}

// transcripts loads the messages of many conversations in one query and
// hands each conversation its own, in order.
func transcripts(client *ent.Client, columns []string) dataloader.BatchFunc[uuid.UUID, []*ent.Message] {
	return func(ctx context.Context, ids []uuid.UUID) []*dataloader.Result[[]*ent.Message] {
		results := make([]*dataloader.Result[[]*ent.Message], len(ids))
		q := client.Message.Query().
			Where(message.ConversationIDIn(ids...)).
			Order(message.ByConversationID(), message.ByPosition())
		if len(columns) > 0 {
			q.Select(columns...)
		}
		msgs, err := q.All(ctx)
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

// FromContext returns the operation's loaders. It panics when there are
// none, a wiring error no request can cause: every operation run by
// graph.NewHandler or graph.NewExecutor gets its own.
func FromContext(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loader: no loaders in context; is the operation run by graph.NewHandler or graph.NewExecutor?")
	}
	return l
}
