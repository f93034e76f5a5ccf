package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/api/apitest"
)

// A subscriber that stops reading its stream is dropped once the events
// waiting for it fill its buffer, and told why; a subscriber that reads
// gets every message, in order, and writers never wait for either. The
// slow one is a real SSE client over TCP with a small receive buffer that
// reads nothing until the end.
func TestASlowSubscriberIsDroppedWhileAFastOneReceives(t *testing.T) {
	env := apitest.Start(t)
	f := newFixture(t, env, "Acme")
	fast := sse(t, env, f.key, messageAddedQuery, map[string]any{"id": f.conversationID})
	slowConn, slow := slowSSE(t, env, f.key, map[string]any{"id": f.conversationID})
	defer slowConn.Close()
	waitSubscribed(t, env, 2)

	// Large messages fill the slow client's socket buffers quickly; then
	// the server's writes to it block and its events queue in the broker.
	content := strings.Repeat("x", 16<<10)
	sent := 0
	for env.Live.Count() == 2 {
		if sent == 3000 {
			t.Fatalf("after %d messages the slow subscriber is still subscribed", sent)
		}
		sent++
		appendMessages(t, env, f.key, f.conversationID, fmt.Sprintf("%d %s", sent, content))
		// The fast subscriber keeps up: it reads as the test writes.
		ev := recv(t, fast)
		if !strings.Contains(ev, fmt.Sprintf(`"content":"%d x`, sent)) || !strings.Contains(ev, fmt.Sprintf(`"position":%d`, sent)) {
			t.Fatalf("fast subscriber, message %d: %.120q", sent, ev)
		}
	}
	// After the drop the fast one goes on receiving.
	appendMessages(t, env, f.key, f.conversationID, "after the drop")
	if ev := recv(t, fast); !strings.Contains(ev, `"content":"after the drop"`) {
		t.Fatalf("fast subscriber after the drop: %.120q", ev)
	}
	// The slow one, reading at last, finds what was sent before the drop,
	// then why it ended, then complete.
	_ = slowConn.SetReadDeadline(time.Now().Add(60 * time.Second))
	rest, err := io.ReadAll(slow)
	if err != nil {
		t.Fatalf("reading the slow stream: %v", err)
	}
	got := bytes.Count(rest, []byte("event: next\ndata: {\"data\""))
	if got == 0 || got >= sent {
		t.Errorf("the slow subscriber got %d of %d messages, want some and not all", got, sent)
	}
	if !bytes.Contains(rest, []byte("fell too far behind")) || !bytes.HasSuffix(rest, []byte("event: complete\ndata:\n\n")) {
		t.Errorf("the slow stream does not end with its reason and complete: ...%q", tail(rest, 400))
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// slowSSE opens a messageAdded subscription over SSE on a raw TCP
// connection with a 4 KB receive buffer, reads the response header, and
// then nothing: the caller reads the body when it wants.
func slowSSE(t *testing.T, env *apitest.Env, key string, vars map[string]any) (net.Conn, io.Reader) {
	t.Helper()
	u, _ := url.Parse(env.Server.URL)
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"query": messageAddedQuery, "variables": vars})
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		u.Host, key, len(body), body)
	res, err := http.ReadResponse(bufio.NewReaderSize(conn, 64), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("slow SSE: HTTP %d", res.StatusCode)
	}
	return conn, res.Body
}
