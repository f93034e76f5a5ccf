package graph

import (
	"context"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/paging"
)

type cursor = *entgql.Cursor[uuid.UUID]

// paginate runs one of ent's Paginate methods for a root connection, with
// the page window of paging.Window: bounded, and DefaultPageSize when the
// caller gave no size.
func paginate[Conn any, Opt any](ctx context.Context,
	page func(context.Context, cursor, *int, cursor, *int, ...Opt) (Conn, error),
	after cursor, first *int, before cursor, last *int, opts ...Opt,
) (Conn, error) {
	first, last, err := paging.Window(first, last)
	if err != nil {
		var none Conn
		return none, apperr.Invalidf("%v", err)
	}
	return page(ctx, after, first, before, last, opts...)
}
