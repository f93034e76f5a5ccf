package observe

import (
	"context"
	"database/sql"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics.
type Metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	sqlStatements prometheus.Counter
	rateLimited   prometheus.Counter

	mu         sync.Mutex
	operations map[string]bool
}

// maxOperations caps the distinct GraphQL operation names used as a label:
// callers choose those names, and each one is a new time series.
const maxOperations = 200

var operationName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// NewMetrics returns the server's metrics, registered in a registry of
// their own.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_http_requests_total",
			Help: "HTTP requests by method, route template, GraphQL operation and status.",
		}, []string{"method", "route", "operation", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parley_http_request_duration_seconds",
			Help:    "HTTP request latency by method, route template and GraphQL operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "operation"}),
		sqlStatements: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_sql_statements_total",
			Help: "SQL statements sent to the database.",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_rate_limited_total",
			Help: "Requests rejected by the per-key rate limit.",
		}),
		operations: map[string]bool{},
	}
	reg.MustRegister(m.requests, m.duration, m.sqlStatements, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchPool adds the connection pool statistics of db.
func (m *Metrics) WatchPool(db *sql.DB) {
	m.registry.MustRegister(collectors.NewDBStatsCollector(db, "parley"))
}

// Register adds collectors of another part of the server (webhook
// deliveries, say) to the server's metrics.
func (m *Metrics) Register(cs ...prometheus.Collector) {
	if m != nil {
		m.registry.MustRegister(cs...)
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// RateLimited counts one request rejected by the rate limit.
func (m *Metrics) RateLimited() {
	if m != nil {
		m.rateLimited.Inc()
	}
}

func (m *Metrics) operationLabel(op string) string {
	if op == "" {
		return ""
	}
	if !operationName.MatchString(op) {
		return "other"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.operations[op] {
		return op
	}
	if len(m.operations) >= maxOperations {
		return "other"
	}
	// The name is a slice of the query's text, which it would keep alive
	// for good as a label: copy it.
	op = strings.Clone(op)
	m.operations[op] = true
	return op
}

func (m *Metrics) observeRequest(method, route, op string, status int, d time.Duration) {
	if m == nil {
		return
	}
	op = m.operationLabel(op)
	// Label values are kept by the metric vectors; known names come back
	// as the copy stored above.
	m.requests.WithLabelValues(method, route, op, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route, op).Observe(d.Seconds())
}

// Driver wraps an ent driver so that every statement is counted.
func (m *Metrics) Driver(drv dialect.Driver) dialect.Driver {
	return WatchStatements(drv, func(string) { m.sqlStatements.Inc() })
}

// WatchStatements wraps an ent driver so that onStatement sees every SQL
// statement sent through it, inside transactions too.
func WatchStatements(drv dialect.Driver, onStatement func(query string)) dialect.Driver {
	return WatchStatementArgs(drv, func(query string, _ any) { onStatement(query) })
}

// WatchStatementArgs is WatchStatements that also hands onStatement the
// statement's bind arguments, as given to the driver (usually []any).
func WatchStatementArgs(drv dialect.Driver, onStatement func(query string, args any)) dialect.Driver {
	return &watchedDriver{Driver: drv, on: onStatement}
}

type watchedDriver struct {
	dialect.Driver
	on func(string, any)
}

func (d *watchedDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.on(query, args)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *watchedDriver) Query(ctx context.Context, query string, args, v any) error {
	d.on(query, args)
	return d.Driver.Query(ctx, query, args, v)
}

func (d *watchedDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &watchedTx{Tx: tx, on: d.on}, nil
}

type watchedTx struct {
	dialect.Tx
	on func(string, any)
}

func (t *watchedTx) Exec(ctx context.Context, query string, args, v any) error {
	t.on(query, args)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *watchedTx) Query(ctx context.Context, query string, args, v any) error {
	t.on(query, args)
	return t.Tx.Query(ctx, query, args, v)
}
