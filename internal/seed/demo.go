package seed

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/organization"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/apikey"
)

// DemoOrganization is the organization a first run creates.
const DemoOrganization = "Demo"

// Demo is what DemoIfEmpty did.
type Demo struct {
	// Seeded is false when the database already held data.
	Seeded bool
	// Key is a test key of the demo organization, set when Seeded.
	Key           string
	Conversations int
}

// DemoIfEmpty makes a first run useful: on a database without any
// organization it creates the demo organization with a few hundred test
// conversations and returns a test key for it. A database with data is left
// alone.
func DemoIfEmpty(ctx context.Context, client *ent.Client) (Demo, error) {
	n, err := client.Organization.Query().Count(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return Demo{}, fmt.Errorf("checking for existing data: %w", err)
	}
	if n > 0 {
		return Demo{}, nil
	}
	res, err := Run(ctx, client, Options{Organization: DemoOrganization, Conversations: 200, Messages: 12, Seed: 1})
	if err != nil {
		return Demo{}, err
	}
	key, err := apikey.Create(ctx, client, DemoOrganization, false)
	if err != nil {
		return Demo{}, err
	}
	return Demo{Seeded: true, Key: key, Conversations: res.Conversations}, nil
}

// AnyOrganization returns the name of the demo organization if it exists,
// else of the oldest organization, else "".
func AnyOrganization(ctx context.Context, client *ent.Client) (string, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	orgs, err := client.Organization.Query().Order(ent.Asc(organization.FieldCreatedAt)).Limit(50).All(ctx)
	if err != nil {
		return "", fmt.Errorf("looking for an organization: %w", err)
	}
	for _, o := range orgs {
		if o.Name == DemoOrganization {
			return o.Name, nil
		}
	}
	if len(orgs) > 0 {
		return orgs[0].Name, nil
	}
	return "", nil
}
