package delivery

import (
	"context"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/ent/webhookendpoint"
	"github.com/parleyhq/parley/internal/dbtime"
)

// relayBatch bounds the events one relay transaction dispatches.
const relayBatch = 200

// relay dispatches new events until ctx ends: every Poll, and at once
// again while there is a backlog. Several replicas may relay together:
// each claims its batch with SKIP LOCKED on PostgreSQL.
func (s *Service) relay(ctx context.Context) {
	defer close(s.relayDone)
	ticker := time.NewTicker(s.opts.Poll)
	defer ticker.Stop()
	for {
		n, err := s.dispatch(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Error("webhook relay", "error", err)
		case n == relayBatch:
			continue // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// dispatch queues the deliveries of the oldest undispatched events and
// marks them dispatched, in one transaction: an event is queued once, and
// a crash before the commit leaves it for the next relay. It returns how
// many events it dispatched.
func (s *Service) dispatch(ctx context.Context) (int, error) {
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	// The usual answer is "nothing new": a read on the partial index, which
	// on SQLite takes no write lock.
	waiting, err := s.db.Client.Event.Query().Where(event.DispatchedAtIsNil()).Exist(sys)
	if err != nil || !waiting {
		return 0, err
	}
	tx, err := s.pool.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("relay: beginning: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	c := ent.NewClient(ent.Driver(entsql.NewDriver(s.db.Dialect, entsql.Conn{ExecQuerier: tx})))
	q := c.Event.Query().Where(event.DispatchedAtIsNil()).Order(ent.Asc(event.FieldID)).Limit(relayBatch)
	if s.db.Dialect == dialect.Postgres {
		q.ForUpdate(entsql.WithLockAction(entsql.SkipLocked))
	}
	events, err := q.All(sys)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	params, err := s.deliveriesOf(sys, c, events)
	if err != nil {
		return 0, err
	}
	if len(params) > 0 {
		if _, err := s.queue.InsertManyTx(ctx, tx, params); err != nil {
			return 0, fmt.Errorf("relay: queueing %d deliveries: %w", len(params), err)
		}
	}
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	if err := c.Event.Update().Where(event.IDIn(ids...)).SetDispatchedAt(dbtime.Now()).Exec(sys); err != nil {
		return 0, fmt.Errorf("relay: marking events dispatched: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("relay: committing: %w", err)
	}
	s.metrics.queued.Add(float64(len(params)))
	return len(events), nil
}

// deliveriesOf are the deliveries of events: one per event and enabled
// endpoint of the event's organization and mode that subscribes to its type
// and existed when it happened (an endpoint gets no events from before it
// was created).
func (s *Service) deliveriesOf(ctx context.Context, c *ent.Client, events []*ent.Event) ([]river.InsertManyParams, error) {
	orgs := make([]uuid.UUID, 0, 1)
	for _, e := range events {
		if !slices.Contains(orgs, e.OrganizationID) {
			orgs = append(orgs, e.OrganizationID)
		}
	}
	endpoints, err := c.WebhookEndpoint.Query().
		Where(webhookendpoint.OrganizationIDIn(orgs...), webhookendpoint.Enabled(true)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("relay: loading endpoints: %w", err)
	}
	var params []river.InsertManyParams
	for _, e := range events {
		for _, ep := range endpoints {
			if ep.OrganizationID != e.OrganizationID || ep.Livemode != e.Livemode ||
				!slices.Contains(ep.EventTypes, e.Type) || ep.CreatedAt.After(e.OccurredAt) {
				continue
			}
			params = append(params, river.InsertManyParams{
				Args: attemptArgs{
					EventID:        e.ID,
					EndpointID:     ep.ID,
					OrganizationID: e.OrganizationID,
					Livemode:       e.Livemode,
				},
				InsertOpts: s.insertOpts(),
			})
		}
	}
	return params, nil
}
