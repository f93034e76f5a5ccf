package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/conversations"
	"github.com/parleyhq/parley/internal/dbtime"
)

// EventTypes are the events an endpoint can subscribe to.
var EventTypes = []string{conversations.EventStarted, conversations.EventCompleted, conversations.EventAbandoned}

// DefaultEventTypes are an endpoint's events when it names none.
var DefaultEventTypes = []string{conversations.EventCompleted}

// MaxEndpoints bounds an organization's endpoints in each mode: each
// event is delivered to every one of them.
const MaxEndpoints = 50

// TestEvent is the event POST /webhooks/test sends to every enabled
// endpoint, whatever it subscribes to.
const TestEvent = "test.event"

// Endpoint is what a caller sets on an endpoint; nil fields are left as
// they are (on create: defaults).
type Endpoint struct {
	URL         *string
	Description *string
	EventTypes  []string
	Enabled     *bool
}

// Store keeps the organization's endpoints. Every call acts as the viewer
// in ctx: ent's tenancy rules confine it to that organization and mode.
type Store struct {
	Client *ent.Client
	// AllowPrivate admits URLs on internal networks (development and tests).
	AllowPrivate bool
}

func (s Store) check(e Endpoint) error {
	if e.URL != nil {
		if err := CheckURL(*e.URL, s.AllowPrivate); err != nil {
			return apperr.Invalidf("%v", err)
		}
	}
	if e.Description != nil && len(*e.Description) > 500 {
		return apperr.Invalidf("description: at most 500 characters")
	}
	for i, t := range e.EventTypes {
		if !slices.Contains(EventTypes, t) {
			return apperr.Invalidf("event_types[%d]: %s is not an event type; use %s", i, apperr.Echo(t), strings.Join(EventTypes, ", "))
		}
	}
	return nil
}

// Create stores a new endpoint with a fresh signing secret; the returned
// row's Secret is the only time the caller sees it.
func (s Store) Create(ctx context.Context, e Endpoint) (*ent.WebhookEndpoint, error) {
	if e.URL == nil {
		return nil, apperr.Invalidf("url: required")
	}
	if err := s.check(e); err != nil {
		return nil, err
	}
	n, err := s.Client.WebhookEndpoint.Query().Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting webhook endpoints: %w", err)
	}
	if n >= MaxEndpoints {
		return nil, apperr.Invalidf("an organization has at most %d webhook endpoints in each mode; delete one first", MaxEndpoints)
	}
	types := e.EventTypes
	if len(types) == 0 {
		types = DefaultEventTypes
	}
	create := s.Client.WebhookEndpoint.Create().
		SetURL(*e.URL).
		SetEventTypes(dedupe(types)).
		SetSecret(NewSecret())
	if e.Description != nil {
		create.SetDescription(*e.Description)
	}
	if e.Enabled != nil {
		create.SetEnabled(*e.Enabled)
	}
	return create.Save(ctx)
}

// Update changes an endpoint. Enabling it again clears why it was
// disabled.
func (s Store) Update(ctx context.Context, id uuid.UUID, e Endpoint) (*ent.WebhookEndpoint, error) {
	if err := s.check(e); err != nil {
		return nil, err
	}
	update := s.Client.WebhookEndpoint.UpdateOneID(id)
	if e.URL != nil {
		update.SetURL(*e.URL)
	}
	if e.Description != nil {
		update.SetDescription(*e.Description)
	}
	if e.EventTypes != nil {
		if len(e.EventTypes) == 0 {
			return nil, apperr.Invalidf("event_types: name at least one of %s", strings.Join(EventTypes, ", "))
		}
		update.SetEventTypes(dedupe(e.EventTypes))
	}
	if e.Enabled != nil {
		update.SetEnabled(*e.Enabled)
		if *e.Enabled {
			update.ClearDisabledReason().ClearFailingSince()
		}
	}
	v, err := update.Save(ctx)
	return notFound(id, v, err)
}

// Get returns one endpoint.
func (s Store) Get(ctx context.Context, id uuid.UUID) (*ent.WebhookEndpoint, error) {
	v, err := s.Client.WebhookEndpoint.Get(ctx, id)
	return notFound(id, v, err)
}

// Delete removes an endpoint; nothing more is delivered to it.
func (s Store) Delete(ctx context.Context, id uuid.UUID) error {
	err := s.Client.WebhookEndpoint.DeleteOneID(id).Exec(ctx)
	_, err = notFound[*ent.WebhookEndpoint](id, nil, err)
	return err
}

// Rotate gives an endpoint a new secret. Until overlap has passed the old
// one signs too, so receivers can switch without losing a delivery.
func (s Store) Rotate(ctx context.Context, id uuid.UUID, overlap time.Duration) (*ent.WebhookEndpoint, error) {
	if overlap < 0 || overlap > 7*24*time.Hour {
		return nil, apperr.Invalidf("overlap: between 0 and 7 days")
	}
	old, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	v, err := s.Client.WebhookEndpoint.UpdateOne(old).
		SetSecret(NewSecret()).
		SetPreviousSecret(old.Secret).
		SetPreviousSecretExpiresAt(dbtime.Of(time.Now().Add(overlap))).
		Save(ctx)
	return notFound(id, v, err)
}

// Secrets are the secrets that sign a delivery made at now: the current
// one, and the previous one during its overlap.
func Secrets(e *ent.WebhookEndpoint, now time.Time) []string {
	out := []string{e.Secret}
	if e.PreviousSecret != nil && e.PreviousSecretExpiresAt != nil && now.Before(*e.PreviousSecretExpiresAt) {
		out = append(out, *e.PreviousSecret)
	}
	return out
}

func dedupe(types []string) []string {
	out := slices.Clone(types)
	slices.Sort(out)
	return slices.Compact(out)
}

// notFound turns ent's not-found for endpoint id (which tenancy also
// answers for another organization's endpoint) into the API's.
func notFound[T any](id uuid.UUID, v T, err error) (T, error) {
	if ent.IsNotFound(err) {
		return v, apperr.NotFoundf("webhook endpoint %s not found", id)
	}
	if err != nil {
		return v, fmt.Errorf("webhook endpoint: %w", err)
	}
	return v, nil
}
