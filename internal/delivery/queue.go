package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/ent/webhookendpoint"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/viewer"
	"github.com/parleyhq/parley/internal/webhook"
)

// SendTest queues a test.event to every enabled endpoint of the viewer's
// organization and mode, and returns its event id.
func (s *Service) SendTest(ctx context.Context) (uuid.UUID, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return uuid.Nil, apperr.New(apperr.Unauthorized, "no API key")
	}
	endpoints, err := s.client(ctx).WebhookEndpoint.Query().Where(webhookendpoint.Enabled(true)).IDs(ctx)
	if err != nil {
		return uuid.Nil, fmt.Errorf("loading endpoints: %w", err)
	}
	if len(endpoints) == 0 {
		return uuid.Nil, apperr.Invalidf("there is no enabled webhook endpoint to send a %s to; create one first", webhook.TestEvent)
	}
	id := gid.New(gid.Event)
	at := time.Now().UnixMilli()
	params := make([]river.InsertManyParams, len(endpoints))
	for i, ep := range endpoints {
		params[i] = river.InsertManyParams{
			Args:       attemptArgs{EventID: id, EndpointID: ep, OrganizationID: v.OrganizationID, Livemode: v.Livemode, TestAt: at},
			InsertOpts: s.insertOpts(),
		}
	}
	err = database.AfterCommit(ctx, ent.TxFromContext(ctx), func(ctx context.Context) error {
		if _, err := s.queue.InsertMany(ctx, params); err != nil {
			return fmt.Errorf("queueing %s: %w", webhook.TestEvent, err)
		}
		s.metrics.queued.Add(float64(len(params)))
		return nil
	})
	return id, err
}

// Redeliver queues one more delivery of one of the viewer's events to one
// of its endpoints (enabled or not: a disabled endpoint skips it), with the
// same event id. Another organization's endpoint or event is not found.
func (s *Service) Redeliver(ctx context.Context, endpointID, eventID uuid.UUID) error {
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return apperr.New(apperr.Unauthorized, "no API key")
	}
	if _, err := (webhook.Store{Client: s.client(ctx)}).Get(ctx, endpointID); err != nil {
		return err
	}
	ev, err := s.client(ctx).Event.Query().Where(event.ID(eventID)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("loading event: %w", err)
	}
	if !ev {
		return apperr.NotFoundf("event %s not found (test events cannot be redelivered: send another)", eventID)
	}
	args := attemptArgs{
		EventID: eventID, EndpointID: endpointID,
		OrganizationID: v.OrganizationID, Livemode: v.Livemode,
		Redelivery: time.Now().UnixNano(),
	}
	return database.AfterCommit(ctx, ent.TxFromContext(ctx), func(ctx context.Context) error {
		if _, err := s.queue.Insert(ctx, args, s.insertOpts()); err != nil {
			return fmt.Errorf("queueing a redelivery: %w", err)
		}
		s.metrics.queued.Inc()
		return nil
	})
}

// client is the caller's transaction's client (a GraphQL mutation's), or
// the service's own.
func (s *Service) client(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.db.Client
}
