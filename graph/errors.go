package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/apperr"
)

// resolverError marks an error returned by a resolver that is not a
// caller-facing error: a database failure or a bug. Its text is logged, never
// shown. Errors raised outside resolvers (parsing, validation, argument
// coercion) are about the request itself and are shown as they are.
type resolverError struct{ err error }

func (e *resolverError) Error() string { return e.err.Error() }
func (e *resolverError) Unwrap() error { return e.err }

// markResolverErrors is a field middleware that tags the errors resolvers
// return, so the presenter can tell them from request errors.
func markResolverErrors(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil {
		var gqlErr *gqlerror.Error
		if !errors.As(err, &gqlErr) {
			err = &resolverError{err: err}
		}
	}
	return res, err
}

// presentError maps every error to a message a caller can act on and an
// `extensions.code` from the API's error codes. No SQL, ent internals or Go
// error text of an internal failure reaches the caller.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		code, msg := classify(ctx, err, gqlErr)
		switch {
		case code == apperr.Internal:
			logger.ErrorContext(ctx, "graphql resolver failed", "error", err, "path", gqlErr.Path.String())
		case code == apperr.Timeout && errors.Is(ctx.Err(), context.DeadlineExceeded):
			logger.WarnContext(ctx, "graphql resolver ran out of time", "error", err, "path", gqlErr.Path.String())
		}
		gqlErr.Message = msg
		gqlErr.Extensions = map[string]any{"code": string(code)}
		return gqlErr
	}
}

func classify(ctx context.Context, err error, gqlErr *gqlerror.Error) (apperr.Code, string) {
	if e, ok := apperr.As(err); ok {
		return e.Code, e.Message
	}
	// A resolver stopped by the request's deadline (or its client leaving):
	// the database driver's error wraps the context's.
	var internal *resolverError
	if errors.As(err, &internal) {
		if e, ok := apperr.OutOfTime(ctx, err); ok {
			return e.Code, e.Message
		}
	}
	var gqlNotFound *gqlerror.Error
	if errors.As(err, &gqlNotFound) && gqlNotFound.Extensions["code"] == "NOT_FOUND" { // entgql's Noders
		return apperr.NotFound, gqlNotFound.Message
	}
	var notFound *ent.NotFoundError
	if errors.As(err, &notFound) {
		return apperr.NotFound, strings.TrimPrefix(notFound.Error(), "ent: ")
	}
	var invalid *ent.ValidationError
	if errors.As(err, &invalid) {
		return apperr.InvalidRequest, validationMessage(invalid)
	}
	if emptyWhere(err) {
		return apperr.InvalidRequest, "where: every filter object inside not, and or or needs at least one condition"
	}
	if ent.IsConstraintError(err) {
		return apperr.InvalidRequest, "the request conflicts with existing data"
	}
	if errors.Is(err, privacy.Deny) {
		return apperr.NotFound, "not found"
	}
	if internal != nil {
		return apperr.Internal, "internal error"
	}
	// Parse, validation and argument errors: about the request itself.
	return apperr.InvalidRequest, gqlErr.Message
}

// emptyWhere reports a `where` input with an empty object nested in not,
// and or or ({"or": [{}]}), which entgql rejects as it builds the predicate.
func emptyWhere(err error) bool {
	for _, empty := range emptyWhereErrors {
		if errors.Is(err, empty) {
			return true
		}
	}
	return false
}

// emptyWhereErrors are the errors of every generated where input;
// TestEmptyWhereErrorsAreComplete fails when the schema grows one more.
var emptyWhereErrors = []error{
	ent.ErrEmptyAgentWhereInput,
	ent.ErrEmptyConversationWhereInput,
	ent.ErrEmptyMessageWhereInput,
	ent.ErrEmptyParticipantWhereInput,
}

// validationMessage rewrites ent's `validator failed for field "Agent.name":
// ...` into a message naming the GraphQL field.
func validationMessage(e *ent.ValidationError) string {
	field := e.Name
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		field = field[i+1:]
	}
	return fmt.Sprintf("%s: %v", graphqlName(field), errors.Unwrap(e))
}

// graphqlName turns a snake_case column name into its camelCase field name.
func graphqlName(column string) string {
	parts := strings.Split(column, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// recoverPanic logs a resolver panic and answers with an internal error.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "graphql resolver panicked", "panic", p, "stack", string(debug.Stack()))
		return &resolverError{err: fmt.Errorf("panic: %v", p)}
	}
}
