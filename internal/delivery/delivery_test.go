package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/event"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/ent/webhookdelivery"
	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/conversations"
	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/testenv"
	"github.com/parleyhq/parley/internal/viewer"
	"github.com/parleyhq/parley/internal/webhook"
)

// patience bounds every wait for a delivery: far above what one takes, so
// only a delivery that never comes fails a test.
const patience = 30 * time.Second

// as returns a context acting for a new organization's key.
func as(t testing.TB, env *testenv.Env, org string, live bool) context.Context {
	t.Helper()
	v, err := apikey.Authenticate(context.Background(), env.Client, env.Key(t, org, live))
	if err != nil {
		t.Fatal(err)
	}
	return viewer.NewContext(context.Background(), v)
}

// fastOptions deliver to local receivers, poll often and retry at once.
func fastOptions() delivery.Options {
	o := delivery.DefaultOptions()
	o.Client.AllowPrivate = true
	o.Poll = 20 * time.Millisecond
	o.Retries = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	return o
}

func start(t testing.TB, env *testenv.Env, opts delivery.Options) *delivery.Service {
	t.Helper()
	s, err := delivery.Start(context.Background(), env.DB, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// received is one request a receiver got.
type received struct {
	Header   http.Header
	Body     []byte
	Envelope struct {
		EventType      string         `json:"event_type"`
		EventID        string         `json:"event_id"`
		Timestamp      string         `json:"timestamp"`
		OrganizationID string         `json:"organization_id"`
		Data           map[string]any `json:"data"`
	}
}

// receiver is a real HTTP endpoint that answers with status(n) to its nth
// request (from 1) and hands every request to the test.
type receiver struct {
	*httptest.Server
	got chan received
	mu  sync.Mutex
	n   int
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	rc := &receiver{got: make(chan received, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var got received
		got.Header, got.Body = r.Header.Clone(), body
		if err := json.Unmarshal(body, &got.Envelope); err != nil {
			t.Errorf("delivery body is not JSON: %s", body)
		}
		rc.mu.Lock()
		rc.n++
		n := rc.n
		rc.mu.Unlock()
		w.WriteHeader(status(n))
		rc.got <- got
	}))
	t.Cleanup(rc.Close)
	return rc
}

func always(code int) func(int) int { return func(int) int { return code } }

func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(patience):
		t.Fatal("no delivery arrived")
		return received{}
	}
}

func endpoint(t testing.TB, ctx context.Context, env *testenv.Env, url string, types ...string) *ent.WebhookEndpoint {
	t.Helper()
	ep, err := webhook.Store{Client: env.Client, AllowPrivate: true}.Create(ctx, webhook.Endpoint{URL: &url, EventTypes: types})
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// interview starts a conversation, has it say one thing (which starts it)
// and moves it to status.
func interview(t testing.TB, ctx context.Context, env *testenv.Env, status conversation.Status) *ent.Conversation {
	t.Helper()
	agent, err := env.Client.Agent.Create().SetName("Interviewer").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Client.Participant.Create().SetEmail("ada@example.com").SetFirstName("Ada").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := conversations.Start(ctx, env.Client, ent.CreateConversationInput{AgentID: agent.ID, ParticipantID: &p.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := conversations.Append(ctx, env.Client, conv.ID, []conversations.NewMessage{
		{Role: message.RoleAssistant, Content: "Hello, shall we begin?", Modality: message.ModalityText},
	}); err != nil {
		t.Fatal(err)
	}
	if status != conversation.StatusInProgress {
		if conv, err = conversations.SetStatus(ctx, env.Client, conv.ID, status); err != nil {
			t.Fatal(err)
		}
	}
	return conv
}

func verify(t *testing.T, secret string, r received) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(r.Body, r.Header); err != nil {
		t.Errorf("%s does not verify with the Standard Webhooks library: %v", r.Envelope.EventType, err)
	}
	if r.Header.Get("webhook-id") != r.Envelope.EventID {
		t.Errorf("webhook-id %q is not the event_id %q", r.Header.Get("webhook-id"), r.Envelope.EventID)
	}
}

// Every event type arrives once, signed, with the documented envelope and
// data, and each attempt is in the endpoint's delivery log.
func TestEveryEventTypeArrivesSigned(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	rc := newReceiver(t, always(http.StatusOK))
	ep := endpoint(t, ctx, env, rc.URL, conversations.EventStarted, conversations.EventCompleted, conversations.EventAbandoned)
	start(t, env, fastOptions())

	completed := interview(t, ctx, env, conversation.StatusCompleted)
	abandoned := interview(t, ctx, env, conversation.StatusAbandoned)

	got := map[string][]received{}
	for range 4 {
		r := rc.next(t)
		verify(t, ep.Secret, r)
		got[r.Envelope.EventType] = append(got[r.Envelope.EventType], r)
	}
	if len(got[conversations.EventStarted]) != 2 || len(got[conversations.EventCompleted]) != 1 || len(got[conversations.EventAbandoned]) != 1 {
		t.Fatalf("got %d started, %d completed, %d abandoned; want 2, 1, 1", len(got[conversations.EventStarted]), len(got[conversations.EventCompleted]), len(got[conversations.EventAbandoned]))
	}
	v, _ := viewer.FromContext(ctx)
	for _, c := range []struct {
		r    received
		conv *ent.Conversation
	}{{got[conversations.EventCompleted][0], completed}, {got[conversations.EventAbandoned][0], abandoned}} {
		e := c.r.Envelope
		if e.OrganizationID != v.OrganizationID.String() {
			t.Errorf("%s: organization_id %s, want %s", e.EventType, e.OrganizationID, v.OrganizationID)
		}
		if _, err := time.Parse(time.RFC3339, e.Timestamp); err != nil {
			t.Errorf("%s: timestamp %q is not RFC 3339: %v", e.EventType, e.Timestamp, err)
		}
		if e.Data["conversation_id"] != c.conv.ID.String() || e.Data["status"] != string(c.conv.Status) ||
			e.Data["completed_at"] == nil || e.Data["turn_count"] != float64(1) || e.Data["started_at"] == nil {
			t.Errorf("%s: data %v does not describe conversation %s as it ended", e.EventType, e.Data, c.conv.ID)
		}
		profile, _ := e.Data["participant_profile"].(map[string]any)
		if profile["email"] != "ada@example.com" || e.Data["participant_user_id"] != profile["id"] {
			t.Errorf("%s: participant_profile %v", e.EventType, profile)
		}
	}
	logged := waitLogged(t, ctx, env, ep.ID, 4)
	for _, d := range logged {
		if !d.Success || d.Attempt != 1 || d.ResponseStatus == nil || *d.ResponseStatus != 200 || d.NextAttemptAt != nil {
			t.Errorf("log entry %+v: want a first, successful attempt answered 200", d)
		}
	}
}

// waitLogged waits until the endpoint's log has n entries (the log is
// written right after the receiver answers).
func waitLogged(t *testing.T, ctx context.Context, env *testenv.Env, endpointID uuid.UUID, n int) []*ent.WebhookDelivery {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		logged, err := env.Client.WebhookDelivery.Query().
			Where(webhookdelivery.EndpointID(endpointID)).Order(ent.Asc(webhookdelivery.FieldID)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(logged) >= n {
			return logged
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery log has %d entries, want %d", len(logged), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A receiver that fails twice gets the event a third time, with the same
// event id; the log shows each attempt and when the next was due.
func TestFailedAttemptsAreRetriedWithTheSameEventID(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	rc := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	ep := endpoint(t, ctx, env, rc.URL)
	start(t, env, fastOptions())
	interview(t, ctx, env, conversation.StatusCompleted)

	ids := []string{rc.next(t).Envelope.EventID, rc.next(t).Envelope.EventID, rc.next(t).Envelope.EventID}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("event ids across attempts: %v, want one id", ids)
	}
	logged := waitLogged(t, ctx, env, ep.ID, 3)
	for i, d := range logged {
		last := i == 2
		if d.Attempt != i+1 || d.Success != last || (d.NextAttemptAt == nil) == !last {
			t.Errorf("log entry %d: attempt %d, success %v, next attempt %v", i, d.Attempt, d.Success, d.NextAttemptAt)
		}
	}
	fresh, err := env.Client.WebhookEndpoint.Get(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.FailingSince != nil || !fresh.Enabled {
		t.Errorf("after a success the endpoint is enabled %v, failing since %v", fresh.Enabled, fresh.FailingSince)
	}
}

// A 410 disables the endpoint, says why, and nothing more is queued for it.
func TestGoneDisablesTheEndpoint(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	rc := newReceiver(t, always(http.StatusGone))
	ep := endpoint(t, ctx, env, rc.URL)
	start(t, env, fastOptions())
	interview(t, ctx, env, conversation.StatusCompleted)
	rc.next(t)
	waitLogged(t, ctx, env, ep.ID, 1)
	var fresh *ent.WebhookEndpoint
	for deadline := time.Now().Add(patience); ; time.Sleep(10 * time.Millisecond) {
		var err error
		if fresh, err = env.Client.WebhookEndpoint.Get(ctx, ep.ID); err != nil {
			t.Fatal(err)
		}
		if !fresh.Enabled || time.Now().After(deadline) {
			break
		}
	}
	if fresh.Enabled || fresh.DisabledReason == nil {
		t.Fatalf("after a 410 the endpoint is enabled %v, reason %v", fresh.Enabled, fresh.DisabledReason)
	}
	// A second receiver proves the relay has moved past the next event.
	other := newReceiver(t, always(http.StatusOK))
	endpoint(t, ctx, env, other.URL)
	interview(t, ctx, env, conversation.StatusCompleted)
	other.next(t)
	if logged := waitLogged(t, ctx, env, ep.ID, 1); len(logged) != 1 {
		t.Errorf("the disabled endpoint has %d attempts, want 1", len(logged))
	}
}

// A receiver that never answers holds one attempt; another endpoint's
// deliveries go on meanwhile.
func TestAHangingReceiverDelaysNoOther(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	t.Cleanup(hanging.Close)
	endpoint(t, ctx, env, hanging.URL)
	rc := newReceiver(t, always(http.StatusOK))
	endpoint(t, ctx, env, rc.URL)
	opts := fastOptions()
	opts.Client.Timeout = time.Hour // only the test's end releases it
	start(t, env, opts)
	t.Cleanup(func() { close(release) }) // before the service stops
	for range 3 {
		interview(t, ctx, env, conversation.StatusCompleted)
		rc.next(t)
	}
}

// A change that rolls back sends nothing; what commits is delivered.
func TestARolledBackChangeSendsNothing(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	rc := newReceiver(t, always(http.StatusOK))
	endpoint(t, ctx, env, rc.URL, conversations.EventStarted, conversations.EventCompleted)
	start(t, env, fastOptions())

	tx, err := env.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	interview(t, ent.NewTxContext(ctx, tx), &testenv.Env{DB: env.DB, Client: tx.Client()}, conversation.StatusCompleted)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	kept := interview(t, ctx, env, conversation.StatusCompleted)
	// Deliveries run concurrently: no order between them.
	var types []string
	for range 2 {
		r := rc.next(t)
		types = append(types, r.Envelope.EventType)
		if r.Envelope.Data["conversation_id"] != kept.ID.String() {
			t.Errorf("got %s of %v, want only the committed conversation %s", r.Envelope.EventType, r.Envelope.Data["conversation_id"], kept.ID)
		}
	}
	slices.Sort(types)
	if !slices.Equal(types, []string{conversations.EventCompleted, conversations.EventStarted}) {
		t.Errorf("got %v, want one started and one completed", types)
	}
}

// Events committed while no process delivers (it died right after the
// commit) are delivered by the next one to start.
func TestCommittedEventsSurviveTheProcess(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	rc := newReceiver(t, always(http.StatusOK))
	endpoint(t, ctx, env, rc.URL)
	first := start(t, env, fastOptions())
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := first.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	conv := interview(t, ctx, env, conversation.StatusCompleted)
	start(t, env, fastOptions())
	if r := rc.next(t); r.Envelope.Data["conversation_id"] != conv.ID.String() {
		t.Errorf("delivered %v, want the conversation committed before the restart", r.Envelope.Data)
	}
}

// An endpoint receives its own organization's events in its own mode,
// and only those created after it.
func TestEndpointsReceiveOnlyTheirTenantsEvents(t *testing.T) {
	env := testenv.Open(t)
	acmeTest := as(t, env, "Acme", false)
	v, _ := viewer.FromContext(acmeTest)
	acmeLive := viewer.NewContext(context.Background(), viewer.Viewer{OrganizationID: v.OrganizationID, Livemode: true})
	globex := as(t, env, "Globex", false)

	interview(t, acmeTest, env, conversation.StatusCompleted) // before the endpoint existed
	rc := newReceiver(t, always(http.StatusOK))
	endpoint(t, acmeTest, env, rc.URL)
	start(t, env, fastOptions())
	interview(t, acmeLive, env, conversation.StatusCompleted)
	interview(t, globex, env, conversation.StatusCompleted)
	mine := interview(t, acmeTest, env, conversation.StatusCompleted)
	if r := rc.next(t); r.Envelope.Data["conversation_id"] != mine.ID.String() {
		t.Fatalf("the endpoint received %v, want only its own test-mode conversation %s", r.Envelope.Data, mine.ID)
	}
}

// Two processes delivering from one database make one attempt per event
// and endpoint between them.
func TestTwoProcessesDeliverEachEventOnce(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	rc := newReceiver(t, always(http.StatusOK))
	endpoint(t, ctx, env, rc.URL, conversations.EventStarted, conversations.EventCompleted)
	start(t, env, fastOptions())
	// The second process has a database client of its own.
	start(t, testenv.Reopen(t, env), fastOptions())
	const n = 10
	for range n {
		interview(t, ctx, env, conversation.StatusCompleted)
	}
	var ids []string
	for range 2 * n {
		ids = append(ids, rc.next(t).Envelope.EventID)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 2*n {
		t.Errorf("%d distinct events in %d deliveries", len(ids), 2*n)
	}
	// Everything is dispatched and finished: any duplicate would have had
	// the same chance to arrive by now.
	waitLogged(t, ctx, env, mustEndpoint(t, ctx, env), 2*n)
	select {
	case r := <-rc.got:
		t.Errorf("an extra delivery of %s %s", r.Envelope.EventType, r.Envelope.EventID)
	default:
	}
}

func mustEndpoint(t *testing.T, ctx context.Context, env *testenv.Env) uuid.UUID {
	t.Helper()
	id, err := env.Client.WebhookEndpoint.Query().OnlyID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A server that does not allow private addresses refuses to deliver to
// one (an endpoint saved while they were allowed, or a name that resolves
// to one): the attempt fails with the reason in the log, and the receiver
// gets nothing. The metrics count it.
func TestPrivateAddressesAreRefusedAtDelivery(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	rc := newReceiver(t, always(http.StatusOK))
	ep := endpoint(t, ctx, env, rc.URL)
	opts := fastOptions()
	opts.Client.AllowPrivate = false
	opts.Retries = []time.Duration{}
	opts.Metrics = env.Metrics
	start(t, env, opts)
	interview(t, ctx, env, conversation.StatusCompleted)
	logged := waitLogged(t, ctx, env, ep.ID, 1)
	if d := logged[0]; d.Success || d.ResponseStatus != nil || d.Error == nil || !strings.Contains(*d.Error, "refused") {
		t.Errorf("log entry %+v: want a refused attempt", d)
	}
	select {
	case r := <-rc.got:
		t.Errorf("the private receiver got %s", r.Envelope.EventType)
	default:
	}
	metrics := scrape(t, env)
	for _, want := range []string{
		`parley_webhook_attempts_total{outcome="failure"} 1`,
		`parley_webhook_deliveries_queued_total 1`,
		`parley_webhook_outbox_pending 0`,
		`parley_webhook_queue_depth`,
		`parley_webhook_oldest_pending_seconds`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
}

func scrape(t *testing.T, env *testenv.Env) string {
	t.Helper()
	rec := httptest.NewRecorder()
	env.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// An endpoint whose deliveries keep failing past DisableAfter is disabled,
// with the reason and the last answer for its owner to read.
func TestAnEndpointFailingForDaysIsDisabled(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	rc := newReceiver(t, always(http.StatusBadGateway))
	ep := endpoint(t, ctx, env, rc.URL)
	opts := fastOptions()
	opts.DisableAfter = time.Nanosecond // "days" elapse between two attempts
	start(t, env, opts)
	interview(t, ctx, env, conversation.StatusCompleted)
	rc.next(t)
	rc.next(t)
	var fresh *ent.WebhookEndpoint
	for deadline := time.Now().Add(patience); ; time.Sleep(10 * time.Millisecond) {
		var err error
		if fresh, err = env.Client.WebhookEndpoint.Get(ctx, ep.ID); err != nil {
			t.Fatal(err)
		}
		if !fresh.Enabled || time.Now().After(deadline) {
			break
		}
	}
	if fresh.Enabled || fresh.DisabledReason == nil || !strings.Contains(*fresh.DisabledReason, "HTTP 502") || fresh.FailingSince == nil {
		t.Fatalf("endpoint enabled %v, reason %v, failing since %v", fresh.Enabled, fresh.DisabledReason, fresh.FailingSince)
	}
	logged := waitLogged(t, ctx, env, ep.ID, 2)
	if len(logged) != 2 || logged[0].NextAttemptAt == nil || logged[1].NextAttemptAt != nil {
		t.Errorf("log: %d entries; the first must name its retry, the disabling one none", len(logged))
	}
	select {
	case r := <-rc.got:
		t.Errorf("a disabled endpoint got attempt %s", r.Envelope.EventID)
	case <-time.After(100 * time.Millisecond): // three retry intervals
	}
}

// Pruning deletes the delivery log and the dispatched events from before
// the cutoff, and never an event the relay has not dispatched yet.
func TestPruneKeepsWhatIsRecentOrUndispatched(t *testing.T) {
	env := testenv.Open(t)
	ctx := as(t, env, "Acme", false)
	rc := newReceiver(t, always(http.StatusOK))
	ep := endpoint(t, ctx, env, rc.URL)
	svc := start(t, env, fastOptions())
	interview(t, ctx, env, conversation.StatusCompleted)
	rc.next(t)
	waitLogged(t, ctx, env, ep.ID, 1)
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := svc.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	interview(t, ctx, env, conversation.StatusCompleted) // not dispatched: no relay runs
	count := func() (deliveries, dispatched, waiting int) {
		var err error
		if deliveries, err = env.Client.WebhookDelivery.Query().Count(ctx); err != nil {
			t.Fatal(err)
		}
		if dispatched, err = env.Client.Event.Query().Where(event.DispatchedAtNotNil()).Count(ctx); err != nil {
			t.Fatal(err)
		}
		if waiting, err = env.Client.Event.Query().Where(event.DispatchedAtIsNil()).Count(ctx); err != nil {
			t.Fatal(err)
		}
		return
	}
	d0, e0, w0 := count()
	if n, m, err := svc.Prune(context.Background(), time.Now().Add(-time.Hour)); err != nil || n != 0 || m != 0 {
		t.Fatalf("an hour-old cutoff pruned %d deliveries and %d events (%v), want none", n, m, err)
	}
	n, m, err := svc.Prune(context.Background(), time.Now().Add(time.Hour))
	if err != nil || n != d0 || m != e0 {
		t.Fatalf("a future cutoff pruned %d deliveries and %d events (%v), want %d and %d", n, m, err, d0, e0)
	}
	if d, e, w := count(); d != 0 || e != 0 || w != w0 || w0 == 0 {
		t.Errorf("after pruning: %d deliveries, %d dispatched and %d waiting events (%d waiting before)", d, e, w, w0)
	}
}
