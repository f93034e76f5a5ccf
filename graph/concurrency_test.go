package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/testenv"
)

// Many first appends to pending conversations at once: each succeeds or
// answers conflict (never invalid_request), and every conversation's
// positions are 1..n with no gap or duplicate, n being what the successful
// appends added.
func TestConcurrentFirstAppends(t *testing.T) {
	env := apitest.Start(t)
	key := env.Key(t, "Acme", false)
	agentID := newAgent(t, env, key, "Interviewer")
	const conversations, appenders, perAppend = 30, 16, 2
	ids := make([]string, conversations)
	for i := range ids {
		ids[i] = newConversation(t, env, key, agentID)
	}

	type outcome struct {
		conv int
		res  testenv.Response
	}
	results := make(chan outcome, conversations*appenders)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for c := range conversations {
		for a := range appenders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msgs := make([]any, perAppend)
				for m := range msgs {
					msgs[m] = map[string]any{"role": "user", "content": fmt.Sprintf("appender %d message %d", a, m), "modality": "text"}
				}
				<-start
				results <- outcome{c, env.GraphQL(t, key, appendMessages, map[string]any{"id": ids[c], "messages": msgs})}
			}()
		}
	}
	close(start)
	wg.Wait()
	close(results)

	appended := make([]int, conversations)
	conflicts := 0
	for o := range results {
		switch {
		case len(o.res.Errors) == 0:
			appended[o.conv] += perAppend
		case len(o.res.Errors) == 1 && o.res.Errors[0].Code() == "conflict":
			conflicts++
		default:
			t.Errorf("conversation %d: an append answered %+v", o.conv, o.res.Errors)
		}
	}
	t.Logf("%d appends conflicted", conflicts)
	for c, id := range ids {
		data := env.MustGraphQL(t, key, `query($id: ID!) { conversation(id: $id) { status messageCount turnCount transcript { position } } }`, map[string]any{"id": id})
		conv := testenv.Get(data, "conversation").(map[string]any)
		transcript := conv["transcript"].([]any)
		if len(transcript) != appended[c] || conv["messageCount"] != float64(appended[c]) || conv["turnCount"] != float64(appended[c]) {
			t.Errorf("conversation %d: %d messages, messageCount %v, turnCount %v; the successful appends added %d",
				c, len(transcript), conv["messageCount"], conv["turnCount"], appended[c])
		}
		for i, m := range transcript {
			if testenv.Get(m, "position") != float64(i+1) {
				t.Errorf("conversation %d: message %d has position %v", c, i, testenv.Get(m, "position"))
			}
		}
		if appended[c] > 0 && conv["status"] != "in_progress" {
			t.Errorf("conversation %d is %v after appends", c, conv["status"])
		}
	}
}

// When a conditional update finds the conversation changed after it was
// read (here a change slipped in within the transaction, which the row
// lock makes impossible otherwise), the answer is conflict, not
// invalid_request, and nothing is written.
func TestChangedConversationIsConflict(t *testing.T) {
	faults := &testenv.Faults{}
	env := apitest.StartOn(t, testenv.Open(t, database.WithDriver(faults.Wrap)), nil)
	key := env.Key(t, "Acme", false)
	id := newConversation(t, env, key, newAgent(t, env, key, "Interviewer"))
	// Before the conversation's UPDATE, move it on behind the resolver's back.
	faults.OnStatement(func(ctx context.Context, query string, conn dialect.ExecQuerier) error {
		if !isConversationUpdate(query) {
			return nil
		}
		faults.OnStatement(nil)
		return conn.Exec(ctx, `UPDATE conversations SET status = 'abandoned'`, []any{}, nil)
	})
	res := env.GraphQL(t, key, appendMessages, map[string]any{"id": id, "messages": []any{map[string]any{"role": "user", "content": "hi", "modality": "text"}}})
	if e := onlyError(t, res, "conflict"); !strings.Contains(e.Message, "retry") {
		t.Errorf("message %q does not say to retry", e.Message)
	}

	faults.OnStatement(func(ctx context.Context, query string, conn dialect.ExecQuerier) error {
		if !isConversationUpdate(query) {
			return nil
		}
		faults.OnStatement(nil)
		return conn.Exec(ctx, `UPDATE conversations SET status = 'archived'`, []any{}, nil)
	})
	onlyError(t, env.GraphQL(t, key, setStatus, map[string]any{"id": id, "status": "in_progress"}), "conflict")

	data := env.MustGraphQL(t, key, `query($id: ID!) { conversation(id: $id) { status messageCount } }`, map[string]any{"id": id})
	if got := testenv.Get(data, "conversation"); testenv.Get(got, "status") != "pending" || testenv.Get(got, "messageCount") != float64(0) {
		t.Fatalf("conversation after refused writes: %v", got)
	}
}

// isConversationUpdate matches ent's UPDATE of conversations in either
// dialect's quoting.
func isConversationUpdate(query string) bool {
	table, ok := strings.CutPrefix(query, "UPDATE ")
	return ok && strings.HasPrefix(strings.TrimLeft(table, "\"`"), "conversations")
}
