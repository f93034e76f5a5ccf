// Package paging owns the rules of every list Parley serves, GraphQL
// connections and REST lists alike: how large a page may be and how large
// it is by default, which order a list has when none is asked for, and
// which cursors are valid. The GraphQL limits, the root resolvers and the
// REST parameters all ask here; only the wording of their errors is their
// own.
package paging

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
)

const (
	// DefaultPageSize is the size of a root list asked for without a size
	// (GraphQL `first`/`last`, REST `limit`).
	DefaultPageSize = 20
	// MaxPageSize bounds every page, root or nested.
	MaxPageSize = 100
)

// DefaultOrderField is the order of a root list asked for without one,
// newest first: the field GraphQL's orderBy names, in DefaultOrderDirection.
const (
	DefaultOrderField     = "CREATED_AT"
	DefaultOrderDirection = entgql.OrderDirectionDesc
)

// The default orders of the root connections.
var (
	AgentOrder        = &ent.AgentOrder{Field: ent.AgentOrderFieldCreatedAt, Direction: DefaultOrderDirection}
	ConversationOrder = &ent.ConversationOrder{Field: ent.ConversationOrderFieldCreatedAt, Direction: DefaultOrderDirection}
	ParticipantOrder  = &ent.ParticipantOrder{Field: ent.ParticipantOrderFieldCreatedAt, Direction: DefaultOrderDirection}
)

// ErrSize is the error of a page size out of bounds.
var ErrSize = fmt.Errorf("must be between 0 and %d", MaxPageSize)

// CheckSize validates a page size (`first` or `last`).
func CheckSize(n int64) error {
	if n < 0 || n > MaxPageSize {
		return fmt.Errorf("%w, got %d", ErrSize, n)
	}
	return nil
}

// ErrBothEnds is the error of a page asked for from both ends at once.
var ErrBothEnds = errors.New("pass either first or last, not both")

// Window validates a root list's `first` and `last` and applies the
// default size, so no root list is ever unbounded.
func Window(first, last *int) (*int, *int, error) {
	switch {
	case first != nil && last != nil:
		return nil, nil, ErrBothEnds
	case first != nil:
		if err := CheckSize(int64(*first)); err != nil {
			return nil, nil, fmt.Errorf("first: %w", err)
		}
	case last != nil:
		if err := CheckSize(int64(*last)); err != nil {
			return nil, nil, fmt.Errorf("last: %w", err)
		}
	default:
		n := DefaultPageSize
		first = &n
	}
	return first, last, nil
}

// ErrCursor is the error of a cursor that Parley did not hand out, or not
// for this list's ordering.
var ErrCursor = errors.New("not a cursor from this API")

// ErrCursorOrder is the error of a cursor of another ordering.
var ErrCursorOrder = errors.New("the cursor does not belong to this ordering")

// CheckCursor accepts a cursor only if it decodes to an ID and to a value
// of the type that the ordering by orderField of node compares against (a
// value of another type would reach SQL). orderField is the GraphQL name
// of the order field; "" means the default order, DefaultOrderField (nested
// lists order by ID by default, and their cursors carry no value).
func CheckCursor(node, orderField, raw string) error {
	var c entgql.Cursor[uuid.UUID]
	if err := c.UnmarshalGQL(raw); err != nil || c.ID == uuid.Nil {
		return ErrCursor
	}
	if c.Value == nil {
		// Zero values (0, "") are left out of cursors, and orders by ID
		// carry none; the pager restores the zero value.
		return nil
	}
	if orderField == "" {
		orderField = DefaultOrderField
	}
	orders, ok := orderFields[node]
	if !ok {
		return fmt.Errorf("paging: no order fields known for %s", node)
	}
	want, ok := orders(orderField)
	if !ok {
		return nil // an unknown order field fails GraphQL validation instead
	}
	if !sameKind(reflect.ValueOf(want), reflect.ValueOf(c.Value)) {
		return ErrCursorOrder
	}
	return nil
}

// sameKind reports whether a cursor's decoded value can stand for the
// order field's value. The cursor encoding keeps times and strings but
// narrows integers to the smallest type that holds them.
func sameKind(want, got reflect.Value) bool {
	switch {
	case want.Type() == reflect.TypeFor[time.Time]():
		return got.Type() == reflect.TypeFor[time.Time]()
	case want.Kind() == reflect.String:
		return got.Kind() == reflect.String
	case want.CanInt() || want.CanUint():
		return got.CanInt() || got.CanUint()
	case want.CanFloat():
		return got.CanInt() || got.CanUint() || got.CanFloat()
	case want.Kind() == reflect.Bool:
		return got.Kind() == reflect.Bool
	}
	return false
}

// orderFields maps each node type to the value an order field, named as
// GraphQL names it, takes on a zero node: the generated order fields say
// what a cursor must carry, so a new order field needs no change here. A
// test fails when a connection's node type is missing.
var orderFields = map[string]func(field string) (zero any, ok bool){
	"Agent": orderField(func(f *ent.AgentOrderField) (ent.Value, error) { return f.Value(&ent.Agent{}) }),
	"Conversation": orderField(func(f *ent.ConversationOrderField) (ent.Value, error) {
		return f.Value(&ent.Conversation{})
	}),
	"Message": orderField(func(f *ent.MessageOrderField) (ent.Value, error) { return f.Value(&ent.Message{}) }),
	"Organization": orderField(func(f *ent.OrganizationOrderField) (ent.Value, error) {
		return f.Value(&ent.Organization{})
	}),
	"Participant": orderField(func(f *ent.ParticipantOrderField) (ent.Value, error) {
		return f.Value(&ent.Participant{})
	}),
	"WebhookDelivery": orderField(func(f *ent.WebhookDeliveryOrderField) (ent.Value, error) {
		return f.Value(&ent.WebhookDelivery{})
	}),
	// Ordered by ID only: its cursors carry no value.
	"WebhookEndpoint": idOrderOnly,
}

func idOrderOnly(string) (any, bool) { return nil, false }

// Nodes returns the node types whose cursors CheckCursor knows.
func Nodes() []string {
	out := make([]string, 0, len(orderFields))
	for n := range orderFields {
		out = append(out, n)
	}
	return out
}

func orderField[F any, PF interface {
	*F
	UnmarshalGQL(any) error
}](zero func(PF) (ent.Value, error)) func(string) (any, bool) {
	return func(name string) (any, bool) {
		f := PF(new(F))
		if f.UnmarshalGQL(name) != nil {
			return nil, false
		}
		v, err := zero(f)
		return v, err == nil && v != nil
	}
}
