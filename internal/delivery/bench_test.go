package delivery_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/internal/conversations"
	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/testenv"
)

// BenchmarkDelivery is webhook throughput: b.N committed events, each to
// every endpoint, from the first commit to the last receiver's 2xx, with
// the default options (20 attempts at a time, polling every 200 ms). It
// reports deliveries (2xx answers) per second.
func BenchmarkDelivery(b *testing.B) {
	for _, endpoints := range []int{1, 50} {
		b.Run(fmt.Sprintf("endpoints=%d", endpoints), func(b *testing.B) {
			env := testenv.Open(b)
			ctx := as(b, env, "Bench", false)
			var got atomic.Int64
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
			defer rc.Close()
			for range endpoints {
				endpoint(b, ctx, env, rc.URL, conversations.EventCompleted)
			}
			opts := delivery.DefaultOptions()
			opts.Client.AllowPrivate = true
			start(b, env, opts)
			convs := make([]uuid.UUID, 0, b.N)
			for range b.N {
				convs = append(convs, interview(b, ctx, env, conversation.StatusInProgress).ID)
			}
			b.ResetTimer()
			began := time.Now()
			for _, c := range convs {
				if _, err := conversations.SetStatus(ctx, env.Client, c, conversation.StatusCompleted); err != nil {
					b.Fatal(err)
				}
			}
			want := int64(b.N * endpoints)
			for got.Load() < want {
				if time.Since(began) > 5*time.Minute {
					b.Fatalf("%d of %d deliveries after 5 minutes", got.Load(), want)
				}
				time.Sleep(time.Millisecond)
			}
			b.ReportMetric(float64(want)/time.Since(began).Seconds(), "deliveries/s")
		})
	}
}
