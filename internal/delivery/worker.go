package delivery

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/viewer"
	"github.com/parleyhq/parley/internal/webhook"
)

// attemptWorker makes one attempt of a delivery and records it in the
// endpoint's delivery log.
type attemptWorker struct {
	river.WorkerDefaults[attemptArgs]
	s *Service
}

// Timeout leaves the HTTP client's own timeout the first word.
func (w *attemptWorker) Timeout(*river.Job[attemptArgs]) time.Duration {
	return w.s.opts.Client.Timeout + 10*time.Second
}

// NextRetry is when Work said the next attempt is due (and logged so).
func (w *attemptWorker) NextRetry(job *river.Job[attemptArgs]) time.Time {
	if at, ok := w.s.retryAt.LoadAndDelete(retryKey{job.ID, job.Attempt}); ok {
		return at.(time.Time)
	}
	return w.s.nextAttempt(job.JobRow, time.Now())
}

type retryKey struct {
	job     int64
	attempt int
}

// Outcomes of an attempt, as the metrics count them.
const (
	outcomeSuccess = "success"
	outcomeFailure = "failure"
	outcomeGone    = "gone" // 410: the endpoint is disabled
)

func (w *attemptWorker) Work(ctx context.Context, job *river.Job[attemptArgs]) error {
	s, args := w.s, job.Args
	// The attempt acts as the event's tenant: the same privacy rules as a
	// request scope every read and write below.
	ctx = viewer.NewContext(ctx, viewer.Viewer{OrganizationID: args.OrganizationID, Livemode: args.Livemode})
	ep, err := s.db.Client.WebhookEndpoint.Get(ctx, args.EndpointID)
	switch {
	case ent.IsNotFound(err):
		return river.JobCancel(errors.New("the endpoint was deleted"))
	case err != nil:
		return fmt.Errorf("loading endpoint: %w", err)
	case !ep.Enabled:
		return river.JobCancel(errors.New("the endpoint is disabled"))
	}
	envelope, err := s.envelopeOf(ctx, args)
	if ent.IsNotFound(err) {
		return river.JobCancel(errors.New("the event no longer exists"))
	}
	if err != nil {
		return err
	}
	body, err := envelope.Body()
	if err != nil {
		return river.JobCancel(err)
	}
	now := time.Now()
	header, err := webhook.Headers(args.EventID.String(), now, body, webhook.Secrets(ep, now)...)
	if err != nil {
		return river.JobCancel(fmt.Errorf("signing: %w", err))
	}
	res, sendErr := webhook.Deliver(ctx, s.http, s.opts.Client, ep.URL, header, body)

	outcome := outcomeFailure
	switch {
	case sendErr == nil && res.Status >= 200 && res.Status < 300:
		outcome = outcomeSuccess
	case sendErr == nil && res.Status == http.StatusGone:
		outcome = outcomeGone
	}
	// What the attempt means for the endpoint: a 410, or failures since
	// longer than DisableAfter, disable it.
	// (A first failure cannot disable: DisableAfter is positive.)
	said := answer(res, sendErr, s.opts.Client.Timeout)
	var disableReason string
	switch {
	case outcome == outcomeGone:
		disableReason = "the receiver answered 410 Gone"
	case outcome == outcomeFailure && ep.FailingSince != nil && now.Sub(*ep.FailingSince) >= s.opts.DisableAfter:
		disableReason = fmt.Sprintf("every delivery since %s failed; the last: %s", ep.FailingSince.UTC().Format(time.RFC3339), said)
	}
	retry := outcome == outcomeFailure && disableReason == "" && job.Attempt < job.MaxAttempts

	// The log entry and the endpoint's new state are written in one
	// transaction, so nobody reads one without the other; they are
	// written even when the attempt was cut short by a shutdown.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var next *time.Time
	if retry {
		at := s.nextAttempt(job.JobRow, time.Now())
		s.retryAt.Store(retryKey{job.ID, job.Attempt}, at)
		next = &at
	}
	err = database.InTx(ctx, s.db.Client, func(ctx context.Context, tx *ent.Client) error {
		entry := tx.WebhookDelivery.Create().
			SetEndpointID(ep.ID).
			SetEventID(args.EventID).
			SetEventType(envelope.EventType).
			SetAttempt(job.Attempt).
			SetAttemptedAt(dbtime.Of(attemptedAt(job.JobRow))).
			SetLatencyMs(int(res.Latency.Milliseconds())).
			SetSuccess(outcome == outcomeSuccess)
		if res.Status != 0 {
			entry.SetResponseStatus(res.Status)
		}
		if sendErr != nil {
			entry.SetError(said)
		}
		if next != nil {
			entry.SetNextAttemptAt(dbtime.Of(*next))
		}
		if err := entry.Exec(ctx); err != nil {
			return fmt.Errorf("recording the attempt: %w", err)
		}
		update := tx.WebhookEndpoint.UpdateOne(ep)
		switch {
		case disableReason != "":
			update.SetEnabled(false).SetDisabledReason(disableReason)
		case outcome == outcomeSuccess && ep.FailingSince != nil:
			update.ClearFailingSince()
		case outcome == outcomeFailure && ep.FailingSince == nil:
			update.SetFailingSince(dbtime.Of(now))
		default:
			return nil
		}
		if err := update.Exec(ctx); err != nil {
			return fmt.Errorf("updating the endpoint's state: %w", err)
		}
		return nil
	})
	if err != nil {
		s.log.Error("webhook: recording a delivery attempt", "error", err, "endpoint_id", ep.ID, "event_id", args.EventID)
	}
	s.metrics.outcome(outcome)

	switch {
	case outcome == outcomeSuccess:
		return nil
	case disableReason != "":
		if err == nil {
			s.log.Warn("webhook endpoint disabled", "endpoint_id", ep.ID, "organization_id", ep.OrganizationID, "reason", disableReason)
		}
		return river.JobCancel(errors.New(disableReason))
	}
	return fmt.Errorf("attempt %d: %s", job.Attempt, said)
}

// envelopeOf builds the body of a delivery: the outbox event, or the
// fixed payload of a test.event.
func (s *Service) envelopeOf(ctx context.Context, args attemptArgs) (webhook.Envelope, error) {
	if args.TestAt != 0 {
		return webhook.NewEnvelope(webhook.TestEvent, args.EventID, time.UnixMilli(args.TestAt), args.OrganizationID, webhook.TestData()), nil
	}
	e, err := s.db.Client.Event.Get(ctx, args.EventID)
	if err != nil {
		return webhook.Envelope{}, err
	}
	return webhook.NewEnvelope(e.Type, e.ID, e.OccurredAt, e.OrganizationID, e.Data), nil
}

// nextAttempt is when the attempt after job's current one is due: the
// schedule's wait from now, when this attempt ended, varied by up to a
// tenth either way.
func (s *Service) nextAttempt(job *rivertype.JobRow, now time.Time) time.Time {
	wait := time.Second
	if i := min(job.Attempt, len(s.opts.Retries)) - 1; i >= 0 {
		wait = s.opts.Retries[i]
	}
	wait += time.Duration(float64(wait) * jitterOf(job.ID, job.Attempt))
	return now.Add(wait)
}

// describe says why an attempt got no answer, without the Go error's
// plumbing.
func describe(err error, timeout time.Duration) string {
	var msg string
	switch {
	case errors.Is(err, webhook.ErrForbiddenAddress):
		msg = "refused: " + webhook.ErrForbiddenAddress.Error()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		msg = fmt.Sprintf("no answer within %s", timeout)
	default:
		msg = err.Error()
	}
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func answer(res webhook.Result, err error, timeout time.Duration) string {
	if err != nil {
		return describe(err, timeout)
	}
	return fmt.Sprintf("HTTP %d", res.Status)
}

func jitterOf(id int64, attempt int) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", id, attempt)
	return float64(h.Sum64()%2001)/10000 - 0.1 // -0.1 .. +0.1
}

func attemptedAt(job *rivertype.JobRow) time.Time {
	if job.AttemptedAt != nil {
		return *job.AttemptedAt
	}
	return time.Now()
}
