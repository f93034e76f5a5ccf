// Package tenant holds the ent privacy rules and hooks that confine every
// query and write to the viewer's organization and mode. They are installed by
// the schema (TenantMixin), so they apply to resolvers, REST, eager loads and
// Node lookups alike. Code with no viewer in its context is denied; trusted
// system code (migrations, seeding, key lookup) opts out explicitly with
// privacy.DecisionContext(ctx, privacy.Allow).
package tenant

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/entql"

	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/viewer"
)

// FilterRule narrows queries, updates and deletes on a tenant-owned table to
// the viewer's organization and mode.
func FilterRule() privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, ok := viewer.FromContext(ctx)
		if !ok {
			return privacy.Denyf("tenant: no viewer in context")
		}
		f.Where(entql.And(
			entql.FieldEQ("organization_id", v.OrganizationID),
			entql.FieldEQ("livemode", v.Livemode),
		))
		return privacy.Skip
	})
}

// OrganizationRule lets a viewer read its own organization and nothing else.
func OrganizationRule() privacy.QueryRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v, ok := viewer.FromContext(ctx)
		if !ok {
			return privacy.Denyf("tenant: no viewer in context")
		}
		f.Where(entql.FieldEQ("id", v.OrganizationID))
		return privacy.Skip
	})
}

// StampHook sets the owner and mode of new rows from the viewer, so callers
// can neither forget nor forge them. System writes set both explicitly.
func StampHook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if v, ok := viewer.FromContext(ctx); ok && m.Op().Is(ent.OpCreate) {
				if err := m.SetField("organization_id", v.OrganizationID); err != nil {
					return nil, err
				}
				if err := m.SetField("livemode", v.Livemode); err != nil {
					return nil, err
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}
