package ratelimit

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestBucketPerKey(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	l := New(2, 3) // 2/s, bursts of 3
	l.now = func() time.Time { return clock }
	a, b := uuid.New(), uuid.New()

	for i := range 3 {
		if ok, _ := l.Allow(a); !ok {
			t.Fatalf("request %d of the burst was refused", i+1)
		}
	}
	ok, wait := l.Allow(a)
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("4th request: allowed=%v wait=%v; want refused with a wait of at most 0.5s", ok, wait)
	}
	if ok, _ := l.Allow(b); !ok {
		t.Fatal("another key was limited by the first key's use")
	}
	clock = clock.Add(500 * time.Millisecond)
	if ok, _ := l.Allow(a); !ok {
		t.Fatal("a token should be back after 0.5s at 2/s")
	}
	if ok, _ := l.Allow(a); ok {
		t.Fatal("only one token should be back after 0.5s")
	}
}

func TestIdleBucketsAreDropped(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	l := New(1, 1)
	l.now = func() time.Time { return clock }
	for range 100 {
		l.Allow(uuid.New())
	}
	clock = clock.Add(idleAfter + time.Second)
	l.Allow(uuid.New())
	if n := len(l.buckets); n != 1 {
		t.Fatalf("%d buckets kept after they went idle, want 1", n)
	}
}

func TestDisabled(t *testing.T) {
	l := New(0, 0)
	for range 1000 {
		if ok, _ := l.Allow(uuid.Nil); !ok {
			t.Fatal("a disabled limiter refused a request")
		}
	}
}
