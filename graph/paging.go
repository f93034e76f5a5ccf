package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/gid"
)

const (
	// DefaultPageSize is the page size of a root connection queried without
	// `first` or `last`.
	DefaultPageSize = 20
	// MaxPageSize bounds `first` and `last` on root connections.
	MaxPageSize = 100
)

// pageSize validates a connection's `first` and `last` and applies the
// default, so no root list is ever unbounded.
func pageSize(first, last *int) (*int, *int, error) {
	switch {
	case first != nil && last != nil:
		return nil, nil, apperr.Invalidf("pass either first or last, not both")
	case first != nil && (*first < 0 || *first > MaxPageSize):
		return nil, nil, apperr.Invalidf("first must be between 0 and %d, got %d", MaxPageSize, *first)
	case last != nil && (*last < 0 || *last > MaxPageSize):
		return nil, nil, apperr.Invalidf("last must be between 0 and %d, got %d", MaxPageSize, *last)
	case first == nil && last == nil:
		n := DefaultPageSize
		return &n, nil, nil
	}
	return first, last, nil
}

// nodeType routes a global ID to its table using the type tag in the ID, so
// node and nodes cost no lookup query.
func nodeType(_ context.Context, id uuid.UUID) (string, error) {
	table, ok := gid.Table(id)
	if !ok {
		return "", apperr.NotFoundf("no object with ID %s", id)
	}
	return table, nil
}
