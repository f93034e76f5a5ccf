// Package scalar holds the GraphQL scalars Parley maps to Go types.
package scalar

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/parleyhq/parley/internal/apperr"
)

// MarshalUUID writes an ID in canonical lower-case UUID form, the same form
// the REST API uses.
func MarshalUUID(u uuid.UUID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = w.Write(appendQuotedUUID(available(w), u))
	})
}

// appendQuotedUUID appends u as a JSON string, as strconv.Quote(u.String())
// would write it.
func appendQuotedUUID(b []byte, u uuid.UUID) []byte {
	const digits = "0123456789abcdef"
	b = append(b, '"')
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return append(b, '"')
}

// available is the unused capacity of w's buffer when w has one (gqlgen
// marshals a response into a bytes.Buffer), so a value can be formatted in
// place instead of into a string of its own; nil otherwise.
func available(w io.Writer) []byte {
	if b, ok := w.(interface{ AvailableBuffer() []byte }); ok {
		return b.AvailableBuffer()
	}
	return nil
}

// UnmarshalUUID accepts only a UUID string.
func UnmarshalUUID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, fmt.Errorf("an ID must be a string, not %T", v)
	}
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, fmt.Errorf("%s is not a valid ID", apperr.Echo(s))
	}
	return id, nil
}

// MarshalJSONArray writes an array of arbitrary JSON values; nil is [].
func MarshalJSONArray(a []any) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if a == nil {
			_, _ = io.WriteString(w, "[]")
			return
		}
		b, err := json.Marshal(a)
		if err != nil {
			_, _ = io.WriteString(w, "null")
			return
		}
		_, _ = w.Write(b)
	})
}

// UnmarshalJSONArray accepts any JSON array. The result is never nil:
// gqlgen turns an inline `[]` literal into a nil slice, and the generated
// SetInput reads a nil slice as "field not given", so `pathTaken: []` would
// otherwise be ignored. (An absent or null field never reaches here.)
func UnmarshalJSONArray(v any) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a JSON array, got %T", v)
	}
	if a == nil {
		a = []any{}
	}
	return a, nil
}

// MarshalTime writes a time in RFC 3339 in UTC ("Z"), with fractional
// seconds only where they are non-zero, whatever zone the driver returned.
// It never writes null: an absent time is a nil pointer, which gqlgen shows
// as null before calling this, and a stored time, even the zero time, must
// not turn a non-null field into an error.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		// RFC 3339 has nothing a JSON string escapes: quotes suffice.
		b := append(available(w), '"')
		b = t.UTC().AppendFormat(b, time.RFC3339Nano)
		_, _ = w.Write(append(b, '"'))
	})
}

// UnmarshalTime accepts an RFC 3339 time with a zone offset.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("a time must be an RFC 3339 string, not %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not an RFC 3339 time (e.g. 2026-01-02T15:04:05Z)", apperr.Echo(s))
	}
	return t.UTC(), nil
}
