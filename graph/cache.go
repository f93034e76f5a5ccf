package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/parleyhq/parley/internal/viewer"
)

// Cache bounds. A body may hold up to 1 MiB of query text, so a bound by
// count alone (gqlgen's lru.New(1000)) lets 1,000 large distinct queries
// hold gigabytes for good; these caches are bounded by bytes as well.
const (
	// DefaultQueryCacheBytes bounds the parsed-query cache: about 1,000
	// documents of 1.5 KB of text, a typical dashboard query.
	DefaultQueryCacheBytes = 64 << 20
	// DefaultAPQCacheBytes bounds the automatic-persisted-query cache,
	// which holds query text only.
	DefaultAPQCacheBytes = 16 << 20
	// cacheEntries bounds either cache by count too, as before.
	cacheEntries = 1000
	// A single entry may take at most this share of its cache's bytes, so
	// one huge query never evicts everything else; larger ones are simply
	// not cached (parsed again, or asked again by APQ, which the protocol
	// provides for).
	maxEntryShare = 64

	// documentBytesPerQueryByte is what a parsed and validated document
	// holds per byte of its query text, the text itself included:
	// BenchmarkParsedDocumentBytes measured 18 to 27 for queries of 1 to
	// 100 KB of aliased fields and connections, 3.3 for long string
	// arguments and 37.3 for the densest ({ __typename __typename ... }),
	// plus 1 for the text, which the document and the key share.
	documentBytesPerQueryByte = 40
	// entryOverhead covers a document's fixed parts (a 20-byte query holds
	// 0.8 to 1.2 KB), the LRU element and the map entry.
	entryOverhead = 2048
)

// ByteCache is a graphql.Cache bounded by the bytes its entries hold (as
// estimated by its cost function) and by their number, evicting the least
// recently used. It is safe for concurrent use.
type ByteCache[T any] struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, sized[T]]
	cost     func(key string, value T) int64
	maxBytes int64
	held     int64
}

type sized[T any] struct {
	value T
	cost  int64
}

var _ graphql.Cache[string] = (*ByteCache[string])(nil)

// NewByteCache returns a cache of at most maxBytes (by cost) and maxEntries.
func NewByteCache[T any](maxBytes int64, maxEntries int, cost func(key string, value T) int64) *ByteCache[T] {
	c := &ByteCache[T]{cost: cost, maxBytes: maxBytes}
	lru, err := simplelru.NewLRU(maxEntries, func(_ string, e sized[T]) { c.held -= e.cost })
	if err != nil {
		panic("graph: cache of " + err.Error()) // only for maxEntries <= 0
	}
	c.lru = lru
	return c
}

// NewQueryCache returns the parsed-query cache, bounded at maxBytes.
func NewQueryCache(maxBytes int64) *ByteCache[*ast.QueryDocument] {
	return NewByteCache(maxBytes, cacheEntries, func(query string, _ *ast.QueryDocument) int64 {
		return int64(len(query))*documentBytesPerQueryByte + entryOverhead
	})
}

// NewAPQCache returns the automatic-persisted-query cache (hash to query
// text), bounded at maxBytes.
func NewAPQCache(maxBytes int64) *ByteCache[string] {
	return NewByteCache(maxBytes, cacheEntries, func(key, query string) int64 {
		return int64(len(key)+len(query)) + entryOverhead
	})
}

// Get returns the value cached under key, marking it recently used.
func (c *ByteCache[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.lru.Get(key)
	return e.value, ok
}

// Add caches value under key, unless it alone would take more than its
// share of the cache, and evicts the least recently used entries until
// the cache is within its bounds.
func (c *ByteCache[T]) Add(_ context.Context, key string, value T) {
	cost := c.cost(key, value)
	if cost > c.maxBytes/maxEntryShare {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.lru.Peek(key); ok {
		c.held -= old.cost // replaced in place, without an eviction
	}
	c.held += cost
	c.lru.Add(key, sized[T]{value: value, cost: cost})
	for c.held > c.maxBytes {
		c.lru.RemoveOldest()
	}
}

// Bytes returns the estimated bytes the cache holds.
func (c *ByteCache[T]) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}

// Len returns the number of cached entries.
func (c *ByteCache[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// tenantCache keys a cache by the viewer's organization and mode, so that
// a hit or miss (an APQ hash answered, or PersistedQueryNotFound) tells a
// caller nothing about what other tenants ran. Without a viewer it caches
// nothing.
type tenantCache[T any] struct{ graphql.Cache[T] }

func (c tenantCache[T]) Get(ctx context.Context, key string) (T, bool) {
	prefix, ok := tenantPrefix(ctx)
	if !ok {
		var zero T
		return zero, false
	}
	return c.Cache.Get(ctx, prefix+key)
}

func (c tenantCache[T]) Add(ctx context.Context, key string, value T) {
	if prefix, ok := tenantPrefix(ctx); ok {
		c.Cache.Add(ctx, prefix+key, value)
	}
}

func tenantPrefix(ctx context.Context) (string, bool) {
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return "", false
	}
	mode := "test:"
	if v.Livemode {
		mode = "live:"
	}
	return v.OrganizationID.String() + ":" + mode, true
}
