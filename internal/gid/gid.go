// Package gid mints the UUIDs that identify every Parley object.
//
// IDs are RFC 9562 version 8 UUIDs laid out like version 7: a 48-bit
// millisecond timestamp first (so new rows land at the end of B-tree indexes),
// then the version nibble, then a 4-bit type tag, then 70 random bits. The type
// tag lets the GraphQL `node`/`nodes` fields route an ID to its table without
// a lookup query, while REST and GraphQL keep using one canonical UUID.
package gid

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Type is the kind of object an ID names.
type Type byte

// The object kinds. Values are persisted inside IDs: never renumber them.
const (
	Organization    Type = 1
	APIKey          Type = 2
	Agent           Type = 3
	Participant     Type = 4
	Conversation    Type = 5
	Message         Type = 6
	Event           Type = 7
	WebhookEndpoint Type = 8
	WebhookDelivery Type = 9
)

// tables maps each type to its ent table name, as used by ent's Noder.
var tables = map[Type]string{
	Organization:    "organizations",
	APIKey:          "api_keys",
	Agent:           "agents",
	Participant:     "participants",
	Conversation:    "conversations",
	Message:         "messages",
	Event:           "events",
	WebhookEndpoint: "webhook_endpoints",
	WebhookDelivery: "webhook_deliveries",
}

const version = 8

var (
	mu   sync.Mutex
	last [16]uuid.UUID // per type: only IDs within one table need to sort
)

// New returns a fresh ID of type t. The IDs of one type minted by one process
// are strictly increasing, so rows written in sequence (a batch of messages)
// also sort in sequence by ID.
func New(t Type) uuid.UUID {
	id := newAt(t, time.Now())
	mu.Lock()
	defer mu.Unlock()
	prev := &last[t&0x0f]
	if bytes.Compare(id[:6], prev[:6]) <= 0 {
		// Same millisecond (or the clock stepped back): continue from the last
		// ID instead, keeping this ID's type.
		id = *prev
		increment(&id)
	}
	*prev = id
	return id
}

// increment adds one to the random bits of id (bytes 7 to 15, skipping the
// variant bits), carrying into the timestamp if they overflow.
func increment(id *uuid.UUID) {
	for i := 15; i >= 7; i-- {
		if i == 8 {
			if id[8]&0x3f != 0x3f {
				id[8]++
				return
			}
			id[8] &^= 0x3f
			continue
		}
		id[i]++
		if id[i] != 0 {
			return
		}
	}
	for i := 5; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			return
		}
	}
}

// Generator returns a function minting IDs of type t, for ent field defaults.
func Generator(t Type) func() uuid.UUID {
	return func() uuid.UUID { return New(t) }
}

func newAt(t Type, now time.Time) uuid.UUID {
	var id uuid.UUID
	if _, err := rand.Read(id[:]); err != nil {
		panic("gid: crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(id[0:6], ms[2:8])
	id[6] = version<<4 | byte(t)&0x0f
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

// Compare orders two IDs as they were minted: by time first (the IDs of
// one type minted by one process strictly), as their bytes sort.
func Compare(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }

// TypeOf reports the type tagged in id, and false when id was not minted here.
func TypeOf(id uuid.UUID) (Type, bool) {
	if id.Version() != version || id.Variant() != uuid.RFC4122 {
		return 0, false
	}
	t := Type(id[6] & 0x0f)
	_, ok := tables[t]
	return t, ok
}

// Table returns the ent table that holds objects with this ID, if it is known.
func Table(id uuid.UUID) (string, bool) {
	t, ok := TypeOf(id)
	if !ok {
		return "", false
	}
	return tables[t], true
}
