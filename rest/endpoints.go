package rest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/parleyhq/parley/internal/apperr"
)

// Pagination is the REST page metadata.
type Pagination struct {
	HasMore    bool    `json:"has_more"`
	NextCursor *string `json:"next_cursor"`
	PrevCursor *string `json:"prev_cursor"`
}

type listBody struct {
	Data       []json.RawMessage `json:"data"`
	Pagination Pagination        `json:"pagination"`
}

type objectBody struct {
	Data json.RawMessage `json:"data"`
}

func (l listBody) appendJSON(b []byte) []byte {
	b = append(b, `{"data":[`...)
	for i, item := range l.Data {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, item...)
	}
	b = append(b, `],"pagination":{"has_more":`...)
	b = strconv.AppendBool(b, l.Pagination.HasMore)
	b = append(b, `,"next_cursor":`...)
	b = appendNullableString(b, l.Pagination.NextCursor)
	b = append(b, `,"prev_cursor":`...)
	b = appendNullableString(b, l.Pagination.PrevCursor)
	return append(b, "}}"...)
}

func (l listBody) jsonSize() int {
	n := 128 + 2*128 // envelope and two cursors
	for _, item := range l.Data {
		n += len(item) + 1
	}
	return n
}

func (o objectBody) jsonSize() int { return 16 + len(o.Data) }

func (o objectBody) appendJSON(b []byte) []byte {
	b = append(b, `{"data":`...)
	b = append(b, o.Data...)
	return append(b, '}')
}

func appendNullableString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	quoted, _ := json.Marshal(*s) // a string always marshals
	return append(b, quoted...)
}

// connection is the part of a GraphQL connection the REST lists read.
type connection struct {
	Page struct {
		Edges []struct {
			Node json.RawMessage `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage     bool    `json:"hasNextPage"`
			HasPreviousPage bool    `json:"hasPreviousPage"`
			StartCursor     *string `json:"startCursor"`
			EndCursor       *string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"page"`
}

// body turns a connection page into the REST list body. Reading forward
// (no cursor or `after`), more items lie after the end cursor; reading
// backward (`before`), more lie before the start cursor. The cursor back to
// where the reader came from is always there, except on the first page.
func (c *connection) body(p page) listBody {
	info := c.Page.PageInfo
	out := listBody{Data: make([]json.RawMessage, len(c.Page.Edges))}
	for i, e := range c.Page.Edges {
		out.Data[i] = e.Node
	}
	if len(c.Page.Edges) == 0 {
		return out
	}
	if p.backward() {
		out.Pagination.HasMore = info.HasPreviousPage
		out.Pagination.NextCursor = info.EndCursor
		if info.HasPreviousPage {
			out.Pagination.PrevCursor = info.StartCursor
		}
	} else {
		out.Pagination.HasMore = info.HasNextPage
		if info.HasNextPage {
			out.Pagination.NextCursor = info.EndCursor
		}
		if p.after != "" {
			out.Pagination.PrevCursor = info.StartCursor
		}
	}
	return out
}

func (h *Handler) listConversations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := parsePage(q)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	where, err := conversationFilter(q)
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	vars := p.vars()
	vars["where"] = where
	var out connection
	if err := h.execute(r.Context(), listConversations, vars, &out); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, out.body(p), nil)
}

func (h *Handler) listAgents(w http.ResponseWriter, r *http.Request) {
	p, err := parsePage(r.URL.Query())
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	var out connection
	if err := h.execute(r.Context(), listAgents, p.vars(), &out); err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, out.body(p), nil)
}

func (h *Handler) getConversation(w http.ResponseWriter, r *http.Request) {
	h.getObject(w, r, getConversation, "conversation")
}

func (h *Handler) getTranscript(w http.ResponseWriter, r *http.Request) {
	h.getObject(w, r, getTranscript, "conversation")
}

func (h *Handler) getAgent(w http.ResponseWriter, r *http.Request) {
	h.getObject(w, r, getAgent, "agent")
}

// getObject answers a single-object endpoint. Unknown IDs and IDs of other
// organizations or modes get the same 404.
func (h *Handler) getObject(w http.ResponseWriter, r *http.Request, query, label string) {
	raw := mux.Vars(r)["id"]
	id, err := parseUUID(raw)
	if err != nil {
		h.respond(w, r, nil, apperr.Invalidf("id: %q is not a UUID", raw))
		return
	}
	var out struct {
		Object json.RawMessage `json:"object"`
	}
	err = h.execute(r.Context(), query, map[string]any{"id": id.String()}, &out)
	if e, ok := apperr.As(err); ok && e.Code == apperr.NotFound || err == nil && isNull(out.Object) {
		err = apperr.NotFoundf("%s %s not found", label, id)
	}
	if err != nil {
		h.respond(w, r, nil, err)
		return
	}
	h.respond(w, r, objectBody{Data: out.Object}, nil)
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }
