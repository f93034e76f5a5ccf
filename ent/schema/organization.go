package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/tenant"
)

// Organization is a tenant: it owns API keys, agents, participants and
// conversations.
type Organization struct{ ent.Schema }

func (Organization) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (Organization) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(gid.Generator(gid.Organization)).Immutable(),
		field.String("name").NotEmpty().MaxLen(200).Unique(),
	}
}

func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("api_keys", APIKey.Type).Annotations(entgql.Skip()),
		edge.To("agents", Agent.Type).Annotations(entgql.Skip()),
		edge.To("participants", Participant.Type).Annotations(entgql.Skip()),
		edge.To("conversations", Conversation.Type).Annotations(entgql.Skip()),
		edge.To("messages", Message.Type).Annotations(entgql.Skip()),
		edge.To("events", Event.Type).Annotations(entgql.Skip()),
		edge.To("webhook_endpoints", WebhookEndpoint.Type).Annotations(entgql.Skip()),
		edge.To("webhook_deliveries", WebhookDelivery.Type).Annotations(entgql.Skip()),
	}
}

func (Organization) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}

// Policy lets a viewer read its own organization only; organizations are
// created and changed by trusted system code (the CLI), never through the API.
func (Organization) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{tenant.OrganizationRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}
