package live

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/viewer"
)

func TestSlowSubscriberIsDroppedWhileOthersKeepReceiving(t *testing.T) {
	b := NewBroker(Options{Buffer: 4})
	v := viewer.Viewer{OrganizationID: uuid.New(), APIKeyID: uuid.New()}
	slow, err := b.Subscribe(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := b.Subscribe(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		b.Publish(Event{ID: uuid.New(), OrganizationID: v.OrganizationID, MessageCount: i})
		ev := <-fast.Events() // the fast one reads each as it comes
		if ev.MessageCount != i {
			t.Fatalf("fast subscriber got event %d, want %d", ev.MessageCount, i)
		}
	}
	n := 0
	for range slow.Events() {
		n++
	}
	if n != 4 || !errors.Is(slow.Err(), ErrSlow) {
		t.Fatalf("slow subscriber: %d events then %v, want its 4 buffered then ErrSlow", n, slow.Err())
	}
	if b.Count() != 1 {
		t.Fatalf("%d subscriptions open, want the fast one", b.Count())
	}
}

func TestEventsReachOnlyTheirTenant(t *testing.T) {
	b := NewBroker(Options{})
	org := uuid.New()
	test, _ := b.Subscribe(viewer.Viewer{OrganizationID: org}, nil)
	live, _ := b.Subscribe(viewer.Viewer{OrganizationID: org, Livemode: true}, nil)
	other, _ := b.Subscribe(viewer.Viewer{OrganizationID: uuid.New()}, nil)
	b.Publish(Event{ID: uuid.New(), OrganizationID: org})
	if len(test.Events()) != 1 || len(live.Events()) != 0 || len(other.Events()) != 0 {
		t.Fatalf("test mode %d, live mode %d, other organization %d events; want 1, 0, 0", len(test.Events()), len(live.Events()), len(other.Events()))
	}
}

func TestSubscriptionsPerKeyAreCapped(t *testing.T) {
	b := NewBroker(Options{MaxPerKey: 2})
	v := viewer.Viewer{OrganizationID: uuid.New(), APIKeyID: uuid.New()}
	first, _ := b.Subscribe(v, nil)
	if _, err := b.Subscribe(v, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe(v, nil); !errors.Is(err, ErrTooMany) {
		t.Fatalf("third subscription: %v, want ErrTooMany", err)
	}
	other := v
	other.APIKeyID = uuid.New()
	if _, err := b.Subscribe(other, nil); err != nil {
		t.Fatalf("another key of the organization: %v", err)
	}
	first.Close()
	first.Close()
	if _, err := b.Subscribe(v, nil); err != nil {
		t.Fatalf("after closing one: %v", err)
	}
}

func TestCloseEndsEverySubscription(t *testing.T) {
	b := NewBroker(Options{})
	s, _ := b.Subscribe(viewer.Viewer{OrganizationID: uuid.New()}, nil)
	b.Close()
	if _, ok := <-s.Events(); ok || !errors.Is(s.Err(), ErrShutdown) {
		t.Fatalf("after Close: %v", s.Err())
	}
	if _, err := b.Subscribe(viewer.Viewer{}, nil); !errors.Is(err, ErrShutdown) {
		t.Fatalf("subscribing after Close: %v", err)
	}
}
