package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/parleyhq/parley/internal/webhook"
)

// Signatures verify with the Standard Webhooks reference library, not with
// Parley's own code; during a rotation either secret verifies.
func TestSignaturesVerifyWithTheReferenceLibrary(t *testing.T) {
	old, next := webhook.NewSecret(), webhook.NewSecret()
	body := []byte(`{"event_type":"conversation.completed","event_id":"evt_1","data":{}}`)
	at := time.Now()
	h, err := webhook.Headers("evt_1", at, body, next, old)
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string]string{"new": next, "old": old} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("the %s secret does not verify: %v", name, err)
		}
	}
	other, _ := standardwebhooks.NewWebhook(webhook.NewSecret())
	if other.Verify(body, h) == nil {
		t.Error("an unrelated secret verifies")
	}
	wh, _ := standardwebhooks.NewWebhook(next)
	if wh.Verify(append(body, ' '), h) == nil {
		t.Error("a changed body verifies")
	}
	if _, err := webhook.Signature("not-a-secret", "id", at, body); !errors.Is(err, webhook.ErrSecret) {
		t.Errorf("a malformed secret: %v", err)
	}
}

// The client refuses internal addresses (checked where it connects, after
// DNS), follows no redirect, and reads a bounded answer.
func TestClientIsSafe(t *testing.T) {
	var hits int
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, strings.Repeat("x", 1<<20))
	}))
	defer receiver.Close()
	ctx := context.Background()
	h := http.Header{}

	safe := webhook.DefaultClientOptions
	_, err := webhook.Deliver(ctx, webhook.NewClient(safe), safe, receiver.URL, h, []byte("{}"))
	if !errors.Is(err, webhook.ErrForbiddenAddress) || hits != 0 {
		t.Fatalf("delivery to loopback: %v (%d hits), want refused before connecting", err, hits)
	}
	name := strings.Replace(receiver.URL, "127.0.0.1", "localhost", 1)
	if _, err := webhook.Deliver(ctx, webhook.NewClient(safe), safe, name, h, []byte("{}")); !errors.Is(err, webhook.ErrForbiddenAddress) {
		t.Fatalf("delivery to a name resolving to loopback: %v", err)
	}

	open := webhook.DefaultClientOptions
	open.AllowPrivate = true
	res, err := webhook.Deliver(ctx, webhook.NewClient(open), open, receiver.URL, h, []byte("{}"))
	if err != nil || res.Status != http.StatusOK || int64(len(res.Body)) != open.MaxResponseBytes {
		t.Fatalf("allowed delivery: %v, status %d, %d bytes read", err, res.Status, len(res.Body))
	}
	res, err = webhook.Deliver(ctx, webhook.NewClient(open), open, receiver.URL+"/redirect", h, []byte("{}"))
	if err != nil || res.Status != http.StatusFound || hits != 2 {
		t.Fatalf("a redirect: %v, status %d, %d hits; want the 302 itself, not followed", err, res.Status, hits)
	}
}

func TestCheckURL(t *testing.T) {
	for _, u := range []string{"ftp://example.com/x", "https://", "https://user:pw@example.com/", "http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/", "http://localhost:8080/", "http://100.64.0.1/"} {
		if err := webhook.CheckURL(u, false); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"https://hooks.example.com/parley", "http://example.com:8080/x"} {
		if err := webhook.CheckURL(u, false); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if err := webhook.CheckURL("http://127.0.0.1:9999/", true); err != nil {
		t.Errorf("loopback with private addresses allowed: %v", err)
	}
	for _, a := range []string{"fd00:ec2::254", "::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1"} {
		if !webhook.Forbidden(netip.MustParseAddr(a)) {
			t.Errorf("%s is not forbidden", a)
		}
	}
}
