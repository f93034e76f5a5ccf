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

// Validation errors name ent fields by column; callers know them by the
// GraphQL names entgql gave them, acronyms included.
func TestGraphQLNames(t *testing.T) {
	for column, want := range map[string]string{
		"avatar_image_url":    "avatarImageURL",
		"agent_id":            "agentID",
		"participant_id":      "participantID",
		"connection_code":     "connectionCode",
		"session_properties":  "sessionProperties",
		"path_taken":          "pathTaken",
		"organization_domain": "organizationDomain",
		"available_modes":     "availableModes",
		"name":                "name",
	} {
		if got := graphqlName(column); got != want {
			t.Errorf("graphqlName(%q) = %q, want %q", column, got, want)
		}
	}
}
