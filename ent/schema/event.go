package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/gid"
)

// Event is one change to a conversation, written in the transaction that
// made the change (an outbox): a rolled-back change leaves none, and a
// committed one always has its event. Webhooks deliver from it and live
// subscriptions read it: one record of what happened, two consumers.
type Event struct{ ent.Schema }

func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{Ref: "events"}}
}

func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(gid.Generator(gid.Event)).Immutable().
			Comment("Unique and stable: the receiver's idempotency key."),
		field.String("type").NotEmpty().MaxLen(64).Immutable().
			Comment("What happened, e.g. conversation.completed (internal/conversations)."),
		field.UUID("conversation_id", uuid.UUID{}).Immutable(),
		field.Time("occurred_at").Default(dbtime.Now).Immutable().
			Comment("When the change happened: the commit's transaction time."),
		field.JSON("data", map[string]any{}).Immutable().
			Comment("The event's payload, as webhooks deliver it."),
		field.Time("dispatched_at").Optional().Nillable().
			Comment("When its webhook deliveries were queued; null until then (internal/delivery)."),
	}
}

func (Event) Indexes() []ent.Index {
	return []ent.Index{
		// Readers follow events in order (ids are time-ordered).
		index.Fields("organization_id", "livemode", "id"),
		index.Fields("conversation_id", "id"),
		// The relay's work list: only events not yet dispatched, so it stays
		// small however long the history grows.
		index.Fields("id").StorageKey("event_undispatched").
			Annotations(entsql.IndexWhere("dispatched_at IS NULL")),
	}
}

func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
