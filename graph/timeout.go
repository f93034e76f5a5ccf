package graph

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"

	"github.com/parleyhq/parley/internal/apperr"
)

// An operation that ran out of time is answered with the timeout code's
// status (504), like every refusal before execution (401, 413, 429), so
// load balancers, clients and the access log see it; gqlgen would answer
// 200. The body is still the GraphQL response, with whatever data was
// resolved in time.

type timedOutKey struct{}

// timeoutStatus passes the HTTP status of a timed-out operation to the
// response writer.
func timeoutStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timedOut := new(atomic.Bool)
		ctx := context.WithValue(r.Context(), timedOutKey{}, timedOut)
		next.ServeHTTP(&statusWriter{ResponseWriter: w, timedOut: timedOut}, r.WithContext(ctx))
	})
}

// markTimeouts notes a response that carries a timeout error; it runs
// after the errors are presented and before the transport writes.
func markTimeouts(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	timedOut, _ := ctx.Value(timedOutKey{}).(*atomic.Bool)
	if resp == nil || timedOut == nil {
		return resp
	}
	for _, e := range resp.Errors {
		if e.Extensions["code"] == string(apperr.Timeout) {
			timedOut.Store(true)
			break
		}
	}
	return resp
}

// statusWriter turns the implicit 200 of a timed-out operation into 504.
type statusWriter struct {
	http.ResponseWriter
	timedOut    *atomic.Bool
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		if code == http.StatusOK && w.timedOut.Load() {
			code = apperr.Timeout.HTTPStatus()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
