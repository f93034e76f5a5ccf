package rest

// The bridge to the GraphQL executor: every endpoint runs a fixed operation
// (operations.go) in process and reads its result.

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/parleyhq/parley/internal/apperr"
)

// execute runs a GraphQL operation and decodes its data into out. A GraphQL
// error becomes the caller-facing error the presenter made of it.
func (h *Handler) execute(ctx context.Context, query string, vars map[string]any, out any) error {
	ctx = graphql.StartOperationTrace(ctx)
	oc, errs := h.exec.CreateOperationContext(ctx, &graphql.RawParams{Query: query, Variables: vars})
	if errs != nil {
		// The operations are fixed, so this is a bug, or a variable the
		// schema rejected.
		return fromGraphQL(errs[0].Message, errs[0].Extensions)
	}
	ctx = graphql.WithOperationContext(ctx, oc)
	respond, ctx := h.exec.DispatchOperation(ctx, oc)
	resp := respond(ctx)
	if len(resp.Errors) > 0 {
		return fromGraphQL(resp.Errors[0].Message, resp.Errors[0].Extensions)
	}
	var err error
	if raw, ok := out.(rawResult); ok {
		err = raw.decodeRaw(resp.Data)
	} else {
		err = json.Unmarshal(resp.Data, out)
	}
	if err != nil {
		return fmt.Errorf("rest: decoding GraphQL result: %w", err)
	}
	return nil
}

func fromGraphQL(message string, ext map[string]any) error {
	code, _ := ext["code"].(string)
	if code == "" {
		// The presenter gives every error a code; an error without one
		// never went through it, so its text is logged, not shown.
		return fmt.Errorf("rest: GraphQL error without a code: %s", message)
	}
	return &apperr.Error{Code: apperr.Code(code), Message: message}
}
