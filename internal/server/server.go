// Package server assembles Parley's HTTP surface: GraphQL at /graphql, the
// GraphiQL playground at /, and the REST API under /v1/backend.
package server

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/graph"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/rest"
)

// Config is what the HTTP handler needs.
type Config struct {
	Client *ent.Client
	Logger *slog.Logger
	// Introspection enables GraphQL introspection (GraphiQL needs it).
	Introspection bool
	Loader        loader.Options
}

// New returns the root HTTP handler.
func New(cfg Config) http.Handler {
	gql := graph.NewServer(cfg.Client, cfg.Logger, graph.Options{Introspection: cfg.Introspection})
	authenticate := apikey.Middleware(cfg.Client, writeGraphQLError)
	loaders := loader.Middleware(cfg.Client, cfg.Loader)

	mux := http.NewServeMux()
	mux.Handle("/graphql", authenticate(loaders(gql)))
	restAPI := rest.New(graph.NewExecutor(cfg.Client, cfg.Logger), cfg.Logger)
	mux.Handle(rest.Prefix+"/", apikey.Middleware(cfg.Client, rest.WriteError)(loaders(restAPI)))
	mux.HandleFunc("GET "+rest.Prefix+"/openapi.json", rest.OpenAPI)
	mux.Handle("GET /{$}", playground.Handler("Parley GraphQL", "/graphql", playgroundOptions()...))
	mux.Handle("GET "+playgroundAssetsPath, playgroundAssets())
	return mux
}

// writeGraphQLError answers a request rejected before GraphQL execution with
// a GraphQL-shaped error body.
func writeGraphQLError(w http.ResponseWriter, _ *http.Request, err *apperr.Error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(err.Code.HTTPStatus())
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{
			"message":    err.Message,
			"extensions": map[string]any{"code": err.Code},
		}},
	})
}
