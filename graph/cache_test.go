package graph

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/parleyhq/parley/internal/viewer"
)

// queryOf returns a valid query of about size bytes made of field, which
// gets the field's index with %d (or not).
func queryOf(field string, size, salt int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %d\n{", salt)
	for i := 0; b.Len() < size-1; i++ {
		if strings.Contains(field, "%d") {
			fmt.Fprintf(&b, field, i)
		} else {
			b.WriteString(field)
		}
	}
	b.WriteString("}")
	return b.String()
}

// parsed parses and validates query as the executor does before caching.
func parsed(t testing.TB, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.ValidateWithRules(schema(nil).Schema(), doc, nil); len(errs) > 0 {
		t.Fatal(errs[0])
	}
	return doc
}

// documentShapes are queries from the densest (one short field after
// another) to the loosest (long string arguments).
var documentShapes = map[string]string{
	"typename":       " __typename",
	"alias-typename": " a%d:__typename",
	"alias-nested":   " v%d:viewer{livemode}",
	"arguments":      " c%d:conversations(first:1){totalCount}",
	"string-arg":     ` c%d:agent(id:"` + strings.Repeat("x", 200) + `"){id}`,
}

// BenchmarkParsedDocumentBytes measures the heap a parsed and validated
// document keeps per byte of its query text (the text itself, which the
// cache key shares, not included), the figure behind
// documentBytesPerQueryByte:
//
//	go test -run '^$' -bench ParsedDocumentBytes -benchtime 20x ./graph/
func BenchmarkParsedDocumentBytes(b *testing.B) {
	for _, name := range []string{"typename", "alias-typename", "alias-nested", "arguments", "string-arg"} {
		for _, size := range []int{20, 1 << 10, 10 << 10, 100 << 10} {
			if name == "typename" && size > 10<<10 {
				continue // validation is quadratic in repeated fields
			}
			b.Run(fmt.Sprintf("%s/%d", name, size), func(b *testing.B) {
				queries := make([]string, b.N)
				for i := range queries {
					queries[i] = queryOf(documentShapes[name], size, i)
				}
				docs := make([]*ast.QueryDocument, b.N)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.ResetTimer()
				for i := range docs {
					docs[i] = parsed(b, queries[i])
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				held := float64(after.HeapAlloc-before.HeapAlloc) / float64(b.N)
				b.ReportMetric(held, "held-bytes/doc")
				b.ReportMetric(held/float64(len(queries[0])), "held-bytes/query-byte")
				runtime.KeepAlive(docs)
			})
		}
	}
}

func TestByteCacheStaysWithinItsBound(t *testing.T) {
	ctx := context.Background()
	const bound = 8 << 20
	cache := NewQueryCache(bound)
	// Distinct 2 KB documents: each is within an entry's share; together
	// far beyond the bound.
	var last []string
	for i := range 400 {
		q := queryOf(" a%d:__typename", 2<<10, i)
		cache.Add(ctx, q, parsed(t, q))
		if cache.Bytes() > bound {
			t.Fatalf("after %d documents the cache holds %d bytes, over its bound %d", i+1, cache.Bytes(), bound)
		}
		last = append(last, q)
	}
	if cache.Len() == 0 || cache.Len() >= 400 {
		t.Fatalf("cache holds %d documents; want some, evicted down to its bound", cache.Len())
	}
	if _, ok := cache.Get(ctx, last[len(last)-1]); !ok {
		t.Fatal("the most recent document was evicted")
	}
	if _, ok := cache.Get(ctx, last[0]); ok {
		t.Fatal("the oldest document was kept")
	}

	// A document over an entry's share is not cached and evicts nothing.
	n := cache.Len()
	huge := queryOf(" a%d:__typename", bound/maxEntryShare/documentBytesPerQueryByte+1, 0)
	cache.Add(ctx, huge, parsed(t, huge))
	if _, ok := cache.Get(ctx, huge); ok || cache.Len() != n {
		t.Fatalf("a document over the entry bound was cached (%v) or evicted others (%d -> %d)", ok, n, cache.Len())
	}

	// Replacing an entry does not count it twice.
	held := cache.Bytes()
	cache.Add(ctx, last[len(last)-1], parsed(t, last[len(last)-1]))
	if cache.Bytes() != held {
		t.Fatalf("re-adding a document changed the bytes held from %d to %d", held, cache.Bytes())
	}

	apq := NewAPQCache(1 << 20)
	for i := range 1000 {
		apq.Add(ctx, fmt.Sprint(i), strings.Repeat("x", 10<<10))
		if apq.Bytes() > 1<<20 {
			t.Fatalf("APQ cache holds %d bytes, over its bound", apq.Bytes())
		}
	}
}

// The estimate is an upper bound of the heap the cached documents really
// hold, even for the densest queries.
func TestQueryCacheEstimateCoversTheHeap(t *testing.T) {
	ctx := context.Background()
	const bound = 16 << 20
	for _, name := range []string{"typename", "alias-typename", "arguments"} {
		cache := NewQueryCache(bound)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range 300 {
			q := queryOf(documentShapes[name], 4<<10, i)
			cache.Add(ctx, q, parsed(t, q))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		if held > cache.Bytes() {
			t.Errorf("%s: %d documents hold %d bytes of heap, more than the %d the cache counts", name, cache.Len(), held, cache.Bytes())
		}
		if cache.Bytes() > bound {
			t.Errorf("%s: cache counts %d bytes, over %d", name, cache.Bytes(), bound)
		}
		runtime.KeepAlive(cache)
	}
}

func TestTenantCacheKeysByOrganizationAndMode(t *testing.T) {
	inner := NewAPQCache(1 << 20)
	cache := tenantCache[string]{inner}
	org := uuid.New()
	a := viewer.NewContext(context.Background(), viewer.Viewer{OrganizationID: org})
	aLive := viewer.NewContext(context.Background(), viewer.Viewer{OrganizationID: org, Livemode: true})
	b := viewer.NewContext(context.Background(), viewer.Viewer{OrganizationID: uuid.New()})
	cache.Add(a, "hash", "{ viewer { livemode } }")
	if q, ok := cache.Get(a, "hash"); !ok || q != "{ viewer { livemode } }" {
		t.Fatalf("own entry: %q %v", q, ok)
	}
	for name, ctx := range map[string]context.Context{"other mode": aLive, "other organization": b, "no viewer": context.Background()} {
		if _, ok := cache.Get(ctx, "hash"); ok {
			t.Errorf("%s sees the entry", name)
		}
	}
	cache.Add(context.Background(), "other", "{ __typename }")
	if inner.Len() != 1 {
		t.Errorf("without a viewer something was cached: %d entries", inner.Len())
	}
}
