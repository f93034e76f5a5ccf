package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/gid"
)

// catchUpLimit bounds the events re-read after a reconnection; a longer
// gap closes every subscription with ErrMissed instead.
const catchUpLimit = 1000

// Listener is a process's one PostgreSQL connection that LISTENs for the
// events every process's changes announce, and publishes them to the
// broker. It reconnects with backoff; after a reconnection it re-reads,
// from the events table, what committed after the last event it saw
// (event IDs are time-ordered), so subscribers miss nothing a short outage
// hid.
type Listener struct {
	url    string
	client *ent.Client
	broker *Broker
	logger *slog.Logger

	ready     chan struct{}
	readyOnce sync.Once
	last      uuid.UUID // the greatest event ID published
}

// NewListener returns a listener for the database at url (postgres://...)
// that publishes to b; client reads events announced by ID and catches up.
func NewListener(url string, client *ent.Client, b *Broker, logger *slog.Logger) *Listener {
	return &Listener{url: url, client: client, broker: b, logger: logger, ready: make(chan struct{})}
}

// Ready is closed once the listener first listens.
func (l *Listener) Ready() <-chan struct{} { return l.ready }

// Run listens until ctx ends.
func (l *Listener) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		listened, err := l.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened {
			backoff = 100 * time.Millisecond
		}
		l.logger.WarnContext(ctx, "live: lost the database notifications; reconnecting", "error", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// session is one connection's life; listened reports whether it got as
// far as listening.
func (l *Listener) session(ctx context.Context) (listened bool, err error) {
	conn, err := pgx.Connect(ctx, l.url)
	if err != nil {
		return false, fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return false, fmt.Errorf("reading the schema: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channelPrefix + schema}.Sanitize()); err != nil {
		return false, fmt.Errorf("listening: %w", err)
	}
	l.readyOnce.Do(func() { close(l.ready) })
	// Notifications sent while no connection listened are lost (none
	// before the first session: nothing was seen yet).
	if err := l.catchUp(ctx); err != nil {
		l.logger.ErrorContext(ctx, "live: cannot re-read missed events; closing subscriptions", "error", err)
		l.broker.CloseAll(ErrMissed)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		var ev Event
		if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil {
			l.logger.ErrorContext(ctx, "live: dropping an undecodable notification", "error", err, "payload", n.Payload)
			continue
		}
		l.publish(ev)
	}
}

func (l *Listener) publish(ev Event) {
	if gid.Compare(ev.ID, l.last) > 0 {
		l.last = ev.ID
	}
	l.broker.Publish(ev)
}

// catchUp publishes the events after the last one seen, or fails when
// there are too many to replay.
func (l *Listener) catchUp(ctx context.Context) error {
	if l.last == (uuid.UUID{}) {
		return nil
	}
	rows, err := l.client.Event.Query().Where(event.IDGT(l.last)).Order(ent.Asc(event.FieldID)).Limit(catchUpLimit + 1).
		All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return fmt.Errorf("reading events after %s: %w", l.last, err)
	}
	if len(rows) > catchUpLimit {
		return errors.New("more than 1000 events were missed")
	}
	for _, r := range rows {
		l.publish(fromRow(r))
	}
	return nil
}
