// Package viewer carries the caller's identity (organization and mode) in a
// context. The ent privacy policies read it to scope every query and write.
package viewer

import (
	"context"

	"github.com/google/uuid"
)

// Viewer is the identity an API key grants.
type Viewer struct {
	OrganizationID uuid.UUID
	// Livemode is true for sk_live_ keys and false for sk_test_ keys.
	Livemode bool
	APIKeyID uuid.UUID
}

type ctxKey struct{}

// NewContext returns a copy of ctx that carries v.
func NewContext(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer stored in ctx, if any.
func FromContext(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(ctxKey{}).(Viewer)
	return v, ok
}
