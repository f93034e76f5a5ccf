package schema

import (
	"context"
	"fmt"
	"slices"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/gid"

	gen "github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/hook"
)

// Agent is an AI interviewer configured by an organization.
type Agent struct{ ent.Schema }

func (Agent) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "agents"}}
}

func (Agent) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(gid.Generator(gid.Agent)).Immutable(),
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.Text("description").Optional().Nillable().MaxLen(10_000),
		field.Text("goal").Optional().Nillable().MaxLen(10_000),
		field.Strings("available_modes").Default([]string{}).Validate(validModes).
			Comment("Modalities the agent can hold a conversation in: voice, text."),
		field.String("default_mode").Optional().Nillable().Validate(validMode),
	}
}

func (Agent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("conversations", Conversation.Type).
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (Agent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "livemode", "created_at", "id"),
		index.Fields("organization_id", "livemode", "name", "id"),
	}
}

func (Agent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

func (Agent) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(checkAgentModes, ent.OpCreate|ent.OpUpdateOne)}
}

// checkAgentModes validates the modes an agent ends up with after a write:
// no duplicates, and the default mode among the available ones.
func checkAgentModes(next ent.Mutator) ent.Mutator {
	return hook.AgentFunc(func(ctx context.Context, m *gen.AgentMutation) (ent.Value, error) {
		modes, modesSet := m.AvailableModes()
		def, defSet := m.DefaultMode()
		appended, _ := m.AppendedAvailableModes()
		if m.Op().Is(ent.OpUpdateOne) && (!modesSet || !defSet) {
			if !modesSet {
				old, err := m.OldAvailableModes(ctx)
				if err != nil {
					return nil, fmt.Errorf("loading agent modes: %w", err)
				}
				modes = old
			}
			if !defSet && !m.DefaultModeCleared() {
				old, err := m.OldDefaultMode(ctx)
				if err != nil {
					return nil, fmt.Errorf("loading agent default mode: %w", err)
				}
				if old != nil {
					def, defSet = *old, true
				}
			}
		}
		modes = append(slices.Clone(modes), appended...)
		if err := validModes(modes); err != nil {
			return nil, apperr.Invalidf("availableModes: %v", err)
		}
		if defSet && !slices.Contains(modes, def) {
			return nil, apperr.Invalidf("defaultMode: %q is not among the available modes %v", def, modes)
		}
		return next.Mutate(ctx, m)
	})
}
