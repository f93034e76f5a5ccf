package loader_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/privacy"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/testenv"
	"github.com/parleyhq/parley/internal/viewer"
)

// fixture is a seeded organization seen through its test-mode viewer.
type fixture struct {
	env *testenv.Env
	ctx context.Context // carries the organization's test-mode viewer
	ids []uuid.UUID     // its conversations, newest first
}

func newFixture(t testing.TB, org string, conversations int) fixture {
	t.Helper()
	env := testenv.Open(t)
	sys := privacy.DecisionContext(context.Background(), privacy.Allow)
	res, err := seed.Run(sys, env.Client, seed.Options{Organization: org, Conversations: conversations, Messages: 8, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := viewer.NewContext(context.Background(), viewer.Viewer{OrganizationID: res.Organization.ID})
	ids, err := env.Client.Conversation.Query().Order(ent.Desc(conversation.FieldCreatedAt), ent.Desc(conversation.FieldID)).IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{env: env, ctx: ctx, ids: ids}
}

// loadAll loads every id's transcript from concurrent goroutines, as gqlgen
// resolves the elements of a list, and returns them in the order of ids.
func loadAll(ctx context.Context, l *loader.Loaders, ids []uuid.UUID) ([][]*ent.Message, error) {
	out := make([][]*ent.Message, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { out[i], errs[i] = l.Transcript.Load(ctx, id)() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func TestTranscriptLoaderBatchesAndKeepsOrder(t *testing.T) {
	f := newFixture(t, "Loader", 30)
	missing := uuid.New()
	keys := append([]uuid.UUID{missing}, f.ids...)

	f.env.Queries.Reset()
	got, err := loadAll(f.ctx, loader.New(f.env.Client, loader.Options{Wait: 50 * time.Millisecond, BatchCapacity: 1000}), keys)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.env.Queries.Count(); n != 1 {
		t.Fatalf("%d keys took %d statements, want 1 batch: %q", len(keys), n, f.env.Queries.Statements())
	}
	if len(got[0]) != 0 {
		t.Fatalf("an unknown conversation has %d messages, want none", len(got[0]))
	}
	total := 0
	for i, id := range f.ids {
		want, err := f.env.Client.Message.Query().Where(message.ConversationID(id)).Order(message.ByPosition()).IDs(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		transcript := got[i+1]
		if len(transcript) != len(want) {
			t.Fatalf("conversation %s: loaded %d messages, want %d", id, len(transcript), len(want))
		}
		for j, m := range transcript {
			if m.ID != want[j] || m.ConversationID != id {
				t.Fatalf("conversation %s: message %d is %s of %s, want %s", id, j, m.ID, m.ConversationID, want[j])
			}
		}
		total += len(transcript)
	}
	if total == 0 {
		t.Fatal("the seeded conversations have no messages at all")
	}
}

func TestPrimedTranscriptsNeedNoFurtherQuery(t *testing.T) {
	f := newFixture(t, "Primed", 20)
	l := loader.New(f.env.Client, loader.Options{Wait: 0, BatchCapacity: 8})
	f.env.Queries.Reset()
	l.PrimeTranscripts(f.ctx, f.ids)
	if n := f.env.Queries.Count(); n != 3 {
		t.Fatalf("priming 20 conversations with a capacity of 8 took %d statements, want 3: %q", n, f.env.Queries.Statements())
	}
	f.env.Queries.Reset()
	primed, err := loadAll(f.ctx, l, f.ids)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.env.Queries.Count(); n != 0 {
		t.Fatalf("loading primed transcripts sent %d statements, want none: %q", n, f.env.Queries.Statements())
	}
	fresh, err := loadAll(f.ctx, loader.New(f.env.Client, loader.DefaultOptions), f.ids)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.ids {
		if len(primed[i]) != len(fresh[i]) {
			t.Fatalf("conversation %s: %d primed messages, %d loaded", f.ids[i], len(primed[i]), len(fresh[i]))
		}
		for j := range primed[i] {
			if primed[i][j].ID != fresh[i][j].ID {
				t.Fatalf("conversation %s: primed message %d is %s, loaded %s", f.ids[i], j, primed[i][j].ID, fresh[i][j].ID)
			}
		}
	}
}

func TestTranscriptLoaderBatchCapacitySplitsBatches(t *testing.T) {
	f := newFixture(t, "Capacity", 25)
	f.env.Queries.Reset()
	if _, err := loadAll(f.ctx, loader.New(f.env.Client, loader.Options{Wait: 50 * time.Millisecond, BatchCapacity: 10}), f.ids); err != nil {
		t.Fatal(err)
	}
	if n := f.env.Queries.Count(); n != 3 {
		t.Fatalf("25 keys with a capacity of 10 took %d statements, want 3: %q", n, f.env.Queries.Statements())
	}
}

func TestTranscriptLoaderStaysInsideTheViewersTenant(t *testing.T) {
	f := newFixture(t, "Owner", 5)
	other := viewer.NewContext(context.Background(), viewer.Viewer{OrganizationID: uuid.New()})
	got, err := loadAll(other, loader.New(f.env.Client, loader.DefaultOptions), f.ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, ms := range got {
		if len(ms) != 0 {
			t.Fatalf("another organization's viewer loaded %d messages of conversation %s", len(ms), f.ids[i])
		}
	}
}

// BenchmarkTranscriptLoader measures the loader's wait against how well
// batches form: one conversation (the REST transcript), and a page of 50
// loaded from concurrent goroutines without priming (the worst case for a
// GraphQL list). statements/op shows whether the page stayed one batch.
func BenchmarkTranscriptLoader(b *testing.B) {
	f := newFixture(b, "Bench", 50)
	for _, wait := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 16 * time.Millisecond} {
		for _, n := range []int{1, 50} {
			b.Run(fmt.Sprintf("wait=%s/keys=%d", wait, n), func(b *testing.B) {
				f.env.Queries.Reset()
				for b.Loop() {
					l := loader.New(f.env.Client, loader.Options{Wait: wait, BatchCapacity: loader.DefaultOptions.BatchCapacity})
					if _, err := loadAll(f.ctx, l, f.ids[:n]); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(f.env.Queries.Count())/float64(b.N), "statements/op")
			})
		}
	}
}

// A capacity of 0 means no bound, as in dataloader: priming is one query.
func TestPrimeWithoutCapacityIsOneQuery(t *testing.T) {
	f := newFixture(t, "Unbounded", 20)
	l := loader.New(f.env.Client, loader.Options{})
	f.env.Queries.Reset()
	l.PrimeTranscripts(f.ctx, f.ids)
	l.PrimeTranscripts(f.ctx, nil)
	if n := f.env.Queries.Count(); n != 1 {
		t.Fatalf("priming 20 conversations without a capacity took %d statements, want 1: %q", n, f.env.Queries.Statements())
	}
}
