package graph

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse writes what gqlgen's transports write (json.Marshal of the
// response), except that it leaves <, > and & in strings as they are.
func TestWriteResponseIsGqlgens(t *testing.T) {
	yes := true
	for name, resp := range map[string]*graphql.Response{
		"data":        {Data: json.RawMessage(`{"a":[1,{"b":"x <y> & z \u2028"}],"c":null}`)},
		"null data":   {},
		"errors":      {Errors: gqlerror.List{{Message: "no <b>", Path: ast.Path{ast.PathName("a"), ast.PathIndex(0)}, Extensions: map[string]any{"code": "not_found"}}}, Data: json.RawMessage(`{"a":null}`)},
		"extensions":  {Data: json.RawMessage(`{}`), Extensions: map[string]any{"cost": 3, "z": "&"}},
		"incremental": {Data: json.RawMessage(`{"a":1}`), Label: "l", Path: ast.Path{ast.PathName("a")}, HasNext: &yes},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		var got, escaped bytes.Buffer
		writeResponse(&got, resp)
		json.HTMLEscape(&escaped, got.Bytes())
		if escaped.String() != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, escaped.String(), want)
		}
	}
}
