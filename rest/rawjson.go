package rest

// The executor hands back its data as the compact JSON gqlgen wrote, and
// the REST bodies embed its objects as they are. Reading that JSON by its
// structure alone (where each value starts and ends) replaces
// encoding/json's validation pass over every byte and its decoding of the
// objects the REST body copies anyway.

import (
	"encoding/json"
	"errors"
	"fmt"
)

var errRawJSON = errors.New("rest: malformed GraphQL result")

// rawResult is a result that reads the executor's JSON itself; the bridge
// decodes any other with encoding/json.
type rawResult interface {
	decodeRaw(data []byte) error
}

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at b[i]
// (i at its first byte, not at space before it).
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errRawJSON
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++ // the escaped byte, whatever it is
			case '"':
				return j + 1, nil
			}
		}
		return 0, errRawJSON
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := valueEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errRawJSON
	case ',', ':', '}', ']':
		return 0, errRawJSON
	}
	// A number, true, false or null: up to the next delimiter.
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j, nil
}

// each calls fn for every element of the JSON array or member of the JSON
// object b (its key, quotes included, or nil for an array element), with
// the element's or member's value as it stands in b.
func each(b []byte, open, close byte, fn func(key, value []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != open {
		return errRawJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == close {
		return nil
	}
	for {
		var key []byte
		if open == '{' {
			end, err := valueEnd(b, i)
			if err != nil || b[i] != '"' {
				return errRawJSON
			}
			key = b[i:end]
			i = skipSpace(b, end)
			if i >= len(b) || b[i] != ':' {
				return errRawJSON
			}
			i = skipSpace(b, i+1)
		}
		end, err := valueEnd(b, i)
		if err != nil {
			return err
		}
		if err := fn(key, b[i:end]); err != nil {
			return err
		}
		i = skipSpace(b, end)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == close:
			return nil
		default:
			return errRawJSON
		}
	}
}

// member returns the value of the object's member named name (a name
// without escapes, as the fixed operations' aliases are), or nil.
func member(obj []byte, name string) ([]byte, error) {
	var found []byte
	err := each(obj, '{', '}', func(key, value []byte) error {
		if len(key) == len(name)+2 && string(key[1:len(key)-1]) == name {
			found = value
		}
		return nil
	})
	return found, err
}

func (c *connection) decodeRaw(data []byte) error {
	page, err := member(data, "page")
	if err != nil {
		return fmt.Errorf("reading the page: %w", err)
	}
	if isNull(page) {
		return nil
	}
	return each(page, '{', '}', func(key, value []byte) error {
		switch string(key) {
		case `"edges"`:
			return each(value, '[', ']', func(_, element []byte) error {
				node, err := member(element, "node")
				if err != nil {
					return err
				}
				c.Page.Edges = append(c.Page.Edges, edge{Node: node})
				return nil
			})
		case `"pageInfo"`:
			return json.Unmarshal(value, &c.Page.PageInfo)
		}
		return nil
	})
}

// objectResult is the result of an operation that reads one object under
// the alias "object".
type objectResult struct {
	Object json.RawMessage
}

func (o *objectResult) decodeRaw(data []byte) error {
	obj, err := member(data, "object")
	o.Object = obj
	return err
}

// objectConnection is the result of an operation that pages a connection
// of one object: {"object": {"page": ...}}.
type objectConnection struct {
	Object *connection
}

func (o *objectConnection) decodeRaw(data []byte) error {
	obj, err := member(data, "object")
	if err != nil || isNull(obj) {
		return err
	}
	o.Object = &connection{}
	return o.Object.decodeRaw(obj)
}
