package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/ent/privacy"
)

type metrics struct {
	attempts *prometheus.CounterVec
	queued   prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_webhook_attempts_total",
			Help: "Webhook delivery attempts by outcome: success (2xx), failure (retried), gone (410: endpoint disabled).",
		}, []string{"outcome"}),
		queued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_webhook_deliveries_queued_total",
			Help: "Webhook deliveries queued by this process's relay.",
		}),
	}
}

func (m *metrics) outcome(o string) { m.attempts.WithLabelValues(o).Inc() }

// queueCollector reads the queue's state from the database when scraped:
// every replica reports the same shared queue.
type queueCollector struct{ s *Service }

var (
	depthDesc = prometheus.NewDesc("parley_webhook_queue_depth",
		"Webhook deliveries waiting for an attempt, in flight, or waiting to be retried (all replicas).", nil, nil)
	oldestDesc = prometheus.NewDesc("parley_webhook_oldest_pending_seconds",
		"Age of the oldest webhook delivery not yet finished (0 when none).", nil, nil)
	outboxDesc = prometheus.NewDesc("parley_webhook_outbox_pending",
		"Committed events the relay has not yet turned into deliveries.", nil, nil)
)

func (queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- depthDesc
	ch <- oldestDesc
	ch <- outboxDesc
}

var pendingStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	depth, oldest, outbox, err := c.s.queueState(ctx)
	if err != nil {
		c.s.log.Warn("webhook metrics", "error", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(depth))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, oldest.Seconds())
	ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(outbox))
}

// queueState counts the deliveries not yet finished, the age of the
// oldest, and the events still waiting for the relay.
func (s *Service) queueState(ctx context.Context) (depth int, oldest time.Duration, outbox int, err error) {
	// The state names are River's own constants, not input.
	q := fmt.Sprintf("SELECT count(*) FROM river_job WHERE kind = '%s' AND state IN ('available', 'running', 'retryable', 'scheduled')", attemptArgs{}.Kind())
	if err := s.pool.QueryRowContext(ctx, q).Scan(&depth); err != nil {
		return 0, 0, 0, fmt.Errorf("counting queued deliveries: %w", err)
	}
	first, err := s.queue.JobList(ctx, river.NewJobListParams().
		Kinds(attemptArgs{}.Kind()).States(pendingStates...).
		OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(1))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("finding the oldest delivery: %w", err)
	}
	if len(first.Jobs) > 0 {
		oldest = time.Since(first.Jobs[0].CreatedAt)
	}
	outbox, err = s.db.Client.Event.Query().Where(event.DispatchedAtIsNil()).Count(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("counting undispatched events: %w", err)
	}
	return depth, oldest, outbox, nil
}
