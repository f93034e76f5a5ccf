package observe

import (
	"strings"
	"testing"
	"unsafe"
)

// An operation name is a slice of the query's text: kept as a metric
// label it would keep the whole query alive for good (200 names of 1 MB
// queries held 200 MB). The label must be a copy.
func TestOperationLabelDoesNotKeepTheQuery(t *testing.T) {
	m := NewMetrics()
	query := "query Big " + strings.Repeat(" ", 1<<20) + "{ __typename }"
	name := query[len("query "):len("query Big")]
	label := m.operationLabel(name)
	if label != "Big" {
		t.Fatalf("label %q", label)
	}
	start, end := uintptr(unsafe.Pointer(unsafe.StringData(query))), uintptr(unsafe.Pointer(unsafe.StringData(query)))+uintptr(len(query))
	if p := uintptr(unsafe.Pointer(unsafe.StringData(label))); p >= start && p < end {
		t.Fatal("the stored label points into the query's text")
	}
	m.observeRequest("POST", "/graphql", name, 200, 0)
}
