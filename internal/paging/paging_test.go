package paging_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/internal/paging"
)

func cursor(value any) string {
	var b bytes.Buffer
	entgql.Cursor[uuid.UUID]{ID: uuid.New(), Value: value}.MarshalGQL(&b)
	return strings.Trim(b.String(), `"`)
}

// The value a cursor must carry comes from the generated order fields.
func TestCheckCursor(t *testing.T) {
	for _, tc := range []struct {
		node, field string
		value       any
		want        error
	}{
		{"Conversation", "", time.Now(), nil},
		{"Conversation", "CREATED_AT", time.Now(), nil},
		{"Conversation", "", "a string", paging.ErrCursorOrder},
		{"Conversation", "TURN_COUNT", 7, nil},
		{"Conversation", "TURN_COUNT", 70000, nil},
		{"Conversation", "TURN_COUNT", time.Now(), paging.ErrCursorOrder},
		{"Conversation", "STATUS", "completed", nil},
		{"Conversation", "STATUS", 3, paging.ErrCursorOrder},
		{"Agent", "NAME", "Ada", nil},
		{"Agent", "NAME", time.Now(), paging.ErrCursorOrder},
		{"Message", "POSITION", 3, nil},
		{"Participant", "UPDATED_AT", time.Now(), nil},
		{"Agent", "NAME", nil, nil}, // zero values are left out of cursors
	} {
		if err := paging.CheckCursor(tc.node, tc.field, cursor(tc.value)); !errors.Is(err, tc.want) {
			t.Errorf("%s ordered by %q, cursor value %#v: %v, want %v", tc.node, tc.field, tc.value, err, tc.want)
		}
	}
	for _, raw := range []string{"", "!!!", "gqFpxBAAAAAAAAAAAAAAAAAAAAAAoXaAAQ=="} {
		if err := paging.CheckCursor("Conversation", "", raw); !errors.Is(err, paging.ErrCursor) {
			t.Errorf("cursor %q: %v, want ErrCursor", raw, err)
		}
	}
}

func TestWindow(t *testing.T) {
	n := func(i int) *int { return &i }
	if first, last, err := paging.Window(nil, nil); err != nil || last != nil || *first != paging.DefaultPageSize {
		t.Errorf("no size: %v %v %v, want first %d", first, last, err, paging.DefaultPageSize)
	}
	for _, bad := range [][2]*int{{n(1), n(1)}, {n(-1), nil}, {nil, n(paging.MaxPageSize + 1)}} {
		if _, _, err := paging.Window(bad[0], bad[1]); err == nil {
			t.Errorf("Window(%v, %v) accepted", bad[0], bad[1])
		}
	}
	if first, _, err := paging.Window(n(paging.MaxPageSize), nil); err != nil || *first != paging.MaxPageSize {
		t.Errorf("the largest page: %v %v", first, err)
	}
}

// BenchmarkCheckCursor measures validating a cursor parameter.
func BenchmarkCheckCursor(b *testing.B) {
	const c = "gqFpxBABohGprxmFjJ7J2w1E1ir8oXbX/0mTwSBrBPsz"
	b.ReportAllocs()
	for b.Loop() {
		if err := paging.CheckCursor("Conversation", paging.DefaultOrderField, c); err != nil {
			b.Fatal(err)
		}
	}
}
