package graph

import (
	"context"
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
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/graph/generated"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/budget"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/tenant"
)

// Options configure the GraphQL handler and executor.
type Options struct {
	// Introspection enables the introspection queries GraphiQL relies on.
	Introspection bool
	// Loader tunes the dataloaders each operation gets.
	Loader loader.Options
	// Budget bounds the statements, rows and bytes of each operation; zero
	// means budget.DefaultLimits.
	Budget budget.Limits
	// Limits bound what one document may ask for; zero means
	// DefaultLimits.
	Limits Limits
	// QueryCacheBytes bounds the parsed-query cache (0:
	// DefaultQueryCacheBytes). The REST executor's cache only ever holds
	// its few fixed operations.
	QueryCacheBytes int64
	// APQCacheBytes bounds the automatic-persisted-query cache (0:
	// DefaultAPQCacheBytes).
	APQCacheBytes int64
	// Webhooks queues test events and redeliveries; nil where no delivery
	// service runs (those two mutations then fail with unavailable).
	Webhooks WebhookQueue
	// WebhookAllowPrivate admits endpoint URLs on internal networks
	// (development and tests).
	WebhookAllowPrivate bool
	// Live delivers committed changes to subscriptions; nil refuses them.
	Live *live.Broker
	// Streams configure the websocket and SSE transports.
	Streams StreamOptions
}

func (o Options) queryCacheBytes() int64 { return orDefault(o.QueryCacheBytes, DefaultQueryCacheBytes) }
func (o Options) apqCacheBytes() int64   { return orDefault(o.APQCacheBytes, DefaultAPQCacheBytes) }

// budgetLimits are the per-request budget: Budget, or the defaults.
func (o Options) budgetLimits() budget.Limits {
	if o.Budget == (budget.Limits{}) {
		return budget.DefaultLimits
	}
	return o.Budget
}

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
	es := schemaWith(client, logger, opts)
	srv := handler.New(es)
	srv.AddTransport(newWSTransport(opts.Streams))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(sseTransport{ping: opts.Streams.PingInterval}) // before POST, which would take it too
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})
	srv.AddTransport(unsupported{}) // last: takes what the others refuse
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	// Persisted queries are per tenant: a shared cache would tell one
	// tenant whether another recently ran an exact query.
	srv.Use(extension.AutomaticPersistedQuery{Cache: tenantCache[string]{NewAPQCache(opts.apqCacheBytes())}})
	// Outermost of the response middlewares (the first added), so it sees
	// the errors of the transaction too.
	srv.AroundResponses(markTimeouts)
	configure(srv, es, client, logger, opts)
	return timeoutStatus(srv)
}

// NewExecutor returns an executor of the same schema, with the same
// extensions, per-operation state, error presenter and recovery as the
// HTTP handler, for running fixed operations in process (the REST API
// does).
func NewExecutor(client *ent.Client, logger *slog.Logger, opts Options) *executor.Executor {
	es := schemaWith(client, logger, opts)
	exec := executor.New(es)
	configure(exec, es, client, logger, opts)
	return exec
}

func schema(client *ent.Client) graphql.ExecutableSchema {
	return schemaWith(client, slog.Default(), Options{})
}

func schemaWith(client *ent.Client, logger *slog.Logger, opts Options) graphql.ExecutableSchema {
	r := &Resolver{
		client: client, live: opts.Live, budget: opts.budgetLimits(), present: presentError(logger),
		webhooks: opts.Webhooks, webhookAllowPrivate: opts.WebhookAllowPrivate,
	}
	return generated.NewExecutableSchema(generated.Config{Resolvers: r, Complexity: complexity()})
}

// configurable is what handler.Server and executor.Executor have in common.
type configurable interface {
	Use(graphql.HandlerExtension)
	AroundFields(graphql.FieldMiddleware)
	AroundOperations(graphql.OperationMiddleware)
	AroundResponses(graphql.ResponseMiddleware)
	SetQueryCache(graphql.Cache[*ast.QueryDocument])
	SetParserTokenLimit(int)
	SetErrorPresenter(graphql.ErrorPresenterFunc)
	SetRecoverFunc(graphql.RecoverFunc)
}

func configure(c configurable, es graphql.ExecutableSchema, client *ent.Client, logger *slog.Logger, opts Options) {
	queries := NewQueryCache(opts.queryCacheBytes())
	c.SetQueryCache(queries)
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	c.SetParserTokenLimit(opts.Limits.MaxTokens)
	c.Use(shapeCheck{limits: opts.Limits, cache: queries})
	c.Use(limitsExtension{limits: opts.Limits, schema: es})
	c.Use(transactioner{entgql.Transactioner{TxOpener: client}})
	c.AroundOperations(nameOperation)
	present := presentError(logger)
	c.AroundResponses(operationState(client, opts, present))
	c.AroundFields(resolverMiddleware)
	c.SetErrorPresenter(present)
	c.SetRecoverFunc(recoverPanic(logger))
}

// operationState gives every response its own dataloaders, its own memo
// of the rows tenancy checks proved visible, and its own budget. A query or
// mutation has one response; a subscription has one per event, so a
// connection that stays open for hours never reads through stale caches.
//
// A response that went over its budget is answered with that one error and
// no data: the fields that failed with it would each repeat it, and the
// data would be a partial answer the caller did not ask for. (A mutation's
// transaction then rolls back.)
func operationState(client *ent.Client, opts Options, present graphql.ErrorPresenterFunc) graphql.ResponseMiddleware {
	limits := opts.budgetLimits()
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		b := budget.New(limits)
		ctx = budget.NewContext(ctx, b)
		lo := opts.Loader
		if graphql.HasOperationContext(ctx) {
			lo.MessageColumns = transcriptColumns(graphql.GetOperationContext(ctx))
		}
		ctx = loader.NewContext(ctx, loader.New(client, lo))
		ctx = tenant.WithReferenceCache(ctx)
		ctx = generated.WithResponseSize(ctx, func() int { return responseSize(b.Used()) })
		resp := next(ctx)
		if err := b.Exceeded(); err != nil && resp != nil {
			return &graphql.Response{Errors: gqlerror.List{present(ctx, err)}, Extensions: resp.Extensions}
		}
		return resp
	}
}

// responseSize estimates a response from what its reads used: the text
// it read, written out once, and for every row the names, IDs, times and
// punctuation around its values (about 130 bytes a row on the dashboard
// page), with an eighth to spare: a buffer a little short doubles.
func responseSize(used budget.Limits) int {
	const perRow = 144
	n := used.Bytes + perRow*used.Rows + 256
	return int(n + n/8)
}

// nameOperation names the operation in the access log, metrics and trace.
func nameOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if op := graphql.GetOperationContext(ctx).Operation; op != nil {
		observe.SetOperation(ctx, op.Name)
		trace.SpanFromContext(ctx).SetAttributes(attribute.String("graphql.operation.name", op.Name))
	}
	return next(ctx)
}

// resolverMiddleware is the one field middleware. gqlgen calls it for
// every field of a response, the ~4,500 plain struct fields of a dashboard
// page included, and wraps each middleware in a closure of its own; so
// there is one, and a field that neither calls a resolver nor a method (a
// column read from the struct: it cannot fail, do I/O or return a list)
// leaves it at once. For the others, in this order from the outside in:
//
//   - their errors are marked as resolver errors (markResolverError), so
//     the presenter can tell them from request errors;
//   - resolver calls (not methods) are traced when the request is;
//   - a list of conversations is primed with its transcripts
//     (primeTranscripts).
func resolverMiddleware(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver && !fc.IsMethod {
		return next(ctx)
	}
	var span trace.Span
	if fc.IsResolver && trace.SpanFromContext(ctx).IsRecording() {
		ctx, span, _ = observe.StartSpan(ctx, "graphql "+fc.Object+"."+fc.Field.Name)
	}
	res, err := next(ctx)
	if err == nil && res != nil {
		primeTranscripts(ctx, res)
	}
	if span != nil {
		observe.EndSpan(span, err)
	}
	return res, markResolverError(err)
}

// transactioner runs each mutation in a transaction, as
// entgql.Transactioner does (whose MutateOperationContext, serialising the
// mutation's resolvers, it keeps), with two differences. A response that has
// no operation passes through: gqlgen's POST transport dispatches the error
// for a body that is not valid JSON before it creates one, and entgql would
// panic. And a failure to begin or commit goes through the error presenter
// (logged, answered with a code), where entgql answers "cannot commit
// transaction: " and the driver's text.
type transactioner struct{ entgql.Transactioner }

func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	op := graphql.GetOperationContext(ctx).Operation
	if op == nil || op.Operation != ast.Mutation || t.SkipTxFunc != nil && t.SkipTxFunc(op) {
		return next(ctx)
	}
	txCtx, tx, err := t.OpenTx(ctx)
	if err != nil {
		return presented(ctx, fmt.Errorf("beginning the mutation's transaction: %w", err))
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	rsp := next(txCtx)
	if len(rsp.Errors) > 0 {
		_ = tx.Rollback()
		return &graphql.Response{Errors: rsp.Errors}
	}
	if err := tx.Commit(); err != nil {
		return presented(ctx, fmt.Errorf("committing the mutation's transaction: %w", err))
	}
	return rsp
}

// presented is a response with err alone, as the error presenter shows it.
func presented(ctx context.Context, err error) *graphql.Response {
	graphql.AddError(ctx, &resolverError{err: err})
	return &graphql.Response{Errors: graphql.GetErrors(ctx)}
}
