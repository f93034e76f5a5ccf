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
//
// routes.go has the routes and their handlers, params.go the parameters,
// bridge.go the call into the executor, render.go the bodies and the error
// envelope, operations.go the GraphQL operations, openapi.go the document.
package rest

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/paging"
)

// Prefix is where the API is mounted.
const Prefix = "/v1/backend"

// Handler serves the REST API.
type Handler struct {
	exec   *executor.Executor
	logger *slog.Logger
	router *mux.Router
	live   *live.Broker // nil: no event streams
	client *ent.Client  // reads the outbox to replay events
}

// New returns the REST handler. exec must be an executor of Parley's GraphQL
// schema (graph.NewExecutor), which gives each operation its own loaders;
// requests must already carry a viewer in their context.
func New(exec *executor.Executor, logger *slog.Logger, opts ...Option) *Handler {
	h := &Handler{exec: exec, logger: logger}
	for _, o := range opts {
		o(h)
	}
	r := mux.NewRouter()
	page := []string{"limit", "after", "before"}
	// The methods each path answers, for the Allow header of a 405.
	var allowed []pathMethods
	route := func(path string, handler http.Handler, methods ...string) {
		rt := r.Handle(Prefix+path, handler).Methods(methods...)
		tpl, err := rt.GetPathRegexp()
		if err != nil {
			panic(fmt.Sprintf("rest: route %s: %v", path, err)) // a typo in the table above
		}
		allowed = append(allowed, pathMethods{regexp.MustCompile(tpl), methods})
	}
	route("/conversations", takes(h.listConversations, append(page, "status", "agent_id")...), http.MethodGet)
	route("/conversations/{id}", takes(h.getConversation), http.MethodGet)
	route("/conversations/{id}/transcript", takes(h.getTranscript), http.MethodGet)
	route("/conversations/{id}/messages", takes(h.listMessages, page...), http.MethodGet)
	route("/conversations/{id}/events", takes(h.streamConversationEvents), http.MethodGet)
	route("/agents", takes(h.listAgents, page...), http.MethodGet)
	route("/agents/{id}", takes(h.getAgent), http.MethodGet)
	route("/webhooks", takes(h.listWebhookEndpoints), http.MethodGet)
	route("/webhooks", takes(h.createWebhookEndpoint), http.MethodPost)
	route("/webhooks/test", takes(h.sendTestWebhook), http.MethodPost)
	route("/webhooks/{id}", takes(h.getWebhookEndpoint), http.MethodGet)
	route("/webhooks/{id}", takes(h.updateWebhookEndpoint), http.MethodPatch)
	route("/webhooks/{id}", takes(h.deleteWebhookEndpoint), http.MethodDelete)
	route("/webhooks/{id}/rotate-secret", takes(h.rotateWebhookSecret), http.MethodPost)
	route("/webhooks/{id}/redeliver", takes(h.redeliverWebhookEvent), http.MethodPost)
	route("/webhooks/{id}/deliveries", takes(h.listWebhookDeliveries, page...), http.MethodGet)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, apperr.NotFoundf("no route %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		methods := allowedMethods(allowed, req.URL.Path)
		w.Header().Set("Allow", strings.Join(methods, ", "))
		WriteError(w, req, apperr.New(apperr.MethodNotAllowed, "method %s is not allowed on %s; use %s", req.Method, req.URL.Path, strings.Join(methods, " or ")))
	})
	h.router = r
	return h
}

// NameRoutes names each request that matches a route by its template (in
// the access log, metrics and trace) before next runs. Put in front of the
// middleware that may refuse a request (key check, rate limit, body
// limit), it counts those refusals under their route, not "unmatched".
func (h *Handler) NameRoutes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m mux.RouteMatch
		if h.router.Match(r, &m) && m.MatchErr == nil && m.Route != nil {
			if tpl, err := m.Route.GetPathTemplate(); err == nil {
				observe.SetRoute(r.Context(), tpl)
			}
		}
		next.ServeHTTP(w, r)
	})
}

type pathMethods struct {
	path    *regexp.Regexp
	methods []string
}

// allowedMethods are the methods of the routes whose path matches path,
// with HEAD wherever GET is (ServeHTTP serves HEAD as GET).
func allowedMethods(routes []pathMethods, path string) []string {
	var out []string
	for _, rt := range routes {
		if !rt.path.MatchString(path) {
			continue
		}
		for _, m := range rt.methods {
			out = append(out, m)
			if m == http.MethodGet {
				out = append(out, http.MethodHead)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			h.logger.ErrorContext(r.Context(), "rest handler panicked", "panic", p, "path", r.URL.Path, "stack", string(debug.Stack()))
			WriteError(w, r, apperr.New(apperr.Internal, "internal error"))
		}
	}()
	if r.Method == http.MethodHead {
		// HEAD is GET without the body, which net/http drops: the routes,
		// and so the OpenAPI document, list GET only.
		r = r.Clone(r.Context())
		r.Method = http.MethodGet
	}
	h.router.ServeHTTP(w, r)
}

func (h *Handler) listConversations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := parsePage(q, "Conversation", paging.DefaultOrderField)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	where, err := conversationFilter(q)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	vars := p.vars()
	vars["where"] = where
	var out connection
	if err := h.execute(r.Context(), listConversations, vars, &out); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, out.body(p), nil)
}

func (h *Handler) listAgents(w http.ResponseWriter, r *http.Request) {
	p, err := parsePage(r.URL.Query(), "Agent", paging.DefaultOrderField)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	var out connection
	if err := h.execute(r.Context(), listAgents, p.vars(), &out); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, out.body(p), nil)
}

func (h *Handler) getConversation(w http.ResponseWriter, r *http.Request) {
	h.getObject(w, r, getConversation, "conversation", nil)
}

// getTranscript serves a transcript whole; one too long for that points to
// the endpoint that pages it.
func (h *Handler) getTranscript(w http.ResponseWriter, r *http.Request) {
	h.getObject(w, r, getTranscript, "conversation", func(id uuid.UUID, err error) error {
		if e, ok := apperr.As(err); ok && e.Code == apperr.BudgetExceeded {
			return apperr.New(apperr.BudgetExceeded, "the transcript of conversation %s is too long to serve whole; read it page by page with GET %s/conversations/%s/messages", id, Prefix, id)
		}
		return err
	})
}

// listMessages serves a transcript page by page, oldest first: the way to
// read one too long to be served whole.
func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	p, err := parsePage(r.URL.Query(), "Message", "POSITION")
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	vars := p.vars()
	vars["id"] = id.String()
	var out objectConnection
	err = missing(h.execute(r.Context(), listMessages, vars, &out), out.Object == nil, "conversation", id)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, out.Object.body(p), nil)
}

func (h *Handler) getAgent(w http.ResponseWriter, r *http.Request) {
	h.getObject(w, r, getAgent, "agent", nil)
}

// getObject answers a single-object endpoint. Unknown IDs and IDs of other
// organizations or modes get the same 404; explain, if set, may reword
// another error for this endpoint.
func (h *Handler) getObject(w http.ResponseWriter, r *http.Request, query, label string, explain func(uuid.UUID, error) error) {
	id, err := pathID(r)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	var out objectResult
	err = missing(h.execute(r.Context(), query, map[string]any{"id": id.String()}, &out), isNull(out.Object), label, id)
	if err != nil && explain != nil {
		err = explain(id, err)
	}
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, objectBody{Data: out.Object}, nil)
}

// pathID is the {id} of the route: a hyphenated UUID, else a 400.
func pathID(r *http.Request) (uuid.UUID, error) {
	raw := mux.Vars(r)["id"]
	id, err := parseUUID(raw)
	if err != nil {
		return uuid.Nil, apperr.Invalidf("id: %s is not a UUID", apperr.Echo(raw))
	}
	return id, nil
}

// missing is the 404 of an object that does not exist for this caller
// (unknown, or another organization's or mode's), whether the resolver
// said not_found or answered null.
func missing(err error, null bool, label string, id uuid.UUID) error {
	if e, ok := apperr.As(err); ok && e.Code == apperr.NotFound || err == nil && null {
		return apperr.NotFoundf("%s %s not found", label, id)
	}
	return err
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }
