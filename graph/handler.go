package graph

import (
	"log/slog"
	"runtime/debug"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/parleyhq/parley/ent"
)

// Options configure the GraphQL server.
type Options struct {
	// Introspection enables the introspection queries GraphiQL relies on.
	Introspection bool
}

// NewServer returns the GraphQL HTTP handler: POST and GET transports, a
// parsed-query cache, one transaction per mutation, and an error presenter
// that shows callers only what they can act on.
func NewServer(client *ent.Client, logger *slog.Logger, opts Options) *handler.Server {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{client: client}}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(entgql.Transactioner{TxOpener: client})
	srv.AroundFields(markResolverErrors)
	srv.SetErrorPresenter(presentError(logger))
	srv.SetRecoverFunc(recoverPanic(logger))
	return srv
}

func stack() string { return string(debug.Stack()) }
