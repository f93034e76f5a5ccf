// Package sse writes Server-Sent Events responses: the one way both APIs
// stream (GraphQL subscriptions over SSE, the REST event stream).
package sse

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// DefaultPing keeps an idle stream open through proxies that close
// connections silent for 30 seconds or more.
const DefaultPing = 25 * time.Second

// Stream is an open text/event-stream response. Writes are serialised
// and flushed at once; a comment is written every ping interval until
// Close, which must be called before the handler returns (the pinger
// writes to the response).
type Stream struct {
	mu     sync.Mutex
	w      http.ResponseWriter
	rc     *http.ResponseController
	stop   chan struct{}
	pinger sync.WaitGroup
}

// Start answers 200 with the event-stream headers, clears the server's
// read and write deadlines for this connection (a stream outlives them),
// writes hello as a first comment so the client sees the stream open, and
// pings every ping (0: DefaultPing).
func Start(w http.ResponseWriter, hello string, ping time.Duration) *Stream {
	if ping <= 0 {
		ping = DefaultPing
	}
	s := &Stream{w: w, rc: http.NewResponseController(w), stop: make(chan struct{})}
	_ = s.rc.SetReadDeadline(time.Time{})
	_ = s.rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	s.Write(":" + hello + "\n\n")
	s.pinger.Go(func() {
		tick := time.NewTicker(ping)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				s.Write(": ping\n\n")
			}
		}
	})
	return s
}

// Write sends frame (one or more complete events) and flushes it.
func (s *Stream) Write(frame string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.w, frame)
	_ = s.rc.Flush()
}

// Event sends one event of the given type with data on one line (JSON),
// and id when it is not empty.
func (s *Stream) Event(id, event, data string) {
	frame := "event: " + event + "\ndata: " + data + "\n\n"
	if id != "" {
		frame = "id: " + id + "\n" + frame
	}
	s.Write(frame)
}

// Close stops the pings and waits for the pinger to finish.
func (s *Stream) Close() {
	close(s.stop)
	s.pinger.Wait()
}
