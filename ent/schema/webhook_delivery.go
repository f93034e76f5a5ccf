package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/gid"
)

// WebhookDelivery is one attempt to deliver an event to an endpoint: the
// endpoint's delivery log.
type WebhookDelivery struct{ ent.Schema }

func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{Ref: "webhook_deliveries"}}
}

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(gid.Generator(gid.WebhookDelivery)).Immutable(),
		field.UUID("endpoint_id", uuid.UUID{}).Immutable().
			Annotations(entgql.Type("ID")),
		field.UUID("event_id", uuid.UUID{}).Immutable().
			Annotations(entgql.Type("ID")).
			Comment("The event's id: the webhook-id header and the envelope's event_id."),
		field.String("event_type").NotEmpty().MaxLen(64).Immutable(),
		field.Int("attempt").Positive().Immutable().
			Comment("1 for the first attempt of this delivery, then 2, 3, ..."),
		field.Time("attempted_at").Default(dbtime.Now).Immutable().
			Annotations(entgql.OrderField("ATTEMPTED_AT")),
		field.Int("response_status").Optional().Nillable().Immutable().
			Comment("The receiver's HTTP status; null when no answer came."),
		field.Int("latency_ms").NonNegative().Immutable(),
		field.Bool("success").Immutable(),
		field.String("error").Optional().Nillable().MaxLen(500).Immutable().
			Comment("Why the attempt failed, when no status explains it (timeout, refused address)."),
		field.Time("next_attempt_at").Optional().Nillable().Immutable().
			Comment("When the next attempt is due; null after a success or the last attempt."),
	}
}

func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", WebhookEndpoint.Type).
			Ref("deliveries").
			Field("endpoint_id").
			Unique().
			Required().
			Immutable().
			Annotations(entgql.Skip()),
	}
}

func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		// The endpoint's log, newest first.
		index.Fields("endpoint_id", "attempted_at", "id"),
	}
}

func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
