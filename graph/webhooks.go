package graph

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/graph/model"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/webhook"
)

// WebhookQueue queues what is delivered outside a conversation change: a
// test.event, and one more delivery of an event (internal/delivery).
type WebhookQueue interface {
	// SendTest queues a test.event to every enabled endpoint of the viewer
	// and returns its event id.
	SendTest(ctx context.Context) (uuid.UUID, error)
	// Redeliver queues one more delivery of an event to an endpoint.
	Redeliver(ctx context.Context, endpointID, eventID uuid.UUID) error
}

// DefaultSecretOverlap is how long a rotated-out secret still signs.
const DefaultSecretOverlap = 24 * time.Hour

// webhookStore is the endpoint store over the operation's client (the
// mutation's transaction).
func (r *Resolver) webhookStore(ctx context.Context) webhook.Store {
	return webhook.Store{Client: r.tx(ctx), AllowPrivate: r.webhookAllowPrivate}
}

func (r *Resolver) webhookQueue() (WebhookQueue, error) {
	if r.webhooks == nil {
		return nil, apperr.New(apperr.Unavailable, "webhook deliveries are not running on this server")
	}
	return r.webhooks, nil
}

func withSecret(e *ent.WebhookEndpoint, err error) (*model.WebhookEndpointSecretPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.WebhookEndpointSecretPayload{Endpoint: e, Secret: e.Secret}, nil
}

func secretOverlap(seconds *int) time.Duration {
	if seconds == nil {
		return DefaultSecretOverlap
	}
	return time.Duration(*seconds) * time.Second
}
