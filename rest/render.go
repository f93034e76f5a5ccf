package rest

// Rendering: the REST bodies, the pagination object and the error envelope.

import (
	"encoding/json"
	"net/http"
	"strconv"

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
		Edges    []edge `json:"edges"`
		PageInfo struct {
			HasNextPage     bool    `json:"hasNextPage"`
			HasPreviousPage bool    `json:"hasPreviousPage"`
			StartCursor     *string `json:"startCursor"`
			EndCursor       *string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"page"`
}

// edge is one element of a connection: the node, rendered.
type edge struct {
	Node json.RawMessage `json:"node"`
}

// nodes are the page's nodes as the executor rendered them; never nil, so
// an empty page is written as [].
func (c *connection) nodes() []json.RawMessage {
	if c == nil {
		return []json.RawMessage{}
	}
	out := make([]json.RawMessage, len(c.Page.Edges))
	for i, e := range c.Page.Edges {
		out[i] = e.Node
	}
	return out
}

// body turns a connection page into the REST list body. Reading forward
// (no cursor or `after`), more items lie after the end cursor; reading
// backward (`before`), more lie before the start cursor. The cursor back to
// where the reader came from is always there, except on the first page.
func (c *connection) body(p page) listBody {
	info := c.Page.PageInfo
	out := listBody{Data: c.nodes()}
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

// respond writes a 200 JSON answer, or the error envelope.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, body any, err error) {
	if err != nil {
		e, ok := apperr.As(err)
		if !ok {
			e, ok = apperr.OutOfTime(r.Context(), err)
		}
		if !ok {
			h.logger.ErrorContext(r.Context(), "rest request failed", "error", err, "path", r.URL.Path)
			e = apperr.New(apperr.Internal, "internal error")
		}
		WriteError(w, r, e)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// jsonAppender is a body that writes its own JSON. The REST bodies embed
// objects the GraphQL executor already rendered as compact JSON; writing
// them as they are skips encoding/json's re-validation of every byte.
type jsonAppender interface {
	appendJSON(b []byte) []byte
	jsonSize() int // a close upper estimate, to allocate once
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if a, ok := body.(jsonAppender); ok {
		_, _ = w.Write(append(a.appendJSON(make([]byte, 0, a.jsonSize()+1)), '\n'))
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}

// WriteError writes the REST error envelope. It is also used by the
// authentication middleware in front of this handler.
func WriteError(w http.ResponseWriter, _ *http.Request, err *apperr.Error) {
	type body struct {
		Code    apperr.Code `json:"code"`
		Message string      `json:"message"`
	}
	// A rate limit and a concurrent change both pass: say when to retry.
	if (err.Code == apperr.RateLimited || err.Code == apperr.Conflict) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, err.Code.HTTPStatus(), map[string]body{"error": {Code: err.Code, Message: err.Message}})
}
