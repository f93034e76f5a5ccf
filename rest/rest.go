// Package rest serves the documented /v1/backend REST endpoints for
// server-to-server callers.
//
// Every endpoint runs a fixed GraphQL operation (operations.go) through the
// same gqlgen executor, resolvers, tenancy rules, dataloaders and error
// presenter as /graphql, and reshapes the result: no query logic lives here.
// The operations alias each field to its REST name, so a GraphQL node is
// already a REST object; this package only validates parameters, maps
// connection page info to the REST pagination object and errors to the REST
// envelope.
package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/gorilla/mux"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/observe"
)

// Prefix is where the API is mounted.
const Prefix = "/v1/backend"

// Handler serves the REST API.
type Handler struct {
	exec   *executor.Executor
	logger *slog.Logger
	router *mux.Router
}

// New returns the REST handler. exec must be an executor of Parley's GraphQL
// schema (graph.NewExecutor); requests must already carry a viewer and
// loaders in their context.
func New(exec *executor.Executor, logger *slog.Logger) *Handler {
	h := &Handler{exec: exec, logger: logger}
	r := mux.NewRouter()
	r.HandleFunc(Prefix+"/conversations", h.listConversations).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/conversations/{id}", h.getConversation).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/conversations/{id}/transcript", h.getTranscript).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/agents", h.listAgents).Methods(http.MethodGet)
	r.HandleFunc(Prefix+"/agents/{id}", h.getAgent).Methods(http.MethodGet)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, apperr.NotFoundf("no route %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodGet)
		WriteError(w, r, apperr.New(apperr.MethodNotAllowed, "method %s is not allowed on %s; use GET", r.Method, r.URL.Path))
	})
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if tpl, err := mux.CurrentRoute(req).GetPathTemplate(); err == nil {
				observe.SetRoute(req.Context(), tpl)
			}
			next.ServeHTTP(w, req)
		})
	})
	h.router = r
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			h.logger.ErrorContext(r.Context(), "rest handler panicked", "panic", p, "path", r.URL.Path, "stack", string(debug.Stack()))
			WriteError(w, r, apperr.New(apperr.Internal, "internal error"))
		}
	}()
	h.router.ServeHTTP(w, r)
}

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
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return fmt.Errorf("rest: decoding GraphQL result: %w", err)
	}
	return nil
}

func fromGraphQL(message string, ext map[string]any) error {
	code, _ := ext["code"].(string)
	if code == "" {
		code = string(apperr.Internal)
	}
	return &apperr.Error{Code: apperr.Code(code), Message: message}
}

// respond writes a 200 JSON answer, or the error envelope.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, body any, err error) {
	if err != nil {
		e, ok := apperr.As(err)
		if !ok {
			h.logger.ErrorContext(r.Context(), "rest request failed", "error", err, "path", r.URL.Path)
			e = apperr.New(apperr.Internal, "internal error")
		}
		WriteError(w, r, e)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// jsonAppender is a body that writes its own JSON. The REST bodies embed
// objects the GraphQL executor already rendered as compact JSON; writing
// them as they are skips encoding/json's re-validation of every byte.
type jsonAppender interface {
	appendJSON(b []byte) []byte
	jsonSize() int // a close upper estimate, to allocate once
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if a, ok := body.(jsonAppender); ok {
		_, _ = w.Write(append(a.appendJSON(make([]byte, 0, a.jsonSize()+1)), '\n'))
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}

// WriteError writes the REST error envelope. It is also used by the
// authentication middleware in front of this handler.
func WriteError(w http.ResponseWriter, _ *http.Request, err *apperr.Error) {
	type body struct {
		Code    apperr.Code `json:"code"`
		Message string      `json:"message"`
	}
	if err.Code == apperr.RateLimited && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, err.Code.HTTPStatus(), map[string]body{"error": {Code: err.Code, Message: err.Message}})
}
