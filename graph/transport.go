package graph

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/parleyhq/parley/internal/apperr"
)

// gqlgen's transports write some refusals themselves, with no
// extensions.code and past the error presenter: a query string, variables
// or extensions that do not decode, a mutation over GET, and a request no
// transport supports. The wrappers here answer those through the executor's
// DispatchError, so the presenter gives them a code like every other error.

// getTransport is gqlgen's GET transport with its own refusals presented.
type getTransport struct{ transport.GET }

func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeRefusal(w, r, exec, http.StatusBadRequest, apperr.Invalidf("the query string does not parse"))
		return
	}
	for _, name := range []string{"variables", "extensions"} {
		if raw := query.Get(name); raw != "" {
			var v map[string]any
			if json.Unmarshal([]byte(raw), &v) != nil {
				writeRefusal(w, r, exec, http.StatusBadRequest, apperr.Invalidf("%s: must be a JSON object", name))
				return
			}
		}
	}
	queries := &queriesOnly{GraphExecutor: exec}
	t.GET.Do(&refusedWriter{ResponseWriter: w, refused: &queries.refused}, r, queries)
}

// queriesOnly refuses, through the presenter, an operation GET must not
// run. gqlgen's GET transport checks this only after the operation context
// is made, and then writes a 406 without a code.
type queriesOnly struct {
	graphql.GraphExecutor
	refused bool
}

func (q *queriesOnly) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	oc, errs := q.GraphExecutor.CreateOperationContext(ctx, params)
	if errs == nil && oc.Operation != nil && oc.Operation.Operation != ast.Query {
		q.refused = true
		err := apperr.New(apperr.MethodNotAllowed, "a %s cannot be sent with GET; use POST", oc.Operation.Operation)
		return oc, gqlerror.List{{Message: err.Message, Err: err}}
	}
	return oc, errs
}

// refusedWriter answers 405 with Allow: POST once queriesOnly refused the
// operation; GraphQL over HTTP asks for 405, where gqlgen would pick 200.
type refusedWriter struct {
	http.ResponseWriter
	refused *bool
}

func (w *refusedWriter) WriteHeader(status int) {
	if *w.refused {
		w.Header().Set("Allow", http.MethodPost)
		status = http.StatusMethodNotAllowed
	}
	w.ResponseWriter.WriteHeader(status)
}

// unsupported is the last transport: it takes every request the others do
// not (another method, a POST that is not application/json) instead of
// gqlgen's uncoded "transport not supported".
type unsupported struct{}

func (unsupported) Supports(*http.Request) bool { return true }

func (unsupported) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		writeRefusal(w, r, exec, http.StatusMethodNotAllowed, apperr.New(apperr.MethodNotAllowed, "method %s is not allowed on /graphql; use POST (or GET for queries)", r.Method))
		return
	}
	writeRefusal(w, r, exec, http.StatusUnsupportedMediaType, apperr.Invalidf("a POST to /graphql needs the header Content-Type: application/json"))
}

// writeRefusal answers a request refused before any operation runs, with
// the error as the presenter shows it.
func writeRefusal(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, status int, err *apperr.Error) {
	resp := exec.DispatchError(r.Context(), gqlerror.List{{Message: err.Message, Err: err}})
	w.Header().Set("Content-Type", responseType(r))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}

// responseType is the media type gqlgen's transports answer with: the
// GraphQL response type when the client asks for it, else JSON.
func responseType(r *http.Request) string {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/graphql-response+json" {
			return mt
		}
	}
	return "application/json"
}
