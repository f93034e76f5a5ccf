package rest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent/conversation"
)

// FuzzListParameters sends arbitrary query strings to the list endpoints.
// Every answer is a 200 page or a 400 envelope, never a server error.
func FuzzListParameters(f *testing.F) {
	env := apitest.Start(f)
	tn := newTenant(f, env, "Fuzz", false)
	agent := tn.agent(f, "Fuzzer", time.Now().Add(-time.Hour))
	for i := range 5 {
		tn.conversation(f, agent.ID, conversation.StatusCompleted, time.Now().Add(-time.Duration(i)*time.Minute))
	}
	page := ok(f, get(f, env, tn.key, "/v1/backend/conversations?limit=2"))
	next := cursor(f, page, "next_cursor")
	for _, q := range []string{
		"", "limit=5", "limit=0", "limit=abc", "limit=5.5", "limit=%2B5", "limit=1&limit=2",
		"after=" + url.QueryEscape(next), "before=" + url.QueryEscape(next), "after=x&before=y",
		"status=completed&agent_id=" + agent.ID.String(), "status=COMPLETED", "agent_id=zzz",
		"after=gqFpxBAAAAAAAAAAAAAAAAAAAAAAoXaAAQ==", "%zz", "limit=99999999999999999999",
	} {
		f.Add(q, true)
		f.Add(q, false)
	}
	f.Fuzz(func(t *testing.T, rawQuery string, conversations bool) {
		for _, c := range []byte(rawQuery) {
			if c <= ' ' || c >= 0x7f || c == '#' {
				return // not sendable in a request line: net/http refuses it before Parley sees it
			}
		}
		path := "/v1/backend/agents?"
		if conversations {
			path = "/v1/backend/conversations?"
		}
		res := get(t, env, tn.key, path+rawQuery)
		var body map[string]any
		if err := json.Unmarshal(res.Body, &body); err != nil {
			t.Fatalf("%s%s: body is not JSON: %s", path, rawQuery, res.Body)
		}
		switch res.Status {
		case http.StatusOK:
			if _, ok := body["pagination"]; !ok {
				t.Fatalf("%s%s: 200 without pagination: %s", path, rawQuery, res.Body)
			}
		case http.StatusBadRequest:
			wantError(t, res, http.StatusBadRequest, "invalid_request")
		default:
			t.Fatalf("%s%s: %s", path, rawQuery, res)
		}
	})
}

// FuzzPathIDs sends arbitrary path segments as object IDs.
func FuzzPathIDs(f *testing.F) {
	env := apitest.Start(f)
	tn := newTenant(f, env, "Fuzz", false)
	agent := tn.agent(f, "Fuzzer", time.Now())
	conv := tn.conversation(f, agent.ID, conversation.StatusPending, time.Now())
	for _, id := range []string{conv.ID.String(), agent.ID.String(), "abc", "00000000-0000-0000-0000-000000000000", "{" + conv.ID.String() + "}", "urn:uuid:" + conv.ID.String(), "%00", "..", ""} {
		f.Add(id, 0)
		f.Add(id, 1)
		f.Add(id, 2)
	}
	f.Fuzz(func(t *testing.T, id string, endpoint int) {
		target := []string{"/v1/backend/conversations/", "/v1/backend/agents/", "/v1/backend/conversations/"}[(endpoint%3+3)%3] + url.PathEscape(id)
		if (endpoint%3+3)%3 == 2 {
			target += "/transcript"
		}
		res := get(t, env, tn.key, target)
		switch res.Status {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			t.Fatalf("%s: %s", target, res)
		}
	})
}
