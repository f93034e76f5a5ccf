// Package ratelimit limits requests per API key with a token bucket.
//
// Buckets live in this process. With several replicas behind a load
// balancer, each replica keeps its own buckets, so a key can make up to
// replicas x the limit; a shared store (Redis) would be needed to enforce
// one global limit.
package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/viewer"
)

// Limiter holds one token bucket per API key.
type Limiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[uuid.UUID]*bucket
	swept   time.Time
}

type bucket struct {
	limiter  *rate.Limiter
	lastSeen time.Time
}

// idleAfter is how long an unused bucket is kept. A bucket idle that long
// is full again, so dropping it changes nothing.
const idleAfter = 10 * time.Minute

// New returns a limiter allowing perSecond requests per key on average and
// bursts of up to burst requests. perSecond <= 0 disables limiting.
func New(perSecond float64, burst int) *Limiter {
	return &Limiter{rate: rate.Limit(perSecond), burst: burst, now: time.Now, buckets: map[uuid.UUID]*bucket{}}
}

// Allow takes a token from the key's bucket. When none is left it returns
// false and how long until one is.
func (l *Limiter) Allow(key uuid.UUID) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleAfter {
		for k, b := range l.buckets {
			if now.Sub(b.lastSeen) > idleAfter {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{limiter: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.lastSeen = now
	r := b.limiter.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, delay
	}
	return true, 0
}

// Middleware rejects requests over their key's limit with 429 and a
// Retry-After header. It must run after authentication.
func Middleware(l *Limiter, onReject func(), write func(http.ResponseWriter, *http.Request, *apperr.Error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v, ok := viewer.FromContext(r.Context())
			if ok {
				if allowed, wait := l.Allow(v.APIKeyID); !allowed {
					if onReject != nil {
						onReject()
					}
					secs := int(math.Ceil(wait.Seconds()))
					w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
					write(w, r, apperr.New(apperr.RateLimited, "too many requests for this API key; retry after %d s", max(secs, 1)))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
