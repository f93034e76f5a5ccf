package graph

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net/http"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/graph/generated"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/tenant"
)

// Options configure the GraphQL handler and executor.
type Options struct {
	// Introspection enables the introspection queries GraphiQL relies on.
	Introspection bool
	// Loader tunes the dataloaders each operation gets.
	Loader loader.Options
	// QueryCacheBytes bounds the parsed-query cache (0:
	// DefaultQueryCacheBytes). The REST executor's cache only ever holds
	// its few fixed operations.
	QueryCacheBytes int64
	// APQCacheBytes bounds the automatic-persisted-query cache (0:
	// DefaultAPQCacheBytes).
	APQCacheBytes int64
}

func (o Options) queryCacheBytes() int64 { return orDefault(o.QueryCacheBytes, DefaultQueryCacheBytes) }
func (o Options) apqCacheBytes() int64   { return orDefault(o.APQCacheBytes, DefaultAPQCacheBytes) }

func orDefault(v, def int64) int64 {
	if v <= 0 {
		return def
	}
	return v
}

// NewHandler returns the GraphQL HTTP handler: POST and GET transports, a
// parsed-query cache, one transaction per mutation, and an error presenter
// that shows callers only what they can act on. Requests must carry a
// viewer in their context (the API key middleware puts it there). An
// operation that runs out of time is answered 504.
func NewHandler(client *ent.Client, logger *slog.Logger, opts Options) http.Handler {
	srv := handler.New(schema(client))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	// Persisted queries are per tenant: a shared cache would tell one
	// tenant whether another recently ran an exact query.
	srv.Use(extension.AutomaticPersistedQuery{Cache: tenantCache[string]{NewAPQCache(opts.apqCacheBytes())}})
	// Outermost of the response middlewares (the first added), so it sees
	// the errors of the transaction too.
	srv.AroundResponses(markTimeouts)
	configure(srv, client, logger, opts)
	return timeoutStatus(srv)
}

// NewExecutor returns an executor of the same schema, with the same
// extensions, per-operation state, error presenter and recovery as the
// HTTP handler, for running fixed operations in process (the REST API
// does).
func NewExecutor(client *ent.Client, logger *slog.Logger, opts Options) *executor.Executor {
	exec := executor.New(schema(client))
	configure(exec, client, logger, opts)
	return exec
}

func schema(client *ent.Client) graphql.ExecutableSchema {
	return generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{client: client}, Complexity: complexity()})
}

// configurable is what handler.Server and executor.Executor have in common.
type configurable interface {
	Use(graphql.HandlerExtension)
	AroundFields(graphql.FieldMiddleware)
	AroundOperations(graphql.OperationMiddleware)
	AroundResponses(graphql.ResponseMiddleware)
	SetQueryCache(graphql.Cache[*ast.QueryDocument])
	SetErrorPresenter(graphql.ErrorPresenterFunc)
	SetRecoverFunc(graphql.RecoverFunc)
}

func configure(c configurable, client *ent.Client, logger *slog.Logger, opts Options) {
	c.SetQueryCache(NewQueryCache(opts.queryCacheBytes()))
	c.Use(limitsExtension{limits: DefaultLimits})
	c.Use(extension.FixedComplexityLimit(DefaultLimits.MaxComplexity))
	c.Use(transactioner{entgql.Transactioner{TxOpener: client}})
	c.AroundOperations(nameOperation)
	c.AroundResponses(operationState(client, opts.Loader))
	c.AroundFields(markResolverErrors)
	c.AroundFields(traceResolvers)
	c.AroundFields(primeTranscripts)
	c.SetErrorPresenter(presentError(logger))
	c.SetRecoverFunc(recoverPanic(logger))
}

// operationState gives every response its own dataloaders and its own memo
// of the rows tenancy checks proved visible. A query or mutation has one
// response; a subscription has one per event, so a connection that stays
// open for hours never reads through stale caches.
func operationState(client *ent.Client, opts loader.Options) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		ctx = loader.NewContext(ctx, loader.New(client, opts))
		ctx = tenant.WithReferenceCache(ctx)
		return next(ctx)
	}
}

// nameOperation names the operation in the access log, metrics and trace.
func nameOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if op := graphql.GetOperationContext(ctx).Operation; op != nil {
		observe.SetOperation(ctx, op.Name)
		trace.SpanFromContext(ctx).SetAttributes(attribute.String("graphql.operation.name", op.Name))
	}
	return next(ctx)
}

// traceResolvers makes a span of every resolver call (not of plain struct
// fields) when the request is traced.
func traceResolvers(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if !fc.IsResolver {
		return next(ctx)
	}
	ctx, span, ok := observe.StartSpan(ctx, "graphql "+fc.Object+"."+fc.Field.Name)
	if !ok {
		return next(ctx)
	}
	res, err := next(ctx)
	observe.EndSpan(span, err)
	return res, err
}

// transactioner is entgql.Transactioner with two changes. It does not
// panic on a response that has no operation (gqlgen's POST transport
// dispatches the error for a request body that is not valid JSON before it
// creates one). And a transaction that cannot begin or commit is reported
// through the error presenter, like a resolver's error, instead of
// entgql's bare message with the driver's text and no code: a mutation
// waiting for SQLite's write lock past the request's deadline is a
// timeout, and a database failure is an internal error that is logged.
type transactioner struct{ entgql.Transactioner }

func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	var failed error
	watched := entgql.Transactioner{SkipTxFunc: t.SkipTxFunc, TxOpener: entgql.TxOpenerFunc(func(ctx context.Context) (context.Context, driver.Tx, error) {
		txCtx, tx, err := t.OpenTx(ctx)
		if err != nil {
			failed = fmt.Errorf("beginning the mutation's transaction: %w", err)
			return nil, nil, err
		}
		return txCtx, commitWatch{Tx: tx, failed: &failed}, nil
	})}
	resp := watched.InterceptResponse(ctx, next)
	if failed != nil {
		graphql.AddError(ctx, &resolverError{err: failed})
		return &graphql.Response{Errors: graphql.GetErrors(ctx)}
	}
	return resp
}

// commitWatch records a failed commit for transactioner.
type commitWatch struct {
	driver.Tx
	failed *error
}

func (c commitWatch) Commit() error {
	err := c.Tx.Commit()
	if err != nil {
		*c.failed = fmt.Errorf("committing the mutation's transaction: %w", err)
	}
	return err
}
