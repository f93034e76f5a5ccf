// Package graph is Parley's GraphQL API: the resolvers of the gqlgen schema
// (graph/*.graphqls; the generated executor is in graph/generated) and the
// HTTP handler and in-process executor that serve them.
package graph

import (
	"github.com/parleyhq/parley/ent"
)

// Resolver is the root resolver. It holds no per-operation state: the
// viewer and the dataloaders travel in the context.
type Resolver struct {
	client              *ent.Client
	webhooks            WebhookQueue
	webhookAllowPrivate bool
}
