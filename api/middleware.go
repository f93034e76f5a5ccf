package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/graph"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/rest"
)

// errorWriter answers a request refused before it reaches an API, in that
// API's own error format.
type errorWriter = func(http.ResponseWriter, *http.Request, *apperr.Error)

// limitBody answers 413 to a body over max bytes, before it is parsed. A
// body without a declared length is read up to the limit first.
func limitBody(max int64, write errorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tooLarge := func() {
				write(w, r, apperr.New(apperr.PayloadTooLarge, "the request body is larger than %d bytes", max))
			}
			if r.ContentLength > max {
				tooLarge()
				return
			}
			if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
				body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
				if err != nil {
					write(w, r, apperr.Invalidf("reading the request body: %v", err))
					return
				}
				if int64(len(body)) > max {
					tooLarge()
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			} else {
				r.Body = http.MaxBytesReader(w, r.Body, max)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// withDeadline gives every request a deadline, the one place both APIs get
// it from. The context also ends when the client goes away; resolvers,
// loaders and SQL statements (pgx and modernc's SQLite both stop on it) all
// run under it, so a request stops costing anything once nobody can use
// its answer. A resolver stopped this way answers with the timeout code.
//
// Streams (websockets, Server-Sent Events) have none: they live until the
// client leaves or the server shuts down, and each event they send is
// read under a budget of its own.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// isStream reports a request that opens a stream: a GraphQL websocket or
// SSE subscription, or a REST event stream (which curl asks for without
// Accept: text/event-stream).
func isStream(r *http.Request) bool {
	return graph.IsStream(r) || r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, rest.Prefix+"/conversations/") && strings.HasSuffix(r.URL.Path, "/events")
}

// named names the route template in the access log and metrics.
func named(template string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		observe.SetRoute(r.Context(), template)
		next.ServeHTTP(w, r)
	})
}

// writeGraphQLError answers a GraphQL request refused before execution (no
// key, rate limited, body too large) with a GraphQL-shaped error body.
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
