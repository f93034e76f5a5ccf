package webhook

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Envelope is the body of every delivery. EventID is stable across retries
// and redeliveries: the receiver's idempotency key, and the webhook-id
// header.
type Envelope struct {
	EventType      string    `json:"event_type"`
	EventID        uuid.UUID `json:"event_id"`
	Timestamp      string    `json:"timestamp"` // RFC 3339, UTC: when it happened
	OrganizationID uuid.UUID `json:"organization_id"`
	Data           any       `json:"data"`
}

// NewEnvelope returns the envelope of an event that happened at at.
func NewEnvelope(typ string, id uuid.UUID, at time.Time, organizationID uuid.UUID, data any) Envelope {
	return Envelope{
		EventType:      typ,
		EventID:        id,
		Timestamp:      at.UTC().Format(time.RFC3339Nano),
		OrganizationID: organizationID,
		Data:           data,
	}
}

// TestData is the fixed payload of a test.event.
func TestData() map[string]any {
	return map[string]any{"message": "This is a test event from Parley. Your endpoint received it and can verify its signature."}
}

// Body encodes the envelope as it is signed and sent.
func (e Envelope) Body() ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("webhook: encoding %s: %w", e.EventType, err)
	}
	return b, nil
}
