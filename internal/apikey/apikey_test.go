package apikey_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent"
	entapikey "github.com/parleyhq/parley/ent/apikey"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/testenv"
	"github.com/parleyhq/parley/internal/viewer"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func sys() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

// row reads a key's stored row by its key text.
func row(t *testing.T, client *ent.Client, key string) *ent.APIKey {
	t.Helper()
	k, err := client.APIKey.Query().Where(entapikey.SecretHash(apikey.Digest(key))).Only(sys())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestGenerate(t *testing.T) {
	counts := map[rune]int{}
	seen := map[string]bool{}
	const n = 2000
	for i := range n {
		live := i%2 == 0
		key := apikey.Generate(live)
		prefix := "sk_test_"
		if live {
			prefix = "sk_live_"
		}
		secret, ok := strings.CutPrefix(key, prefix)
		if !ok || len(secret) != 32 {
			t.Fatalf("Generate(%v) = %q, want %s and 32 characters", live, key, prefix)
		}
		for _, r := range secret {
			if !strings.ContainsRune(alphabet, r) {
				t.Fatalf("Generate(%v) = %q: %q is not base62", live, key, r)
			}
			counts[r]++
		}
		if seen[secret] {
			t.Fatalf("Generate repeated the secret %q", secret)
		}
		seen[secret] = true
	}
	// All 62 symbols are used, about equally: 64,000 draws give each symbol
	// about 1,032 (standard deviation about 32), so these bounds only catch
	// a broken or biased generator (say, a modulo over bytes or a smaller
	// alphabet).
	want := float64(n*32) / float64(len(alphabet))
	for _, r := range alphabet {
		if c := float64(counts[r]); c < want*0.8 || c > want*1.2 {
			t.Errorf("symbol %q drawn %v times, want about %.0f", r, c, want)
		}
	}
}

// The row holds the digest and the display prefix, and the key text
// appears nowhere in it, in any encoding.
func TestStoresDigestNotKey(t *testing.T) {
	env := testenv.Open(t)
	key, err := apikey.Create(context.Background(), env.Client, "Acme", false, apikey.WithName("ci"))
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimPrefix(key, "sk_test_")
	k := row(t, env.Client, key)
	if !bytes.Equal(k.SecretHash, apikey.Digest(key)) || len(k.SecretHash) != 32 {
		t.Fatalf("secret_hash = %x, want SHA-256 %x", k.SecretHash, apikey.Digest(key))
	}
	if k.Prefix != key[:12] || k.Name != "ci" || k.LastUsedAt != nil || k.RevokedAt != nil {
		t.Fatalf("stored prefix %q name %q last_used_at %v revoked_at %v; want %q, ci, nil, nil", k.Prefix, k.Name, k.LastUsedAt, k.RevokedAt, key[:12])
	}

	rows, err := env.DB.SQL.QueryContext(context.Background(), "SELECT * FROM api_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			var forms []string
			switch v := v.(type) {
			case []byte:
				forms = []string{string(v), hex.EncodeToString(v), base64.StdEncoding.EncodeToString(v)}
			default:
				forms = []string{fmt.Sprint(v)}
			}
			for _, f := range forms {
				if strings.Contains(f, secret) || strings.Contains(f, secret[4:]) {
					t.Errorf("column %s holds the key's secret: %q", cols[i], f)
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d rows in api_keys, want 1", n)
	}
}

func TestAuthenticateRejects(t *testing.T) {
	env := testenv.Open(t)
	ctx := context.Background()
	key := env.Key(t, "Acme", false)
	revoked := env.Key(t, "Acme", true)
	if _, err := apikey.Revoke(ctx, env.Client, row(t, env.Client, revoked).ID); err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimPrefix(key, "sk_test_")
	auth := apikey.New(env.Client, apikey.Options{})
	t.Cleanup(auth.Flush)
	check := map[string]func(context.Context, string) (viewer.Viewer, error){
		"Authenticate": func(ctx context.Context, key string) (viewer.Viewer, error) {
			return apikey.Authenticate(ctx, env.Client, key)
		},
		"Authenticator.Authenticate": auth.Authenticate,
	}

	for name, authenticate := range check {
		t.Run(name, func(t *testing.T) {
			v, err := authenticate(ctx, key)
			if err != nil {
				t.Fatalf("valid key refused: %v", err)
			}
			if want := row(t, env.Client, key); v.APIKeyID != want.ID || v.OrganizationID != want.OrganizationID || v.Livemode {
				t.Fatalf("viewer %+v does not match the key's row", v)
			}
			for what, c := range map[string]struct {
				key        string
				statements int
			}{
				// Malformed keys are refused before any SQL.
				"empty":              {"", 0},
				"no prefix":          {secret, 0},
				"prefix only":        {"sk_test_", 0},
				"unknown prefix":     {"sk_prod_" + secret, 0},
				"short":              {"sk_test_" + secret[:10], 0},
				"not base62":         {"sk_test_" + secret[:31] + "-", 0},
				"trailing space":     {key + " ", 0},
				"unknown":            {apikey.Generate(false), 1},
				"wrong mode prefix":  {"sk_live_" + secret, 1},
				"revoked":            {revoked, 1},
				"one character off":  {key[:len(key)-1] + string(alphabet[(strings.IndexByte(alphabet, key[len(key)-1])+1)%62]), 1},
				"valid key, doubled": {key + secret, 1},
			} {
				env.Queries.Reset()
				if v, err := authenticate(ctx, c.key); !errors.Is(err, apikey.ErrInvalid) {
					t.Errorf("%s key %q: got %+v, %v; want ErrInvalid", what, c.key, v, err)
				}
				if n := env.Queries.Count(); n != c.statements {
					t.Errorf("%s key: %d statements, want %d: %q", what, n, c.statements, env.Queries.Statements())
				}
			}
		})
	}
}

// server returns a handler that authenticates with auth and answers 204.
func server(auth *apikey.Authenticator) http.Handler {
	writeError := func(w http.ResponseWriter, _ *http.Request, err *apperr.Error) {
		http.Error(w, err.Message, err.Code.HTTPStatus())
	}
	return auth.Middleware(writeError)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := viewer.FromContext(r.Context()); !ok {
			http.Error(w, "no viewer", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
}

func request(t *testing.T, h http.Handler, key string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// counts the statements that are UPDATEs of api_keys.
func updates(statements []string) int {
	n := 0
	for _, s := range statements {
		if strings.HasPrefix(strings.TrimSpace(s), "UPDATE") && strings.Contains(s, "api_keys") {
			n++
		}
	}
	return n
}

func TestLastUsedAt(t *testing.T) {
	env := testenv.Open(t)
	key := env.Key(t, "Acme", false)
	auth := apikey.New(env.Client, apikey.Options{})
	t.Cleanup(auth.Flush)
	h := server(auth)

	// First use: the request itself sends only the lookup; the write follows
	// it and sets last_used_at to the time of the request.
	before := time.Now().UTC().Add(-time.Millisecond)
	env.Queries.Reset()
	if code := request(t, h, key); code != http.StatusNoContent {
		t.Fatalf("status %d", code)
	}
	after := time.Now().UTC().Add(time.Millisecond)
	if n := env.Queries.Count(); n != 1 {
		t.Fatalf("the first request sent %d statements, want the lookup only: %q", n, env.Queries.Statements())
	}
	auth.Flush()
	if n, u := env.Queries.Count(), updates(env.Queries.Statements()); n != 2 || u != 1 {
		t.Fatalf("after the first use: %d statements, %d updates; want the lookup and one UPDATE: %q", n, u, env.Queries.Statements())
	}
	first := row(t, env.Client, key).LastUsedAt
	if first == nil || first.Before(before) || first.After(after) {
		t.Fatalf("last_used_at = %v after the first use, want between %v and %v", first, before, after)
	}

	// Within the interval: the lookup and nothing else, not even later.
	env.Queries.Reset()
	if code := request(t, h, key); code != http.StatusNoContent {
		t.Fatalf("status %d", code)
	}
	auth.Flush()
	if n := env.Queries.Count(); n != 1 {
		t.Fatalf("a second use within the interval sent %d statements, want the lookup only: %q", n, env.Queries.Statements())
	}
	if again := row(t, env.Client, key).LastUsedAt; again == nil || !again.Equal(*first) {
		t.Fatalf("last_used_at changed from %v to %v within the interval", first, again)
	}

	// Older than the interval: rewritten.
	old := dbtime.Of(time.Now().Add(-2 * apikey.DefaultUsageInterval))
	if err := env.Client.APIKey.UpdateOneID(row(t, env.Client, key).ID).SetLastUsedAt(old).Exec(sys()); err != nil {
		t.Fatal(err)
	}
	env.Queries.Reset()
	if code := request(t, h, key); code != http.StatusNoContent {
		t.Fatalf("status %d", code)
	}
	if n := env.Queries.Count(); n != 1 {
		t.Fatalf("a use after the interval sent %d statements during the request, want 1: %q", n, env.Queries.Statements())
	}
	auth.Flush()
	if u := updates(env.Queries.Statements()); u != 1 {
		t.Fatalf("a use after the interval sent %d updates, want 1: %q", u, env.Queries.Statements())
	}
	if got := row(t, env.Client, key).LastUsedAt; got == nil || !got.After(*first) {
		t.Fatalf("last_used_at = %v after a use past the interval, want later than %v", got, first)
	}
}

// The interval is an option: with a short one, a use after it rewrites
// last_used_at.
func TestUsageInterval(t *testing.T) {
	env := testenv.Open(t)
	key := env.Key(t, "Acme", false)
	auth := apikey.New(env.Client, apikey.Options{UsageInterval: 20 * time.Millisecond, UsageDelay: time.Millisecond})
	t.Cleanup(auth.Flush)
	h := server(auth)

	request(t, h, key)
	auth.Flush()
	first := row(t, env.Client, key).LastUsedAt
	time.Sleep(30 * time.Millisecond)
	env.Queries.Reset()
	request(t, h, key)
	auth.Flush()
	second := row(t, env.Client, key).LastUsedAt
	if first == nil || second == nil || !second.After(*first) || updates(env.Queries.Statements()) != 1 {
		t.Fatalf("last_used_at %v then %v, updates %q; want rewritten once after the interval", first, second, env.Queries.Statements())
	}
}

// A burst of requests with a key that is due shares one write.
func TestUsageBurstSharesOneWrite(t *testing.T) {
	env := testenv.Open(t)
	key := env.Key(t, "Acme", false)
	auth := apikey.New(env.Client, apikey.Options{})
	t.Cleanup(auth.Flush)
	h := server(auth)

	env.Queries.Reset()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if code := request(t, h, key); code != http.StatusNoContent {
				t.Errorf("status %d", code)
			}
		})
	}
	wg.Wait()
	auth.Flush()
	if n, u := env.Queries.Count(), updates(env.Queries.Statements()); n != 21 || u != 1 {
		t.Fatalf("20 concurrent requests sent %d statements with %d updates, want 20 lookups and 1 UPDATE", n, u)
	}
	if row(t, env.Client, key).LastUsedAt == nil {
		t.Fatal("last_used_at not set")
	}
}

// A write that fails (here: the database closed under it, as at the end of
// a test or on shutdown) is logged at warn level; nothing panics and the
// request it came from had long succeeded.
func TestUsageWriteFailureIsLogged(t *testing.T) {
	url := testenv.DatabaseURL(t)
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := database.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	key, err := apikey.Create(context.Background(), db.Client, "Acme", false)
	if err != nil {
		t.Fatal(err)
	}
	var logs testenv.SyncBuffer
	auth := apikey.New(db.Client, apikey.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if code := request(t, server(auth), key); code != http.StatusNoContent {
		t.Fatalf("status %d", code)
	}
	db.Close()
	auth.Flush()
	if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "recording API key use") {
		t.Fatalf("log = %q, want a warning about the failed write", out)
	}
}

// A revoked key is refused on its very next request: keys are looked up on
// every request, never cached.
func TestRevokedKeyRefusedAtOnce(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	env.MustGraphQL(t, key, `{ __typename }`, nil)
	if _, err := apikey.Revoke(context.Background(), env.Client, row(t, env.Client, key).ID); err != nil {
		t.Fatal(err)
	}
	res := env.GraphQL(t, key, `{ __typename }`, nil)
	if res.Status != http.StatusUnauthorized || len(res.Errors) != 1 || res.Errors[0].Code() != "unauthorized" {
		t.Fatalf("a revoked key got status %d, errors %+v; want 401 unauthorized", res.Status, res.Errors)
	}
}

func TestRevoke(t *testing.T) {
	env := testenv.Open(t)
	ctx := context.Background()
	key := env.Key(t, "Acme", false)
	id := row(t, env.Client, key).ID
	if _, err := apikey.Revoke(ctx, env.Client, id); err != nil {
		t.Fatal(err)
	}
	first := row(t, env.Client, key).RevokedAt
	if first == nil {
		t.Fatal("revoked_at not set")
	}
	// Revoking again keeps the original time.
	if _, err := apikey.Revoke(ctx, env.Client, id); err != nil {
		t.Fatal(err)
	}
	if again := row(t, env.Client, key).RevokedAt; again == nil || !again.Equal(*first) {
		t.Fatalf("revoked_at moved from %v to %v", first, again)
	}
	if _, err := apikey.Revoke(ctx, env.Client, uuid.New()); !errors.Is(err, apikey.ErrNotFound) {
		t.Fatalf("revoking an unknown ID: %v, want ErrNotFound", err)
	}
}

func TestList(t *testing.T) {
	env := testenv.Open(t)
	ctx := context.Background()
	a, err := apikey.Create(ctx, env.Client, "Acme", false, apikey.WithName("first"))
	if err != nil {
		t.Fatal(err)
	}
	b := env.Key(t, "Acme", true)
	env.Key(t, "Globex", false)
	keys, err := apikey.List(ctx, env.Client, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Prefix != a[:12] || keys[0].Name != "first" || keys[1].Prefix != b[:12] || !keys[1].Livemode {
		t.Fatalf("List(Acme) = %v, want the two Acme keys oldest first", keys)
	}
	if _, err := apikey.List(ctx, env.Client, "Nobody"); err == nil {
		t.Fatal("listing an unknown organization succeeded")
	}
}
