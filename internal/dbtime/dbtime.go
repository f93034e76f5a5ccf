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
