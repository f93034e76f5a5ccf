package main

import (
	"strings"
	"testing"
)

// Every edit applies to the gqlgen in go.mod exactly once, and the edited
// templates still hold the text gqlgen's own rendering relies on.
func TestEditsApplyToGqlgensTemplates(t *testing.T) {
	fsys, err := execTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		got := string(fsys[e.file].Data)
		if strings.Count(got, e.new) != 1 {
			t.Errorf("%s: the edit did not replace gqlgen's text", e.file)
		}
	}
	if _, ok := fsys["inplace.gotpl"]; !ok {
		t.Error("the in-place template is not rendered")
	}
}
