// Package graph is Parley's GraphQL API: the resolvers of the gqlgen schema
// (graph/*.graphqls; the generated executor is in graph/generated) and the
// HTTP handler and in-process executor that serve them.
package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/internal/budget"
	"github.com/parleyhq/parley/internal/live"
)

// Resolver is the root resolver. It holds no per-operation state: the
// viewer and the dataloaders travel in the context.
type Resolver struct {
	client *ent.Client
	// live is the broker subscriptions listen to (nil: none).
	live *live.Broker
	// budget bounds what each subscription event reads.
	budget budget.Limits
	// present shows an error that ends a stream, as every other error.
	present graphql.ErrorPresenterFunc
	// webhooks queues test events and redeliveries (nil: none).
	webhooks            WebhookQueue
	webhookAllowPrivate bool
}
