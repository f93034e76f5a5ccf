package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/api"
	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/testenv"
)

// startStalled runs a server whose statements matching table stall until
// their context ends, with the given request deadline.
func startStalled(t *testing.T, table string, timeout time.Duration) (*apitest.Env, *testenv.Stall, *atomic.Bool) {
	t.Helper()
	on := new(atomic.Bool)
	stall := testenv.NewStall(func(query string) bool {
		return on.Load() && strings.Contains(query, table)
	})
	db := testenv.Open(t, database.WithDriver(stall.Wrap))
	env := apitest.StartOn(t, db, func(c *api.Config) { c.RequestTimeout = timeout })
	return env, stall, on
}

// A request whose SQL outlasts the deadline is stopped and answered with
// the timeout code: GraphQL with 504 and extensions.code "timeout", REST
// with the 504 envelope.
func TestRequestDeadline(t *testing.T) {
	env, stall, on := startStalled(t, "conversations", 200*time.Millisecond)
	key := env.Key(t, "Acme", false)
	env.WarmKey(t, key)
	on.Store(true)

	res := env.GraphQL(t, key, `{ conversations(first: 5) { edges { node { id } } } }`, nil)
	if res.Status != http.StatusGatewayTimeout || len(res.Errors) != 1 || res.Errors[0].Code() != "timeout" || !strings.Contains(res.Errors[0].Message, "time limit") {
		t.Fatalf("GraphQL past the deadline: %d %+v, want 504 with one timeout error", res.Status, res.Errors)
	}
	if err := <-stall.Ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the stalled statement ended with %v, want the request's deadline", err)
	}
	if strings.Contains(env.Logs.String(), `"level":"ERROR"`) {
		t.Errorf("a timeout was logged as an error:\n%s", env.Logs)
	}

	rest, body := fetch(t, env, "/v1/backend/conversations", key, nil)
	if rest.Status != http.StatusGatewayTimeout || !strings.Contains(body, `"code":"timeout"`) {
		t.Fatalf("REST past the deadline: %d %s, want the 504 timeout envelope", rest.Status, body)
	}
	if err := <-stall.Ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the stalled REST statement ended with %v, want the request's deadline", err)
	}

	// What does not stall is answered as usual.
	if res := env.GraphQL(t, key, `{ viewer { livemode } }`, nil); res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("a quick request: %d %+v", res.Status, res.Errors)
	}
}

// The API key lookup runs under the deadline too; running out of time
// there is a timeout, not "unavailable".
func TestRequestDeadlineDuringKeyLookup(t *testing.T) {
	env, _, on := startStalled(t, "api_keys", 200*time.Millisecond)
	key := env.Key(t, "Acme", false)
	on.Store(true)
	if res, body := fetch(t, env, "/v1/backend/agents", key, nil); res.Status != http.StatusGatewayTimeout || !strings.Contains(body, `"code":"timeout"`) {
		t.Fatalf("REST: %d %s, want the 504 timeout envelope", res.Status, body)
	}
	if res := env.GraphQL(t, key, `{ viewer { livemode } }`, nil); res.Status != http.StatusGatewayTimeout || len(res.Errors) != 1 || res.Errors[0].Code() != "timeout" {
		t.Fatalf("GraphQL: %d %+v, want 504 timeout", res.Status, res.Errors)
	}
}

// A client that goes away cancels its request's SQL: nothing detaches the
// work from the request's context.
func TestClientGoneCancelsItsSQL(t *testing.T) {
	env, stall, on := startStalled(t, "conversations", time.Minute)
	key := env.Key(t, "Acme", false)
	env.WarmKey(t, key)
	on.Store(true)
	for _, path := range []string{"/graphql", "/v1/backend/conversations"} {
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.Server.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if path == "/graphql" {
			q := req.URL.Query()
			q.Set("query", `{ conversations(first: 5) { edges { node { id } } } }`)
			req.URL.RawQuery = q.Encode()
		}
		req.Header.Set("Authorization", "Bearer "+key)
		done := make(chan error, 1)
		go func() {
			res, err := env.Server.Client().Do(req)
			if err == nil {
				res.Body.Close()
			}
			done <- err
		}()
		<-stall.Started
		cancel()
		if err := <-stall.Ended; !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: the statement of a request whose client left ended with %v, want context.Canceled", path, err)
		}
		if err := <-done; err == nil {
			t.Fatalf("%s: the cancelled client got an answer", path)
		}
	}
}
