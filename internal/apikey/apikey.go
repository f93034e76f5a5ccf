// Package apikey mints, stores and checks API keys. A key is
// `sk_live_` or `sk_test_` followed by 32 random base62 characters; only its
// SHA-256 digest is stored. A fast digest is enough here (unlike passwords):
// the secret has about 190 bits of entropy, so it cannot be guessed from the
// digest, and lookups stay one indexed read.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/apikey"
	"github.com/parleyhq/parley/ent/organization"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/viewer"
)

const (
	livePrefix = "sk_live_"
	testPrefix = "sk_test_"
	secretLen  = 32
	alphabet   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// displayLen is how much of a key is kept in clear to tell keys apart.
	displayLen = len(livePrefix) + 4
)

// ErrInvalid is returned for a key that is malformed, unknown or revoked.
// Callers are deliberately not told which.
var ErrInvalid = errors.New("invalid API key")

// Generate returns a new random key for the given mode.
func Generate(livemode bool) string {
	var b strings.Builder
	if livemode {
		b.WriteString(livePrefix)
	} else {
		b.WriteString(testPrefix)
	}
	max := big.NewInt(int64(len(alphabet)))
	for range secretLen {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("apikey: crypto/rand failed: " + err.Error())
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String()
}

// Digest is the stored form of a key.
func Digest(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// parse checks a key's shape and returns its mode.
func parse(key string) (livemode bool, err error) {
	var secret string
	switch {
	case strings.HasPrefix(key, livePrefix):
		livemode, secret = true, key[len(livePrefix):]
	case strings.HasPrefix(key, testPrefix):
		secret = key[len(testPrefix):]
	default:
		return false, ErrInvalid
	}
	if len(secret) < 24 || len(secret) > 128 {
		return false, ErrInvalid
	}
	for i := 0; i < len(secret); i++ {
		if !strings.ContainsRune(alphabet, rune(secret[i])) {
			return false, ErrInvalid
		}
	}
	return livemode, nil
}

// CreateOption sets an optional property of a new key.
type CreateOption func(*ent.APIKeyCreate)

// WithName labels a new key (at most 200 characters), for telling keys
// apart in `parley apikey list`.
func WithName(name string) CreateOption {
	return func(c *ent.APIKeyCreate) { c.SetName(name) }
}

// Create stores a new key for the named organization, creating the
// organization if needed, and returns the key. It is shown only here.
func Create(ctx context.Context, client *ent.Client, orgName string, livemode bool, opts ...CreateOption) (string, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	org, err := EnsureOrganization(ctx, client, orgName)
	if err != nil {
		return "", err
	}
	key := Generate(livemode)
	create := client.APIKey.Create().
		SetOrganizationID(org.ID).
		SetLivemode(livemode).
		SetPrefix(key[:displayLen]).
		SetSecretHash(Digest(key))
	for _, opt := range opts {
		opt(create)
	}
	if err := create.Exec(ctx); err != nil {
		return "", fmt.Errorf("storing API key: %w", err)
	}
	return key, nil
}

// FindOrganization returns the organization with this name, matched
// without regard to case (so `--org demo` finds Demo): an exact match wins
// where names differ only in case.
func FindOrganization(ctx context.Context, client *ent.Client, name string) (*ent.Organization, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	orgs, err := client.Organization.Query().
		Where(organization.NameEqualFold(name)).
		Order(ent.Asc(organization.FieldCreatedAt)).
		Limit(10).
		All(ctx)
	if err != nil {
		return nil, err
	}
	if len(orgs) == 0 {
		return nil, &ent.NotFoundError{}
	}
	for _, o := range orgs {
		if o.Name == name {
			return o, nil
		}
	}
	return orgs[0], nil
}

// EnsureOrganization returns the organization with this name (see
// FindOrganization), creating it if it does not exist.
func EnsureOrganization(ctx context.Context, client *ent.Client, name string) (*ent.Organization, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	org, err := FindOrganization(ctx, client, name)
	if ent.IsNotFound(err) {
		org, err = client.Organization.Create().SetName(name).Save(ctx)
		if ent.IsConstraintError(err) { // created concurrently
			org, err = FindOrganization(ctx, client, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("finding or creating organization %q: %w", name, err)
	}
	return org, nil
}

// Authenticate returns the viewer a key grants, or ErrInvalid. It reads
// the key's row on every call (nothing is cached, so a revoked key is
// refused at once) and does not record the use: servers authenticate
// through an Authenticator, which does.
func Authenticate(ctx context.Context, client *ent.Client, key string) (viewer.Viewer, error) {
	k, err := lookup(ctx, client, key)
	if err != nil {
		return viewer.Viewer{}, err
	}
	return viewerOf(k), nil
}

// lookup returns the stored row of a valid, unrevoked key: exactly one
// SELECT by digest, or none for a malformed key.
func lookup(ctx context.Context, client *ent.Client, key string) (*ent.APIKey, error) {
	livemode, err := parse(key)
	if err != nil {
		return nil, err
	}
	digest := Digest(key)
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	k, err := client.APIKey.Query().Where(apikey.SecretHash(digest)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("looking up API key: %w", err)
	}
	// The lookup is by digest; comparing again in constant time keeps the
	// check itself free of timing signals whatever the database does.
	if subtle.ConstantTimeCompare(k.SecretHash, digest) != 1 || k.RevokedAt != nil || k.Livemode != livemode {
		return nil, ErrInvalid
	}
	return k, nil
}

func viewerOf(k *ent.APIKey) viewer.Viewer {
	return viewer.Viewer{OrganizationID: k.OrganizationID, Livemode: k.Livemode, APIKeyID: k.ID}
}

// ErrNotFound is returned by Revoke for an ID that names no key.
var ErrNotFound = errors.New("no such API key")

// Revoke marks a key revoked and returns its row; the key is refused from
// its next request on. A key revoked before keeps its original revocation
// time.
func Revoke(ctx context.Context, client *ent.Client, id uuid.UUID) (*ent.APIKey, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	if _, err := client.APIKey.Update().
		Where(apikey.ID(id), apikey.RevokedAtIsNil()).
		SetRevokedAt(dbtime.Now()).
		Save(ctx); err != nil {
		return nil, fmt.Errorf("revoking API key %s: %w", id, err)
	}
	k, err := client.APIKey.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("revoking API key %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("revoking API key %s: %w", id, err)
	}
	return k, nil
}

// List returns the keys of the named organization in both modes, oldest
// first. The rows carry the display prefix, never the secret.
func List(ctx context.Context, client *ent.Client, orgName string) ([]*ent.APIKey, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	org, err := FindOrganization(ctx, client, orgName)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("no organization named %q", orgName)
	}
	if err != nil {
		return nil, fmt.Errorf("finding organization %q: %w", orgName, err)
	}
	keys, err := client.APIKey.Query().
		Where(apikey.OrganizationID(org.ID)).
		Order(apikey.ByCreatedAt(), apikey.ByID()).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing API keys of %q: %w", orgName, err)
	}
	return keys, nil
}
