// Package delivery delivers webhooks. A relay reads the events that
// conversation changes record in their own transactions (the outbox, see
// internal/conversations) and queues one delivery per event and
// subscribed endpoint, in the transaction that marks the event dispatched;
// River works the queue: attempts with a timeout, retries on a schedule,
// claims that several replicas can share (SKIP LOCKED on PostgreSQL), and
// the rescue of attempts a crashed process left running.
package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/webhook"
)

// queueName is River's queue for webhook attempts.
const queueName = "webhooks"

// Options configure deliveries.
type Options struct {
	// Client configures each attempt: private addresses, timeout, how much
	// of an answer is read.
	Client webhook.ClientOptions
	// Workers bounds the attempts in flight in this process; a slow
	// receiver holds one of them for at most Client.Timeout.
	Workers int
	// Retries are the waits after each failed attempt; their count plus one
	// is the number of attempts. Defaults to Schedule.
	Retries []time.Duration
	// DisableAfter disables an endpoint whose deliveries have failed
	// without a success for this long.
	DisableAfter time.Duration
	// Poll is how often the relay and River look for new work.
	Poll    time.Duration
	Logger  *slog.Logger
	Metrics *observe.Metrics
}

// Schedule is the default wait after each failed attempt: eight attempts
// over about 27.5 hours (each wait varies by up to a tenth either way, so
// that receivers coming back are not hit all at once).
var Schedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// DefaultOptions deliver with the default client, 20 attempts at a time,
// on Schedule, and disable an endpoint after five days of failures.
func DefaultOptions() Options {
	return Options{
		Client:       webhook.DefaultClientOptions,
		Workers:      20,
		Retries:      Schedule,
		DisableAfter: 5 * 24 * time.Hour,
		Poll:         200 * time.Millisecond,
	}
}

// Service relays and delivers. Stop it before closing the database.
type Service struct {
	db      *database.DB
	pool    *sql.DB
	queue   *river.Client[*sql.Tx]
	http    *http.Client
	opts    Options
	log     *slog.Logger
	metrics *metrics
	// retryAt hands the next attempt's time from Work, which logs it, to
	// NextRetry, which schedules it.
	retryAt sync.Map

	stopRelay context.CancelFunc
	relayDone chan struct{}
}

// Start begins relaying and delivering. ctx bounds only the start.
func Start(ctx context.Context, db *database.DB, opts Options) (*Service, error) {
	def := DefaultOptions()
	if opts.Workers <= 0 {
		opts.Workers = def.Workers
	}
	if opts.Retries == nil {
		opts.Retries = def.Retries
	}
	if opts.DisableAfter <= 0 {
		opts.DisableAfter = def.DisableAfter
	}
	if opts.Poll <= 0 {
		opts.Poll = def.Poll
	}
	if opts.Client.Timeout <= 0 {
		opts.Client = webhook.ClientOptions{AllowPrivate: opts.Client.AllowPrivate, Timeout: def.Client.Timeout, MaxResponseBytes: def.Client.MaxResponseBytes}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	// SQLite has one writer: River's own bookkeeping goes through a single
	// connection (as its SQLite driver advises) and waits for the lock
	// there instead of failing with "database is locked".
	conns := 4
	if db.Dialect == dialect.SQLite {
		conns = 1
	}
	pool, err := db.OpenPool(ctx, conns)
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	s := &Service{
		db:      db,
		pool:    pool,
		http:    webhook.NewClient(opts.Client),
		opts:    opts,
		log:     opts.Logger.With("component", "webhooks"),
		metrics: newMetrics(),
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &attemptWorker{s: s}); err != nil {
		pool.Close()
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &pruneWorker{s: s}); err != nil {
		pool.Close()
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	s.queue, err = river.NewClient(db.QueueDriver(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{queueName: {MaxWorkers: opts.Workers}},
		Workers:           workers,
		PeriodicJobs:      []*river.PeriodicJob{prunePeriodically()},
		PollOnly:          true,
		FetchPollInterval: opts.Poll,
		// While the queue is busy, fetch again as soon as 5 ms after the
		// last fetch: each fetch claims at most Workers jobs, so River's
		// default of 100 ms would cap a process at 200 deliveries a
		// second (BenchmarkDelivery).
		FetchCooldown: 5 * time.Millisecond,
		// An attempt lasts at most the client's timeout; one still
		// "running" well after that was left by a process that died.
		RescueStuckJobsAfter: 2*opts.Client.Timeout + time.Minute,
		Logger:               quietLogger(s.log),
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	if err := s.queue.Start(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("webhook deliveries: starting the queue: %w", err)
	}
	opts.Metrics.Register(s.metrics.attempts, s.metrics.queued, queueCollector{s}) // a no-op without metrics
	relayCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopRelay, s.relayDone = stop, make(chan struct{})
	go s.relay(relayCtx)
	return s, nil
}

// Stop ends relaying, lets attempts in flight finish until ctx ends (then
// cancels them: they are retried later, by this or another replica), and
// closes the queue's connections.
func (s *Service) Stop(ctx context.Context) error {
	s.stopRelay()
	<-s.relayDone
	err := s.queue.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = s.queue.StopAndCancel(hard)
	}
	if cerr := s.pool.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("stopping webhook deliveries: %w", err)
	}
	return nil
}

// quietLogger keeps River's routine messages (started, elected leader)
// out of the server's log; its warnings and errors stay.
func quietLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFloor{l.Handler(), slog.LevelWarn})
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(as), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}

// attemptArgs is one delivery: an event to an endpoint. River retries it
// with the same arguments, so the event id (the webhook-id header) stays
// the same across attempts.
type attemptArgs struct {
	EventID        uuid.UUID `json:"event_id"`
	EndpointID     uuid.UUID `json:"endpoint_id"`
	OrganizationID uuid.UUID `json:"organization_id"`
	Livemode       bool      `json:"livemode"`
	// TestAt is set on a test.event, which has no outbox row: when it was
	// sent (Unix milliseconds).
	TestAt int64 `json:"test_at,omitempty"`
	// Redelivery tells a redelivery apart from the delivery it repeats,
	// which is unique per event and endpoint.
	Redelivery int64 `json:"redelivery,omitempty"`
}

func (attemptArgs) Kind() string { return "webhook_delivery" }

func (s *Service) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{
		Queue:       queueName,
		MaxAttempts: len(s.opts.Retries) + 1,
		// With the relay's marking, a second guard that an event reaches
		// an endpoint once per delivery, whichever replica relays it.
		UniqueOpts: river.UniqueOpts{ByArgs: true},
	}
}
