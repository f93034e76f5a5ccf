package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/gid"
)

// APIKey authenticates requests for one organization in one mode. Only a
// SHA-256 digest of the secret is stored; the secret is shown once.
type APIKey struct{ ent.Schema }

func (APIKey) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "api_keys"}}
}

func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(gid.Generator(gid.APIKey)).Immutable(),
		field.String("name").Default("").MaxLen(200),
		field.String("prefix").Immutable().NotEmpty().
			Comment("The first characters of the key, safe to display (e.g. sk_test_AbCd)."),
		field.Bytes("secret_hash").Immutable().Sensitive().Unique().
			Comment("SHA-256 of the whole key."),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

func (APIKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "livemode")}
}

func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
