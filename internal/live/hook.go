package live

import (
	"context"
	"encoding/json"
	"fmt"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/ent/predicate"
	"github.com/parleyhq/parley/internal/database"
)

// channelPrefix names the NOTIFY channel, followed by the schema, so that
// deployments (and test schemas) sharing one database do not hear each
// other.
const channelPrefix = "parley_events:"

// Install makes every event the client writes reach subscribers once its
// transaction commits: on PostgreSQL by a NOTIFY in that transaction
// (delivered by PostgreSQL at commit, to every process's Listener), on
// SQLite by publishing to b after the commit (one process owns the file).
func Install(client *ent.Client, dialectName string, b *Broker) {
	client.Event.Use(hook(dialectName, b))
}

func hook(dialectName string, b *Broker) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil || !m.Op().Is(ent.OpCreate) {
				return v, err
			}
			e, ok := v.(*ent.Event)
			if !ok {
				return v, err
			}
			em := m.(*ent.EventMutation)
			ev := fromRow(e)
			if dialectName == dialect.Postgres {
				return v, notify(ctx, em.Client(), ev)
			}
			tx, _ := em.Tx() // nil outside a transaction: already committed
			return v, database.AfterCommit(ctx, tx, func(context.Context) error {
				b.Publish(ev)
				return nil
			})
		})
	}
}

func fromRow(e *ent.Event) Event {
	ev := Event{ID: e.ID, OrganizationID: e.OrganizationID, Livemode: e.Livemode, ConversationID: e.ConversationID, Type: e.Type, OccurredAt: e.OccurredAt}
	switch n := e.Data["message_count"].(type) { // an int as written, a float64 as read back
	case int:
		ev.MessageCount = n
	case float64:
		ev.MessageCount = int(n)
	}
	switch ids := e.Data["message_ids"].(type) {
	case []string:
		ev.Appended = len(ids)
	case []any:
		ev.Appended = len(ids)
	}
	return ev
}

// Replay returns the events of one conversation after the event after
// (oldest first, at most limit), read with ctx's viewer: the conversation's
// history a client missed while disconnected.
func Replay(ctx context.Context, client *ent.Client, conversationID, after uuid.UUID, limit int) ([]Event, error) {
	rows, err := client.Event.Query().Where(event.ConversationID(conversationID), event.IDGT(after)).
		Order(ent.Asc(event.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the events of conversation %s after %s: %w", conversationID, after, err)
	}
	evs := make([]Event, len(rows))
	for i, r := range rows {
		evs[i] = fromRow(r)
	}
	return evs, nil
}

// Newest returns the ID of the newest event matching where (the zero ID if
// there is none), read with ctx's viewer: where a stream that asked for no
// history starts, so that an event committed before it, whose notification
// arrives after it subscribed, is not taken for a new one.
func Newest(ctx context.Context, client *ent.Client, where ...predicate.Event) (uuid.UUID, error) {
	id, err := client.Event.Query().Where(where...).Order(ent.Desc(event.FieldID)).FirstID(ctx)
	if ent.IsNotFound(err) {
		return uuid.UUID{}, nil
	}
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("reading the newest event: %w", err)
	}
	return id, nil
}

// notify issues pg_notify in the change's transaction. It goes through an
// ent query (not ExecContext) so the statement passes the same driver
// wrappers as every other: budget, metrics, tracing.
func notify(ctx context.Context, c *ent.Client, ev Event) error {
	// An Event is IDs, a time, two counts and a type of at most 64
	// characters: far under NOTIFY's 8,000-byte payload limit.
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding the event notification: %w", err)
	}
	_, err = c.Event.Query().Where(event.ID(ev.ID)).Modify(func(s *sql.Selector) {
		s.SelectExpr(sql.ExprFunc(func(b *sql.Builder) {
			b.WriteString("pg_notify(").Arg(channelPrefix).WriteString(" || current_schema(), ").Arg(string(payload)).WriteString(")::text")
		}))
	}).Strings(ctx)
	if err != nil {
		return fmt.Errorf("announcing event %s: %w", ev.ID, err)
	}
	return nil
}
