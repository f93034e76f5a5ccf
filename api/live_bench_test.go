package api_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/live"
)

// BenchmarkSubscribers holds 1,000 websocket subscribers to one
// conversation's messageAdded on one server, appends b.N messages at a
// fixed rate through the GraphQL mutation, and reports the latency from
// sending the append to each subscriber's receipt (p50, p99; it includes
// the append's own commit, so it bounds commit-to-client from above) and
// the heap per subscriber (server and client sides: both are in this
// process).
//
//	go test -run '^$' -bench Subscribers -benchtime 20x ./api/
func BenchmarkSubscribers(b *testing.B) {
	const subscribers = 1000
	const interval = 200 * time.Millisecond
	env := apitest.StartWithLive(b, live.Options{MaxPerKey: subscribers})
	f := newFixture(b, env, "Acme")

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	clients := make([]*wsClient, subscribers)
	for i := range clients {
		clients[i] = connect(b, env, f.key)
		clients[i].subscribe("1", `subscription($id: ID!) { messageAdded(conversationID: $id) { content } }`, map[string]any{"id": f.conversationID})
	}
	waitSubscribed(b, env, subscribers)
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)

	var (
		mu        sync.Mutex
		sent      = map[string]time.Time{}
		latencies []time.Duration
		done      sync.WaitGroup
	)
	for _, c := range clients {
		done.Go(func() {
			for range b.N {
				var m wsMessage
				if err := wsjson.Read(c.ctx, c.conn, &m); err != nil {
					b.Errorf("reading: %v", err)
					return
				}
				if m.Type == "ping" {
					continue
				}
				got := time.Now()
				var p struct {
					Data struct {
						MessageAdded struct{ Content string } `json:"messageAdded"`
					} `json:"data"`
				}
				_ = json.Unmarshal(m.Payload, &p)
				mu.Lock()
				latencies = append(latencies, got.Sub(sent[p.Data.MessageAdded.Content]))
				mu.Unlock()
			}
		})
	}
	b.ResetTimer()
	tick := time.NewTicker(interval)
	for i := range b.N {
		content := fmt.Sprint("m", i)
		mu.Lock()
		sent[content] = time.Now()
		mu.Unlock()
		appendMessages(b, env, f.key, f.conversationID, content)
		<-tick.C
	}
	tick.Stop()
	done.Wait()
	b.StopTimer()
	slices.Sort(latencies)
	if len(latencies) != b.N*subscribers {
		b.Fatalf("%d deliveries, want %d", len(latencies), b.N*subscribers)
	}
	q := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/subscribers, "heap-B/subscriber")
	b.ReportMetric(float64(runtime.NumGoroutine())/subscribers, "goroutines/subscriber")
	b.ReportMetric(0, "ns/op")
}
