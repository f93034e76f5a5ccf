package observe

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"entgo.io/ent/dialect"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

const tracerName = "github.com/parleyhq/parley"

// TracingEnabled reports whether an OTLP endpoint is configured, through
// the standard OpenTelemetry environment variables.
func TracingEnabled() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// SetupTracing exports traces over OTLP/HTTP to the configured endpoint.
// The returned function flushes and stops the exporter.
func SetupTracing(ctx context.Context) (func(context.Context) error, error) {
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: creating the OTLP exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName("parley")))
	if err != nil {
		return nil, fmt.Errorf("tracing: describing the service: %w", err)
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return provider.Shutdown, nil
}

// TraceHTTP starts a span for every request (continuing the caller's trace
// from its traceparent header). It is named by the method alone here, and
// renamed by the route template once Middleware knows it.
func TraceHTTP(next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "http", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
		return r.Method
	}))
}

// StartSpan starts a child span, but only inside a trace being recorded, so
// it costs next to nothing when tracing is off.
func StartSpan(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span, bool) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil, false
	}
	ctx, span := otel.Tracer(tracerName).Start(ctx, name, trace.WithAttributes(attrs...))
	return ctx, span, true
}

// EndSpan records err, if any, and ends span.
func EndSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// TraceStatements wraps an ent driver so that each SQL statement is a span.
func TraceStatements(drv dialect.Driver) dialect.Driver {
	return &tracedDriver{Driver: drv}
}

type tracedDriver struct{ dialect.Driver }

func traced(ctx context.Context, system, query string, run func(context.Context) error) error {
	ctx, span, ok := StartSpan(ctx, "sql", attribute.String("db.system", system), attribute.String("db.statement", query))
	if !ok {
		return run(ctx)
	}
	err := run(ctx)
	EndSpan(span, err)
	return err
}

func (d *tracedDriver) Exec(ctx context.Context, query string, args, v any) error {
	return traced(ctx, d.Dialect(), query, func(ctx context.Context) error { return d.Driver.Exec(ctx, query, args, v) })
}

func (d *tracedDriver) Query(ctx context.Context, query string, args, v any) error {
	return traced(ctx, d.Dialect(), query, func(ctx context.Context) error { return d.Driver.Query(ctx, query, args, v) })
}

func (d *tracedDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &tracedTx{Tx: tx, system: d.Dialect()}, nil
}

type tracedTx struct {
	dialect.Tx
	system string
}

func (t *tracedTx) Exec(ctx context.Context, query string, args, v any) error {
	return traced(ctx, t.system, query, func(ctx context.Context) error { return t.Tx.Exec(ctx, query, args, v) })
}

func (t *tracedTx) Query(ctx context.Context, query string, args, v any) error {
	return traced(ctx, t.system, query, func(ctx context.Context) error { return t.Tx.Query(ctx, query, args, v) })
}
