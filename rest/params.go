package rest

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/paging"
)

// page is a validated list request: how many items, from which cursor, in
// which direction.
type page struct {
	limit  int
	after  string
	before string
}

// backward reports whether the page is read towards newer items.
func (p page) backward() bool { return p.before != "" }

// vars returns the connection arguments of the page.
func (p page) vars() map[string]any {
	vars := map[string]any{}
	if p.backward() {
		vars["last"] = p.limit
		vars["before"] = p.before
	} else {
		vars["first"] = p.limit
		if p.after != "" {
			vars["after"] = p.after
		}
	}
	return vars
}

// single returns the value of a query parameter given at most once.
func single(q url.Values, name string) (string, error) {
	vs := q[name]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", apperr.Invalidf("%s: give it at most once", name)
}

// parsePage validates the paging parameters of a list of node in the
// ordering by orderField (as GraphQL names it).
func parsePage(q url.Values, node, orderField string) (page, error) {
	p := page{limit: paging.DefaultPageSize}
	raw, err := single(q, "limit")
	if err != nil {
		return p, err
	}
	if _, given := q["limit"]; given {
		// A REST page is never empty on purpose: 0 is refused here, while
		// paging.CheckSize bounds the rest.
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || paging.CheckSize(int64(n)) != nil {
			return p, apperr.Invalidf("limit: must be an integer from 1 to %d, got %s", paging.MaxPageSize, apperr.Echo(raw))
		}
		p.limit = n
	}
	for _, c := range []struct {
		name string
		dst  *string
	}{{"after", &p.after}, {"before", &p.before}} {
		raw, err := single(q, c.name)
		if err != nil {
			return p, err
		}
		if _, given := q[c.name]; given {
			if err := paging.CheckCursor(node, orderField, raw); err != nil {
				return p, apperr.Invalidf("%s: not a cursor from an earlier page's pagination", c.name)
			}
			*c.dst = raw
		}
	}
	if p.after != "" && p.before != "" {
		return p, apperr.Invalidf("after, before: give at most one of them")
	}
	return p, nil
}

// conversationFilter validates the conversation list filters.
func conversationFilter(q url.Values) (map[string]any, error) {
	where := map[string]any{}
	status, err := single(q, "status")
	if err != nil {
		return nil, err
	}
	if _, given := q["status"]; given {
		if conversation.StatusValidator(conversation.Status(status)) != nil {
			return nil, apperr.Invalidf("status: must be one of pending, in_progress, completed, abandoned, archived; got %s", apperr.Echo(status))
		}
		where["status"] = status
	}
	agentID, err := single(q, "agent_id")
	if err != nil {
		return nil, err
	}
	if _, given := q["agent_id"]; given {
		id, err := parseUUID(agentID)
		if err != nil {
			return nil, apperr.Invalidf("agent_id: %s is not a UUID", apperr.Echo(agentID))
		}
		where["agentID"] = id.String()
	}
	return where, nil
}

// parseUUID accepts the 36-character hyphenated form only.
func parseUUID(s string) (uuid.UUID, error) {
	if len(s) != 36 {
		return uuid.Nil, apperr.Invalidf("not a UUID")
	}
	return uuid.Parse(s)
}

// takes refuses query parameters the endpoint does not know, naming them:
// a misspelt filter (`?Status=completed`) must not silently return the
// unfiltered list.
func takes(next http.HandlerFunc, known ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, name := range slices.Sorted(maps.Keys(r.URL.Query())) {
			if slices.Contains(known, name) {
				continue
			}
			what := "takes no query parameters"
			if len(known) > 0 {
				what = "takes " + strings.Join(known, ", ")
			}
			WriteError(w, r, apperr.Invalidf("unknown query parameter %s; %s %s", apperr.Echo(name), r.URL.Path, what))
			return
		}
		next(w, r)
	})
}
