package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/graph"
	"github.com/parleyhq/parley/internal/testenv"
)

// sendPersisted posts an automatic persisted query: its hash, and the query
// itself unless it is empty.
func sendPersisted(t *testing.T, env *apitest.Env, key, query, hash string) testenv.Response {
	t.Helper()
	body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
	if query != "" {
		body["query"] = query
	}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	res := env.Send(t, http.MethodPost, key, "/graphql", bytes.NewReader(raw), http.Header{"Content-Type": {"application/json"}})
	var out testenv.Response
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatalf("decoding %s: %v", res, err)
	}
	out.Status = res.Status
	return out
}

func sha(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

// Many large distinct queries, each also registered as a persisted query,
// leave the server holding no more than the caches' byte bounds. With
// caches bounded by count alone (1,000 entries each), these 400 documents
// of 20 KB stay held for good, about 200 MB.
func TestQueryCachesAreBoundedInBytes(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	env.MustGraphQL(t, key, `{ viewer { livemode } }`, nil)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 400 {
		var b strings.Builder
		fmt.Fprintf(&b, "query Big%d {", i)
		// Long aliases keep the document under the token limit.
		for j := 0; b.Len() < 20<<10; j++ {
			fmt.Fprintf(&b, " a%d_%s:__typename", j, strings.Repeat("x", 100))
		}
		b.WriteString(" }")
		q := b.String()
		res := sendPersisted(t, env, key, q, sha(q))
		if res.Status != http.StatusOK || len(res.Errors) > 0 || res.Data["a0_"+strings.Repeat("x", 100)] != "Query" {
			t.Fatalf("query %d: %d %+v", i, res.Status, res.Errors)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	const slack = 16 << 20 // the server's and the test's own buffers and pools
	if bound := int64(graph.DefaultQueryCacheBytes + graph.DefaultAPQCacheBytes + slack); held > bound {
		t.Fatalf("after 400 distinct 20 KB queries the heap grew by %d MB, over the caches' bounds (%d MB with slack)", held>>20, bound>>20)
	}
	t.Logf("heap growth after 400 distinct 20 KB queries: %d MB", held>>20)
}

// A persisted query registered by one tenant is unknown to every other
// tenant (another organization, or the other mode of the same one): the
// answer must not tell them that someone ran that exact query.
func TestPersistedQueriesArePerTenant(t *testing.T) {
	env := apitest.Start(t)
	acme, acmeLive, globex := env.Key(t, "Acme", false), env.Key(t, "Acme", true), env.Key(t, "Globex", false)
	query := `query Secret { viewer { livemode } }`
	hash := sha(query)

	if res := sendPersisted(t, env, acme, query, hash); len(res.Errors) > 0 || res.Status != http.StatusOK {
		t.Fatalf("registering: %d %+v", res.Status, res.Errors)
	}
	if res := sendPersisted(t, env, acme, "", hash); len(res.Errors) > 0 || res.Data["viewer"] == nil {
		t.Fatalf("the registering tenant's hash-only request: %d %+v", res.Status, res.Errors)
	}
	for name, key := range map[string]string{"another organization": globex, "the other mode": acmeLive} {
		res := sendPersisted(t, env, key, "", hash)
		if len(res.Errors) != 1 || res.Errors[0].Message != "PersistedQueryNotFound" || res.Data["viewer"] != nil {
			t.Errorf("%s sending the hash: %d %+v %v, want PersistedQueryNotFound", name, res.Status, res.Errors, res.Data)
		}
	}
}
