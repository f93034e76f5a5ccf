package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/testenv"
)

// Driver errors as the drivers make them: their text names the user,
// database, host, port and files, none of which a caller may see.
var (
	unreachable = fmt.Errorf("failed to connect to `user=parley_admin database=parley_prod`: %w", &net.OpError{
		Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 20, 30, 40), Port: 5432},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED),
	})
	diskFull = &pgconn.PgError{Severity: "ERROR", Code: "53100", Message: `could not extend file "base/16384/2619": No space left on device`}
	// An error nothing classifies: internal_error.
	strange = errors.New("database or disk is full (/var/lib/parley/parley.db-wal)")
)

var driverWords = []string{"parley_admin", "parley_prod", "10.20.30.40", "5432", "refused", "base/16384", "No space", "disk is full", "/var/lib", "transaction"}

func assertNoDriverWords(t *testing.T, body []byte) {
	t.Helper()
	for _, w := range driverWords {
		if strings.Contains(string(body), w) {
			t.Errorf("the answer shows the driver's %q: %s", w, body)
		}
	}
}

// A transaction that cannot begin or commit is answered through the error
// presenter: a generic message with a code, the driver's text only in the
// log, and nothing written.
func TestTransactionFailuresAreCoded(t *testing.T) {
	faults := &testenv.Faults{}
	env := apitest.StartOn(t, testenv.Open(t, database.WithDriver(faults.Wrap)), nil)
	key := env.Key(t, "Acme", false)
	for _, tc := range []struct {
		name string
		arm  func()
		code string
	}{
		{"begin, database unreachable", func() { faults.FailBegin(unreachable) }, "unavailable"},
		{"commit, disk full", func() { faults.FailCommit(diskFull) }, "unavailable"},
		{"begin, unknown failure", func() { faults.FailBegin(strange) }, "internal_error"},
		{"commit, unknown failure", func() { faults.FailCommit(strange) }, "internal_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.arm()
			body, _ := json.Marshal(map[string]any{"query": createAgent, "variables": map[string]any{"input": map[string]any{"name": "Interviewer"}}})
			res := env.Send(t, http.MethodPost, key, "/graphql", strings.NewReader(string(body)), http.Header{"Content-Type": {"application/json"}})
			faults.FailBegin(nil)
			faults.FailCommit(nil)
			var out struct {
				Data   map[string]any         `json:"data"`
				Errors []testenv.GraphQLError `json:"errors"`
			}
			if err := json.Unmarshal(res.Body, &out); err != nil || len(out.Errors) != 1 {
				t.Fatalf("not one GraphQL error: %s", res)
			}
			if got := out.Errors[0].Code(); got != tc.code {
				t.Errorf("code %q, want %q: %s", got, tc.code, res)
			}
			if out.Data["createAgent"] != nil {
				t.Errorf("a failed mutation returned data: %s", res)
			}
			assertNoDriverWords(t, res.Body)
			if got := testenv.Get(env.MustGraphQL(t, key, `{ agents { totalCount } }`, nil), "agents", "totalCount"); got != float64(0) {
				t.Errorf("agents after a failed transaction = %v, want 0", got)
			}
		})
	}
	// The operators see what happened.
	for _, want := range []string{"parley_prod", "No space left on device", "/var/lib/parley/parley.db-wal"} {
		if !strings.Contains(env.Logs.String(), want) {
			t.Errorf("the log lacks the driver's %q", want)
		}
	}
}

// A statement that fails because the database cannot be reached answers
// `unavailable` on both APIs (REST: 503 with the envelope), not the
// driver's text or a 500.
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	faults := &testenv.Faults{}
	env := apitest.StartOn(t, testenv.Open(t, database.WithDriver(faults.Wrap)), nil)
	key := env.Key(t, "Acme", false)
	env.WarmKey(t, key)
	// The key lookup works; every other statement finds the database gone.
	faults.OnStatement(func(_ context.Context, query string, _ dialect.ExecQuerier) error {
		if strings.Contains(query, "api_keys") {
			return nil
		}
		return unreachable
	})
	t.Cleanup(func() { faults.OnStatement(nil) })

	res := env.GraphQL(t, key, `{ conversations(first: 5) { edges { node { id } } } }`, nil)
	onlyError(t, res, "unavailable")
	for _, e := range res.Errors {
		assertNoDriverWords(t, []byte(e.Message))
	}

	rest := env.Send(t, http.MethodGet, key, "/v1/backend/conversations", nil, nil)
	var envelope struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(rest.Body, &envelope); err != nil || rest.Status != http.StatusServiceUnavailable || envelope.Error.Code != "unavailable" {
		t.Fatalf("REST: %s", rest)
	}
	assertNoDriverWords(t, rest.Body)
}
