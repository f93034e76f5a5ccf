package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/gid"
)

// nodeType routes a global ID to its table using the type tag in the ID, so
// node and nodes cost no lookup query.
func nodeType(_ context.Context, id uuid.UUID) (string, error) {
	table, ok := gid.Table(id)
	if !ok {
		return "", apperr.NotFoundf("no object with ID %s", id)
	}
	return table, nil
}
