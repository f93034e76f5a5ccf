package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/ent/webhookdelivery"
	"github.com/parleyhq/parley/internal/dbtime"
)

// Retention is how long the delivery log and dispatched events are kept:
// an event older than that can no longer be redelivered or replayed.
const Retention = 30 * 24 * time.Hour

// pruneBatch bounds the rows one DELETE removes, so pruning a large
// backlog never holds a long lock.
const pruneBatch = 5000

// pruneArgs is the hourly job that deletes what is past Retention. River
// runs periodic jobs on its elected leader only: one replica prunes.
type pruneArgs struct{}

func (pruneArgs) Kind() string { return "webhook_prune" }

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	s *Service
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[pruneArgs]) error {
	_, _, err := w.s.Prune(ctx, time.Now().Add(-Retention))
	return err
}

func prunePeriodically() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return pruneArgs{}, &river.InsertOpts{Queue: queueName}
	}, &river.PeriodicJobOpts{ID: "webhook_prune", RunOnStart: true})
}

// Prune deletes the delivery log entries attempted before cutoff and the
// events that happened before it and were dispatched (an undispatched one
// waits for the relay, however old), in batches. It returns how many of
// each it deleted.
func (s *Service) Prune(ctx context.Context, cutoff time.Time) (deliveries, events int, err error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	cutoff = dbtime.Of(cutoff)
	for {
		ids, err := s.db.Client.WebhookDelivery.Query().
			Where(webhookdelivery.AttemptedAtLT(cutoff)).Limit(pruneBatch).IDs(ctx)
		if err != nil {
			return deliveries, events, fmt.Errorf("pruning the delivery log: %w", err)
		}
		if len(ids) > 0 {
			n, err := s.db.Client.WebhookDelivery.Delete().Where(webhookdelivery.IDIn(ids...)).Exec(ctx)
			if err != nil {
				return deliveries, events, fmt.Errorf("pruning the delivery log: %w", err)
			}
			deliveries += n
		}
		if len(ids) < pruneBatch {
			break
		}
	}
	for {
		ids, err := s.db.Client.Event.Query().
			Where(event.OccurredAtLT(cutoff), event.DispatchedAtNotNil()).Limit(pruneBatch).IDs(ctx)
		if err != nil {
			return deliveries, events, fmt.Errorf("pruning events: %w", err)
		}
		if len(ids) > 0 {
			n, err := s.db.Client.Event.Delete().Where(event.IDIn(ids...)).Exec(ctx)
			if err != nil {
				return deliveries, events, fmt.Errorf("pruning events: %w", err)
			}
			events += n
		}
		if len(ids) < pruneBatch {
			break
		}
	}
	return deliveries, events, nil
}
