// Package observe gives every request an ID, an access log line and
// Prometheus metrics. Inner layers (authentication, the REST router, the
// GraphQL executor) fill in what only they know through the request's Info.
package observe

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"time"

	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// Info is what the access log says about a request. Inner handlers fill it.
type Info struct {
	mu             sync.Mutex
	requestID      string
	route          string
	organizationID string
	operation      string
}

type infoKey struct{}

func infoFrom(ctx context.Context) *Info {
	i, _ := ctx.Value(infoKey{}).(*Info)
	return i
}

// RequestID returns the request's ID, or "" outside a request.
func RequestID(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.requestID
	}
	return ""
}

func (i *Info) set(f func(*Info)) {
	if i != nil {
		i.mu.Lock()
		f(i)
		i.mu.Unlock()
	}
}

// SetRoute records the route template that served the request.
func SetRoute(ctx context.Context, route string) {
	infoFrom(ctx).set(func(i *Info) { i.route = route })
}

// SetOrganization records the caller's organization.
func SetOrganization(ctx context.Context, id string) {
	infoFrom(ctx).set(func(i *Info) { i.organizationID = id })
}

// SetOperation records the GraphQL operation name.
func SetOperation(ctx context.Context, name string) {
	infoFrom(ctx).set(func(i *Info) { i.operation = name })
}

// validRequestID accepts caller-supplied IDs that are safe to log and echo.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// Middleware assigns the request ID (X-Request-Id from the caller when it is
// sane, otherwise a new one), echoes it, and after the request writes one
// access log line and records metrics. It logs no keys, bodies or queries.
func Middleware(logger *slog.Logger, m *Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := r.Header.Get("X-Request-Id")
			if !validRequestID.MatchString(id) {
				id = rand.Text()
			}
			w.Header().Set("X-Request-Id", id)
			info := &Info{requestID: id, route: "unmatched"}
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
			elapsed := time.Since(start)

			info.mu.Lock()
			route, org, op := info.route, info.organizationID, info.operation
			info.mu.Unlock()
			m.observeRequest(r.Method, route, op, rec.status, elapsed)
			nameSpan(r, route)
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", rec.status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.String("organization_id", org),
				slog.String("operation", op),
				slog.Int64("bytes", rec.bytes),
			)
		})
	}
}

// nameSpan names the request's trace span (TraceHTTP's, when tracing is on)
// by its route template, known only now: a name per raw path would make
// every object ID a span name of its own.
func nameSpan(r *http.Request, route string) {
	if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
		span.SetName(r.Method + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route))
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// LogHandler adds the request ID to every log record made with a request's
// context, so a panic or error log line can be matched to its access log.
type LogHandler struct{ slog.Handler }

func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(attrs)}
}

func (h LogHandler) WithGroup(name string) slog.Handler { return LogHandler{h.Handler.WithGroup(name)} }
