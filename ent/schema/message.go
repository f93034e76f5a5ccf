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
	"github.com/parleyhq/parley/internal/tenant"
)

// Message is one utterance in a conversation's transcript.
type Message struct{ ent.Schema }

func (Message) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "messages"}}
}

func (Message) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(gid.Generator(gid.Message)).Immutable(),
		field.UUID("conversation_id", uuid.UUID{}).Immutable(),
		field.Int("position").Positive().Immutable().
			Comment("1-based order within the conversation; breaks ties between equal timestamps.").
			Annotations(entgql.OrderField("POSITION")),
		field.Enum("role").Values("user", "assistant", "system").Immutable(),
		field.Text("content").Immutable().MaxLen(100_000),
		field.Enum("modality").Values("voice", "text").Immutable(),
	}
}

func (Message) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("conversation", Conversation.Type).Ref("messages").Field("conversation_id").Unique().Required().Immutable(),
	}
}

func (Message) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("conversation_id", "position").Unique(),
	}
}

func (Message) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

func (Message) Hooks() []ent.Hook {
	return []ent.Hook{tenant.MessageRefsHook()}
}
