package scalar

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
)

// The scalars write what strconv.Quote of their text form writes, into a
// buffer (as gqlgen marshals) or any other writer.
func TestMarshalWritesQuotedText(t *testing.T) {
	ids := []uuid.UUID{uuid.Nil, uuid.Max, uuid.MustParse("0190b3c4-5d6e-7f80-91a2-b3c4d5e6f708")}
	times := []time.Time{time.Unix(0, 0), time.Date(2026, 11, 30, 8, 1, 2, 345678000, time.FixedZone("x", 3600)), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for _, id := range ids {
		for _, w := range []interface {
			String() string
			Write([]byte) (int, error)
		}{&bytes.Buffer{}, &strings.Builder{}} {
			MarshalUUID(id).MarshalGQL(w)
			if want := strconv.Quote(id.String()); w.String() != want {
				t.Errorf("UUID %v: %s, want %s", id, w.String(), want)
			}
		}
	}
	for _, tm := range times {
		var buf bytes.Buffer
		buf.WriteString("x")
		MarshalTime(tm).MarshalGQL(&buf)
		if want := "x" + strconv.Quote(tm.UTC().Format(time.RFC3339Nano)); buf.String() != want {
			t.Errorf("time %v: %s, want %s", tm, buf.String(), want)
		}
	}
}

// The marshalers never answer graphql.Null, the zero values included: the
// generated code writes non-null fields of these scalars in place, without
// the field context an invalid-null error would need for its path
// (graph/gqlgen, neverNull).
func TestMarshalNeverAnswersNull(t *testing.T) {
	for name, m := range map[string]graphql.Marshaler{
		"zero UUID":       MarshalUUID(uuid.Nil),
		"zero time":       MarshalTime(time.Time{}),
		"nil JSON array":  MarshalJSONArray(nil),
		"JSON array":      MarshalJSONArray([]any{func() {}}),
		"empty JSONarray": MarshalJSONArray([]any{}),
	} {
		if m == graphql.Null {
			t.Errorf("%s: graphql.Null", name)
		}
	}
}
