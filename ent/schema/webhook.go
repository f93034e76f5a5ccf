package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/gid"
)

// WebhookEndpoint is a URL an organization receives its events at, in one
// mode: test keys see and receive only test-mode events.
type WebhookEndpoint struct{ ent.Schema }

func (WebhookEndpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "webhook_endpoints"}}
}

func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(gid.Generator(gid.WebhookEndpoint)).Immutable(),
		field.String("url").NotEmpty().MaxLen(2048),
		field.String("description").Default("").MaxLen(500),
		field.JSON("event_types", []string{}),
		field.Bool("enabled").Default(true),
		field.String("secret").Sensitive().NotEmpty().
			Comment("The whsec_ signing secret; shown once, when created or rotated.").
			Annotations(entgql.Skip()),
		field.String("previous_secret").Sensitive().Optional().Nillable().
			Comment("The secret before the last rotation, which still signs until previous_secret_expires_at.").
			Annotations(entgql.Skip()),
		field.Time("previous_secret_expires_at").Optional().Nillable().
			Comment("Until when the previous secret signs too."),
		field.String("disabled_reason").Optional().Nillable().
			Comment("Why deliveries stopped: the receiver answered 410, or failed for days."),
		field.Time("failing_since").Optional().Nillable().
			Comment("The first failed delivery since the last success."),
	}
}

func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		// Deleting an endpoint deletes its delivery log.
		edge.To("deliveries", WebhookDelivery.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection()),
	}
}

func (WebhookEndpoint) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "livemode", "created_at", "id"),
	}
}

func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
