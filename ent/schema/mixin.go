package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/tenant"
)

// TimeMixin adds created_at and updated_at, both orderable in GraphQL.
type TimeMixin struct{ mixin.Schema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Default(dbtime.Now).
			Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Time("updated_at").
			Default(dbtime.Now).
			UpdateDefault(dbtime.Now).
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// TenantMixin makes a schema owned by one organization in one mode. The
// privacy policy it installs scopes every query and write to the viewer's
// organization and mode; the hook stamps both onto new rows.
type TenantMixin struct {
	mixin.Schema
	// Ref is the name of the organization's edge back to this schema.
	Ref string
}

func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("organization_id", uuid.UUID{}).
			Immutable().
			Annotations(entgql.Skip()),
		field.Bool("livemode").
			Immutable().
			Comment("True for live data, false for test data; set from the API key's mode.").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
	}
}

func (m TenantMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).
			Ref(m.Ref).
			Field("organization_id").
			Unique().
			Required().
			Immutable().
			Annotations(entgql.Skip()),
	}
}

func (TenantMixin) Hooks() []ent.Hook {
	return []ent.Hook{tenant.StampHook()}
}

func (TenantMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{tenant.FilterRule()},
		Mutation: privacy.MutationPolicy{tenant.FilterRule()},
	}
}
