// Package graph is Parley's GraphQL API: the gqlgen schema, its resolvers and
// the HTTP handler that serves them.
package graph

import (
	"github.com/parleyhq/parley/ent"
)

// Resolver is the root resolver. It holds no per-request state: the viewer
// and the dataloaders travel in the request context.
type Resolver struct {
	client *ent.Client
}
