package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/graph/generated"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/database"
)

// resolverError marks an error returned by a resolver that is not a
// caller-facing error: a database failure or a bug. Its text is logged, never
// shown. Errors raised outside resolvers (parsing, validation, argument
// coercion) are about the request itself and are shown as they are.
type resolverError struct{ err error }

func (e *resolverError) Error() string { return e.err.Error() }
func (e *resolverError) Unwrap() error { return e.err }

// markResolverError tags an error a resolver or method returned, so the
// presenter can tell it from request errors (resolverMiddleware).
func markResolverError(err error) error {
	if err != nil {
		var gqlErr *gqlerror.Error
		if !errors.As(err, &gqlErr) {
			err = &resolverError{err: err}
		}
	}
	return err
}

// presentError maps every error to a message a caller can act on and an
// `extensions.code` from the API's error codes. No SQL, ent internals or Go
// error text of an internal failure reaches the caller.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		code, msg := classify(ctx, err, gqlErr)
		switch {
		case code == apperr.Internal, code == apperr.Unavailable:
			logger.ErrorContext(ctx, "graphql request failed", "code", string(code), "error", err, "path", gqlErr.Path.String())
		case code == apperr.Conflict:
			logger.WarnContext(ctx, "graphql request conflicted", "error", err, "path", gqlErr.Path.String())
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
	// The driver's text names hosts, users, databases and files: it is
	// logged above, never shown.
	if database.Conflict(err) {
		return apperr.Conflict, "a concurrent change conflicted with this request; retry it"
	}
	if database.Unavailable(err) {
		return apperr.Unavailable, "the database is unavailable; retry shortly"
	}
	if errors.Is(err, privacy.Deny) {
		return apperr.NotFound, "not found"
	}
	if internal != nil || errors.Is(err, graphql.ErrInvalidNull) {
		// A null in a non-null field is a server bug, not a bad request.
		return apperr.Internal, "internal error"
	}
	if msg, ok := transportMessage(gqlErr.Message); ok {
		return apperr.InvalidRequest, msg
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

// validationMessage rewrites ent's `ent: validator failed for field
// "Participant.avatar_image_url": ...` into a message naming the GraphQL
// field and only what the validator found wrong.
func validationMessage(e *ent.ValidationError) string {
	return graphqlName(e.Name) + ": " + validationReason(e)
}

func validationReason(e *ent.ValidationError) string {
	wrapped := errors.Unwrap(e) // ent's text, naming the Go type and column
	if wrapped == nil {
		return "is not valid"
	}
	cause := errors.Unwrap(wrapped) // the validator's own error
	if cause == nil {
		if strings.Contains(wrapped.Error(), "missing required field") {
			return "is required"
		}
		return "is not valid"
	}
	return apperr.ValidatorReason(cause)
}

// graphqlName is the GraphQL name of the input field that sets an ent field:
// avatar_image_url is avatarImageURL, as entgql named it, not a snake_case
// guess (avatarImageUrl).
func graphqlName(column string) string {
	if name, ok := graphqlFields[fold(column)]; ok {
		return name
	}
	return column
}

// graphqlFields maps folded names (lower case, no underscores) to the
// GraphQL names of the executable schema's input fields, then of its object
// fields: the names callers write.
var graphqlFields = fieldNames(generated.NewExecutableSchema(generated.Config{}).Schema())

func fieldNames(s *ast.Schema) map[string]string {
	names := map[string]string{}
	for _, kind := range []ast.DefinitionKind{ast.InputObject, ast.Object} {
		for _, typeName := range slices.Sorted(maps.Keys(s.Types)) {
			if def := s.Types[typeName]; def.Kind == kind && !strings.HasPrefix(typeName, "__") {
				for _, f := range def.Fields {
					if _, seen := names[fold(f.Name)]; !seen && !strings.HasPrefix(f.Name, "__") {
						names[fold(f.Name)] = f.Name
					}
				}
			}
		}
	}
	return names
}

func fold(name string) string { return strings.ToLower(strings.ReplaceAll(name, "_", "")) }

// transportMessage replaces the text of gqlgen's refusals of a body that is
// not a GraphQL request: it quotes the whole body (and Go type names).
func transportMessage(msg string) (string, bool) {
	switch {
	case strings.HasPrefix(msg, "json request body could not be decoded"):
		return `the request body must be a JSON object such as {"query": "...", "variables": {...}}`, true
	case strings.HasPrefix(msg, "could not read request body"):
		return "the request body could not be read", true
	}
	return "", false
}

// recoverPanic logs a resolver panic and answers with an internal error.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "graphql resolver panicked", "panic", p, "stack", string(debug.Stack()))
		return &resolverError{err: fmt.Errorf("panic: %v", p)}
	}
}
