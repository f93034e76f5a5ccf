package gid

import (
	"testing"
	"time"
)

func TestTypeRoundTrip(t *testing.T) {
	for typ, table := range tables {
		id := New(typ)
		got, ok := TypeOf(id)
		if !ok || got != typ {
			t.Fatalf("TypeOf(New(%d)) = %d, %v", typ, got, ok)
		}
		if tb, _ := Table(id); tb != table {
			t.Fatalf("Table = %q, want %q", tb, table)
		}
		if s := id.String(); len(s) != 36 || s[14] != '8' {
			t.Fatalf("not canonical: %s", id)
		}
	}
}

func TestIDsSortByTime(t *testing.T) {
	earlier := newAt(Agent, time.UnixMilli(1_700_000_000_000))
	later := newAt(Conversation, time.UnixMilli(1_700_000_000_001))
	if earlier.String() >= later.String() {
		t.Fatalf("%s should sort before %s", earlier, later)
	}
}

func TestForeignUUIDsHaveNoType(t *testing.T) {
	for _, s := range []string{"00000000-0000-0000-0000-000000000000", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "0191e5b8-7c1a-7d4e-9b1c-2f3a4b5c6d7e"} {
		id := mustParse(t, s)
		if typ, ok := TypeOf(id); ok {
			t.Fatalf("TypeOf(%s) = %d, want unknown", s, typ)
		}
	}
}

func TestNewIsStrictlyIncreasing(t *testing.T) {
	prev := map[Type]string{}
	for i := 0; i < 100_000; i++ {
		typ := Message
		if i%3 == 0 {
			typ = Conversation
		}
		id := New(typ)
		if id.String() <= prev[typ] {
			t.Fatalf("ID %d: %s does not sort after %s", i, id, prev[typ])
		}
		if got, ok := TypeOf(id); !ok || got != typ {
			t.Fatalf("ID %d: type %d, %v; want %d", i, got, ok, typ)
		}
		prev[typ] = id.String()
	}
}
