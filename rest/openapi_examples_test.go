package rest_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/parleyhq/parley/api/apitest"
)

// TestOpenAPIExamples checks that generated docs and mock servers have
// something true to show: every schema, every response and every parameter
// of the served document has an example, and each example is valid against
// its schema (uuid formats included).
func TestOpenAPIExamples(t *testing.T) {
	env := apitest.Start(t)
	api := loadOpenAPI(t, env)
	opts := append(api.opts.SchemaValidationOptions, openapi3.EnableJSONSchema2020())

	check := func(where string, schema *openapi3.SchemaRef, example any) {
		t.Helper()
		if example == nil {
			t.Errorf("%s has no example", where)
			return
		}
		// Round-trip through JSON so numbers are float64, as in a response.
		raw, err := json.Marshal(example)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.Value.VisitJSON(v, opts...); err != nil {
			t.Errorf("%s: the example does not match the schema: %v", where, err)
		}
	}

	for _, name := range sortedKeys(api.doc.Components.Schemas) {
		s := api.doc.Components.Schemas[name]
		if len(s.Value.Examples) == 0 {
			t.Errorf("schema %s has no examples", name)
		}
		for i, ex := range s.Value.Examples {
			check(fmt.Sprintf("schema %s, example %d", name, i+1), s, ex)
		}
	}
	checkResponse := func(where string, r *openapi3.ResponseRef) {
		for ct, mt := range r.Value.Content {
			check(fmt.Sprintf("%s (%s)", where, ct), mt.Schema, mt.Example)
		}
		for name, h := range r.Value.Headers {
			check(fmt.Sprintf("%s header %s", where, name), h.Value.Schema, h.Value.Example)
		}
	}
	for _, name := range sortedKeys(api.doc.Components.Responses) {
		checkResponse("response "+name, api.doc.Components.Responses[name])
	}
	for _, name := range sortedKeys(api.doc.Components.Parameters) {
		p := api.doc.Components.Parameters[name].Value
		check("parameter "+name, p.Schema, p.Example)
	}
	operations := 0
	for path, item := range api.doc.Paths.Map() {
		for method, op := range item.Operations() {
			operations++
			for status, r := range op.Responses.Map() {
				if r.Ref == "" { // component responses are checked above
					checkResponse(fmt.Sprintf("%s %s %s", method, path, status), r)
				}
			}
		}
	}
	if operations == 0 {
		t.Fatal("the document has no operations")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
