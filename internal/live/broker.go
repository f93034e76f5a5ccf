// Package live fans committed conversation changes out to the subscribers
// of this process: GraphQL subscriptions and the REST event stream. It
// hears of changes from the outbox (ent's Event rows): on PostgreSQL each
// change's transaction issues a NOTIFY that one listener per process
// receives once it commits (Listener); on SQLite the change publishes
// in-process after its commit (Hook). Nothing is announced before it
// commits, and a rolled-back change is never announced.
package live

import (
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/viewer"
)

// Event is a committed change, as subscribers receive it: the outbox row
// without its payload (subscribers load what they show with their own
// viewer, so tenancy rules apply to them as to any query).
type Event struct {
	ID             uuid.UUID `json:"id"`
	OrganizationID uuid.UUID `json:"org"`
	Livemode       bool      `json:"live"`
	ConversationID uuid.UUID `json:"conv"`
	Type           string    `json:"type"`
	OccurredAt     time.Time `json:"at"`
	// MessageCount is the conversation's message count after the change
	// (messages_appended events only): a subscriber reads messages up to it.
	MessageCount int `json:"mc,omitempty"`
	// Appended is how many messages the change appended (messages_appended
	// events only): positions MessageCount-Appended+1 to MessageCount.
	Appended int `json:"n,omitempty"`
}

// Why a subscription ended, other than by its subscriber.
var (
	ErrSlow     = errors.New("the subscriber fell too far behind: events were waiting unread; subscribe again")
	ErrMissed   = errors.New("events may have been missed while the server lost its database notifications; subscribe again and read what changed")
	ErrShutdown = errors.New("the server is shutting down; reconnect to another")
	ErrTooMany  = errors.New("too many open subscriptions for this API key")
)

// Options bound the broker.
type Options struct {
	// Buffer is how many events may wait for one subscriber before it is
	// dropped as too slow (0: DefaultBuffer).
	Buffer int
	// MaxPerKey bounds the subscriptions one API key may hold open in this
	// process (0: DefaultMaxPerKey).
	MaxPerKey int
}

const (
	DefaultBuffer    = 256
	DefaultMaxPerKey = 100
)

type tenantKey struct {
	org  uuid.UUID
	live bool
}

// Broker delivers events to the subscriptions of their organization and
// mode. Publish never blocks: each subscription has a bounded buffer, and
// one that is full is closed with ErrSlow, so a slow reader can neither
// slow writers nor other readers.
type Broker struct {
	opts   Options
	mu     sync.Mutex
	subs   map[tenantKey]map[*Subscription]struct{}
	perKey map[uuid.UUID]int
	closed bool
}

// NewBroker returns an empty broker.
func NewBroker(opts Options) *Broker {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.MaxPerKey <= 0 {
		opts.MaxPerKey = DefaultMaxPerKey
	}
	return &Broker{opts: opts, subs: map[tenantKey]map[*Subscription]struct{}{}, perKey: map[uuid.UUID]int{}}
}

// MaxPerKey is the per-key cap in force.
func (b *Broker) MaxPerKey() int { return b.opts.MaxPerKey }

// Subscription is one subscriber's stream of events.
type Subscription struct {
	b      *Broker
	key    tenantKey
	apiKey uuid.UUID
	match  func(Event) bool
	ch     chan Event
	once   sync.Once
	err    error // set before ch is closed
}

// Subscribe opens a subscription to the events of v's organization and
// mode that match (nil: all). It fails with ErrTooMany when v's key holds
// too many, and with ErrShutdown once the broker is closed.
func (b *Broker) Subscribe(v viewer.Viewer, match func(Event) bool) (*Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrShutdown
	}
	if b.perKey[v.APIKeyID] >= b.opts.MaxPerKey {
		return nil, ErrTooMany
	}
	s := &Subscription{b: b, key: tenantKey{v.OrganizationID, v.Livemode}, apiKey: v.APIKeyID, match: match, ch: make(chan Event, b.opts.Buffer)}
	set := b.subs[s.key]
	if set == nil {
		set = map[*Subscription]struct{}{}
		b.subs[s.key] = set
	}
	set[s] = struct{}{}
	b.perKey[v.APIKeyID]++
	return s, nil
}

// Events is closed when the subscription ends; Err then says why.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Err is why the subscription ended: nil when its subscriber closed it.
// Read it after Events is closed.
func (s *Subscription) Err() error { return s.err }

// Close ends the subscription; it is safe to call more than once.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.removeLocked(s, nil)
}

// removeLocked ends s with err; b.mu is held.
func (b *Broker) removeLocked(s *Subscription, err error) {
	s.once.Do(func() {
		if set := b.subs[s.key]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(b.subs, s.key)
			}
		}
		if b.perKey[s.apiKey]--; b.perKey[s.apiKey] <= 0 {
			delete(b.perKey, s.apiKey)
		}
		s.err = err
		close(s.ch)
	})
}

// Publish hands ev to every matching subscription of its tenant, without
// waiting for any of them.
func (b *Broker) Publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[tenantKey{ev.OrganizationID, ev.Livemode}] {
		if s.match != nil && !s.match(ev) {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			b.removeLocked(s, ErrSlow)
		}
	}
}

// CloseAll ends every subscription with err (ErrMissed after a gap in
// the notifications).
func (b *Broker) CloseAll(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, set := range b.subs {
		for s := range set {
			b.removeLocked(s, err)
		}
	}
}

// Close ends every subscription with ErrShutdown and refuses new ones.
func (b *Broker) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.CloseAll(ErrShutdown)
}

// Count is the number of open subscriptions.
func (b *Broker) Count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, set := range b.subs {
		n += len(set)
	}
	return n
}
