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

// Conversation is one session between an agent and a participant.
type Conversation struct{ ent.Schema }

func (Conversation) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "conversations"}}
}

// Fields that only state transitions and message appends may change are
// skipped from the generated mutation inputs.
var conversationManagedField = entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

func (Conversation) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(gid.Generator(gid.Conversation)).Immutable(),
		field.UUID("agent_id", uuid.UUID{}).Immutable(),
		field.UUID("participant_id", uuid.UUID{}).Optional().Nillable(),
		field.String("connection_code").Optional().Nillable().MaxLen(64),
		field.Enum("status").
			Values("pending", "in_progress", "completed", "abandoned", "archived").
			Default("pending").
			Annotations(entgql.OrderField("STATUS"), conversationManagedField),
		field.Time("started_at").Optional().Nillable().Annotations(conversationManagedField),
		field.Time("completed_at").Optional().Nillable().Annotations(conversationManagedField),
		field.Int("turn_count").NonNegative().Default(0).
			Comment("Number of user and assistant messages.").
			Annotations(entgql.OrderField("TURN_COUNT"), conversationManagedField),
		field.Int("message_count").NonNegative().Default(0).
			Comment("Number of messages; the next message takes position message_count+1.").
			Annotations(conversationManagedField),
		// Per-role and per-modality counts of the messages, kept by the
		// appends so that conversationStats sums them instead of reading
		// every message. NULL, not 0, on conversations stored before they
		// existed (or written around internal/conversations): the stats
		// count those conversations' messages themselves. Text messages are
		// the sum of the roles less voice.
		field.Int("user_messages").Optional().Nillable().NonNegative().Annotations(entgql.Skip()),
		field.Int("assistant_messages").Optional().Nillable().NonNegative().Annotations(entgql.Skip()),
		field.Int("system_messages").Optional().Nillable().NonNegative().Annotations(entgql.Skip()),
		field.Int("voice_messages").Optional().Nillable().NonNegative().Annotations(entgql.Skip()),
		field.JSON("session_properties", map[string]any{}).
			Default(map[string]any{}).
			Annotations(entgql.Type("Map"), entgql.Skip(entgql.SkipWhereInput)),
		field.JSON("path_taken", []any{}).
			Default([]any{}).
			Annotations(entgql.Type("JSONArray"), entgql.Skip(entgql.SkipWhereInput)),
	}
}

func (Conversation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("agent", Agent.Type).Ref("conversations").Field("agent_id").Unique().Required().Immutable(),
		edge.From("participant", Participant.Type).Ref("conversations").Field("participant_id").Unique(),
		edge.To("messages", Message.Type).
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (Conversation) Indexes() []ent.Index {
	return []ent.Index{
		// The default order (newest first) and each orderBy field, with the
		// id that entgql adds as a tie-breaker, so every ordering is a range
		// scan that stops after one page, never a sort. updated_at and
		// turn_count move with every appended message: two index updates
		// per append, the price of sorting dashboards by activity.
		index.Fields("organization_id", "livemode", "created_at", "id"),
		index.Fields("organization_id", "livemode", "updated_at", "id"),
		index.Fields("organization_id", "livemode", "turn_count", "id"),
		index.Fields("organization_id", "livemode", "status", "id"),
		// The status filter with the default order.
		index.Fields("organization_id", "livemode", "status", "created_at", "id"),
		// Serves the agent_id filter of lists (a range scan at any depth) and
		// the batched loads of agents' conversations, which the tenant
		// filter also scopes by organization and mode.
		index.Fields("organization_id", "livemode", "agent_id", "created_at", "id"),
		index.Fields("participant_id"),
	}
}

func (Conversation) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		// The transcript resolver refuses a transcript longer than
		// loader.MaxTranscriptMessages before loading it.
		ResolverColumns{"transcript": {"message_count"}},
	}
}

func (Conversation) Hooks() []ent.Hook {
	return []ent.Hook{tenant.ConversationRefsHook()}
}
