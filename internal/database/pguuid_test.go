package database

import (
	"bytes"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// A uuid.UUID argument is encoded as its 16 bytes in one step: without
// the wrap function pgx goes through its string, an encoding error and a
// parse, 20 allocations per ID.
func TestUUIDArgumentsEncodeAsBytes(t *testing.T) {
	m := pgtype.NewMap()
	registerUUID(m)
	id := uuid.New()
	buf, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id, nil)
	if err != nil || !bytes.Equal(buf, id[:]) {
		t.Fatalf("Encode(%s) = %x, %v; want its 16 bytes", id, buf, err)
	}
	text, err := m.Encode(pgtype.UUIDOID, pgtype.TextFormatCode, id, nil)
	if err != nil || string(text) != id.String() {
		t.Fatalf("Encode(%s) as text = %q, %v", id, text, err)
	}
	buf = make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() {
		_, _ = m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id, buf[:0])
	}); n > 2 {
		t.Errorf("encoding a uuid.UUID allocates %.0f times, want at most 2 (the argument and the wrapped value boxed)", n)
	}
}
