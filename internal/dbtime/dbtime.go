// Package dbtime is the database clock: times as both databases store them,
// in UTC and at microsecond precision. PostgreSQL keeps microseconds, so a
// time with nanoseconds would come back different from what was written, and
// SQLite compares stored times as text, so every time must share one zone.
package dbtime

import "time"

// Precision is the finest unit both databases store.
const Precision = time.Microsecond

// Now is the current time as the database will store it.
func Now() time.Time { return Of(time.Now()) }

// Of returns t as the database will store it.
func Of(t time.Time) time.Time { return t.UTC().Truncate(Precision) }

// OfPtr is Of for an optional time.
func OfPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := Of(*t)
	return &v
}

// Earliest and Latest bound the times the API accepts for storage. RFC 3339
// has four-digit years, so a later time could be stored but not shown, and
// a time before the Unix epoch is a mistake (a zero value, seconds taken
// for milliseconds), not a conversation.
var (
	Earliest = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	Latest   = time.Date(9999, 12, 31, 23, 59, 59, int(time.Second-Precision), time.UTC)
)

// InRange reports whether t lies within [Earliest, Latest].
func InRange(t time.Time) bool { return !t.Before(Earliest) && !t.After(Latest) }
