package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/gid"
)

// Participant is the person an agent interviews.
type Participant struct{ ent.Schema }

func (Participant) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "participants"}}
}

func (Participant) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(gid.Generator(gid.Participant)).Immutable(),
		field.String("email").Optional().Nillable().MaxLen(320).Validate(validEmail),
		field.String("first_name").Optional().Nillable().MaxLen(200),
		field.String("last_name").Optional().Nillable().MaxLen(200),
		field.String("organization_name").Optional().Nillable().MaxLen(200),
		field.String("organization_domain").Optional().Nillable().MaxLen(253),
		field.String("avatar_image_url").Optional().Nillable().MaxLen(2048).Validate(validURL),
	}
}

func (Participant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("conversations", Conversation.Type).
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (Participant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "livemode", "created_at", "id"),
		index.Fields("organization_id", "livemode", "email"),
	}
}

func (Participant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
