package rest

import (
	"bytes"
	"encoding/json"
	"testing"
)

// compact is v without insignificant space, for comparing JSON texts.
func compact(t *testing.T, v []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		t.Fatalf("compacting %q: %v", v, err)
	}
	return b.String()
}

// checkAgainstEncodingJSON holds each to encoding/json on any valid JSON
// object or array: the same members or elements, each value the same text.
// On anything else it must not panic.
func checkAgainstEncodingJSON(t *testing.T, doc []byte) {
	var obj map[string]json.RawMessage
	var arr []json.RawMessage
	switch {
	case json.Unmarshal(doc, &obj) == nil && obj != nil:
		n := 0
		err := each(doc, '{', '}', func(key, value []byte) error {
			n++
			var k string
			if err := json.Unmarshal(key, &k); err != nil {
				t.Fatalf("%s: key %q is not a JSON string", doc, key)
			}
			// With a repeated key, encoding/json keeps the last value.
			if want, ok := obj[k]; !ok || compact(t, want) != compact(t, value) && bytes.Count(doc, key) == 1 {
				t.Fatalf("%s: member %s = %s, encoding/json has %s", doc, key, value, want)
			}
			return nil
		})
		if err != nil || n < len(obj) {
			t.Fatalf("%s: %d members (%v), encoding/json finds %d", doc, n, err, len(obj))
		}
	case json.Unmarshal(doc, &arr) == nil:
		var got []string
		if err := each(doc, '[', ']', func(_, value []byte) error {
			got = append(got, compact(t, value))
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if len(got) != len(arr) {
			t.Fatalf("%s: %d elements, encoding/json finds %d", doc, len(got), len(arr))
		}
		for i := range arr {
			if got[i] != compact(t, arr[i]) {
				t.Fatalf("%s: element %d is %s, encoding/json has %s", doc, i, got[i], arr[i])
			}
		}
	default:
		_ = each(doc, '{', '}', func(_, _ []byte) error { return nil })
		_ = each(doc, '[', ']', func(_, _ []byte) error { return nil })
		_, _ = member(doc, "page")
	}
}

var rawJSONSeeds = []string{
	`{"page":{"edges":[{"node":{"id":"a","x":[1,2,{"y":"}]"}]}}],"pageInfo":{"hasNextPage":true,"endCursor":null}}}`,
	`{"object":null}`,
	`{"object":{"content":"say \"hi\" \\ {not [a] brace}","n":-1.5e3,"t":true,"f":false}}`,
	`[ 1 , "two" , [3] , {"four" : 4} , null ]`,
	`{}`, `[]`, `{"a":1,"a":2}`, `{"a":`, `[1,]`, `{"a" 1}`, `"\`, `{"\u0022":"x"}`, ``, `nul`,
}

func TestRawJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, doc := range rawJSONSeeds {
		checkAgainstEncodingJSON(t, []byte(doc))
	}
	var c connection
	if err := c.decodeRaw([]byte(rawJSONSeeds[0])); err != nil {
		t.Fatal(err)
	}
	if len(c.Page.Edges) != 1 || string(c.Page.Edges[0].Node) != `{"id":"a","x":[1,2,{"y":"}]"}]}` || !c.Page.PageInfo.HasNextPage || c.Page.PageInfo.EndCursor != nil {
		t.Fatalf("decoded %+v", c)
	}
	var o objectConnection
	if err := o.decodeRaw([]byte(`{"object":null}`)); err != nil || o.Object != nil {
		t.Fatalf("a null object decoded to %+v, %v", o.Object, err)
	}
	for _, bad := range []string{`{"page":{"edges":[{"node":`, `{"page":[`, `{"object":"x`} {
		if err := c.decodeRaw([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func FuzzRawJSON(f *testing.F) {
	for _, doc := range rawJSONSeeds {
		f.Add([]byte(doc))
	}
	f.Fuzz(checkAgainstEncodingJSON)
}
