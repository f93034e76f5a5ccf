package apikey

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/apikey"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/viewer"
)

// Defaults of Options.
const (
	DefaultUsageInterval = time.Minute
	DefaultUsageDelay    = 5 * time.Second
	DefaultUsageTimeout  = 5 * time.Second
)

// Options tune how an Authenticator records key use. Zero values take the
// defaults.
type Options struct {
	// UsageInterval is the resolution of last_used_at: a key's use is
	// written only when the stored value is null or older than this, so a
	// busy key costs one write per interval, not one per request.
	UsageInterval time.Duration
	// UsageDelay is how long a due write waits before it is sent. It keeps
	// the write out of the request that triggered it (whose statements
	// stay exactly the one key lookup) and lets a burst of requests with
	// the same key share one write.
	UsageDelay time.Duration
	// UsageTimeout bounds each write.
	UsageTimeout time.Duration
	// Logger receives failed writes (at warn level) and failed lookups; nil
	// means slog.Default().
	Logger *slog.Logger
}

// An Authenticator checks keys and records when they are used
// (last_used_at) without a write on every request: the row read to check
// the key tells whether its last_used_at is recent, and if it is, nothing
// more is sent. Otherwise one conditional UPDATE is sent later, off the
// request, with the request's cancellation removed and a bounded timeout;
// it can fail (it is logged) but never fails or slows the request. Several
// servers may send it for the same key; the condition makes all but the
// first change nothing.
type Authenticator struct {
	client *ent.Client
	opts   Options

	mu      sync.Mutex
	pending map[uuid.UUID]*pendingUse // scheduled or running writes, one per key
	idle    sync.Cond                 // signalled when pending becomes empty
}

type pendingUse struct {
	timer *time.Timer
	ctx   context.Context
	at    time.Time
}

// New returns an Authenticator over client.
func New(client *ent.Client, opts Options) *Authenticator {
	if opts.UsageInterval <= 0 {
		opts.UsageInterval = DefaultUsageInterval
	}
	if opts.UsageDelay <= 0 {
		opts.UsageDelay = DefaultUsageDelay
	}
	if opts.UsageTimeout <= 0 {
		opts.UsageTimeout = DefaultUsageTimeout
	}
	a := &Authenticator{client: client, opts: opts, pending: map[uuid.UUID]*pendingUse{}}
	a.idle.L = &a.mu
	return a
}

// Authenticate returns the viewer a key grants, or ErrInvalid, and
// records the use. It sends exactly one statement, the key lookup (none
// for a malformed key).
func (a *Authenticator) Authenticate(ctx context.Context, key string) (viewer.Viewer, error) {
	k, err := lookup(ctx, a.client, key)
	if err != nil {
		return viewer.Viewer{}, err
	}
	a.recordUse(ctx, k)
	return viewerOf(k), nil
}

func (a *Authenticator) logger() *slog.Logger {
	if a.opts.Logger != nil {
		return a.opts.Logger
	}
	return slog.Default()
}

// recordUse schedules the write of k's last_used_at if the value just read
// is null or older than the interval and no write for k is already pending.
func (a *Authenticator) recordUse(ctx context.Context, k *ent.APIKey) {
	now := dbtime.Now()
	if k.LastUsedAt != nil && !k.LastUsedAt.Before(now.Add(-a.opts.UsageInterval)) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.pending[k.ID]; ok {
		return
	}
	id := k.ID
	p := &pendingUse{ctx: context.WithoutCancel(ctx), at: now}
	p.timer = time.AfterFunc(a.opts.UsageDelay, func() { a.write(id, p) })
	a.pending[id] = p
}

// write sets last_used_at unless another request or server already did.
// It runs on its own goroutine, so nothing in it may take the process down.
func (a *Authenticator) write(id uuid.UUID, p *pendingUse) {
	defer func() {
		if r := recover(); r != nil {
			a.logger().Warn("recording API key use: panic", "api_key_id", id.String(), "panic", fmt.Sprint(r))
		}
		a.mu.Lock()
		delete(a.pending, id)
		if len(a.pending) == 0 {
			a.idle.Broadcast()
		}
		a.mu.Unlock()
	}()

	ctx, cancel := context.WithTimeout(privacy.DecisionContext(p.ctx, privacy.Allow), a.opts.UsageTimeout)
	defer cancel()
	cutoff := p.at.Add(-a.opts.UsageInterval)
	err := a.client.APIKey.Update().
		Where(apikey.ID(id), apikey.Or(apikey.LastUsedAtIsNil(), apikey.LastUsedAtLT(cutoff))).
		SetLastUsedAt(p.at).
		Exec(ctx)
	if err != nil {
		a.logger().WarnContext(ctx, "recording API key use", "api_key_id", id.String(), "error", err)
	}
}

// Flush sends the scheduled writes now and waits until none is pending or
// running. Tests use it; a server may call it when shutting down.
func (a *Authenticator) Flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.pending) > 0 {
		for id, p := range a.pending {
			if p.timer.Stop() { // not started yet: run it now instead
				go a.write(id, p)
			}
		}
		a.idle.Wait()
	}
}
