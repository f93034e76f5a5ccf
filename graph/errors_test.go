package graph

import (
	"os"
	"regexp"
	"testing"
)

// Every where input that entgql generates has an "empty predicate" error;
// each must be known to the presenter, or an empty filter object would
// answer internal_error instead of invalid_request.
func TestEmptyWhereErrorsAreComplete(t *testing.T) {
	src, err := os.ReadFile("../ent/gql_where_input.go")
	if err != nil {
		t.Fatal(err)
	}
	decls := regexp.MustCompile(`(?m)^var (ErrEmpty\w+WhereInput) = errors\.New\("(.*)"\)`).FindAllStringSubmatch(string(src), -1)
	if len(decls) == 0 {
		t.Fatal("found no empty-where errors in the generated code")
	}
	for _, d := range decls {
		if !knownEmptyWhere(d[2]) {
			t.Errorf("ent.%s is not in emptyWhereErrors", d[1])
		}
	}
	if len(decls) != len(emptyWhereErrors) {
		t.Errorf("the generated code has %d empty-where errors, emptyWhereErrors lists %d", len(decls), len(emptyWhereErrors))
	}
}

func knownEmptyWhere(text string) bool {
	for _, e := range emptyWhereErrors {
		if e.Error() == text {
			return true
		}
	}
	return false
}
