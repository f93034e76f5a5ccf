package graph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/graph/model"
	"github.com/parleyhq/parley/internal/apperr"
)

// Limits bound what one operation may ask for. They are checked on the
// parsed operation, before any resolver runs and so before any SQL.
type Limits struct {
	// MaxDepth is the deepest field nesting allowed.
	MaxDepth int
	// MaxComplexity bounds the estimated work: every field costs 1, and a
	// list multiplies the cost of what it selects by its size.
	MaxComplexity int
}

// DefaultLimits admit a dashboard page of 100 conversations with their
// agent, participant and transcript, and reject a page of 100 whose every
// conversation asks for 100 messages and their conversation again.
var DefaultLimits = Limits{MaxDepth: 12, MaxComplexity: 25_000}

// transcriptCost is the assumed length of a transcript, for complexity.
const transcriptCost = 30

// limitsExtension rejects operations that are too deep, ask for pages
// larger than MaxPageSize or too many nodes, or carry cursors that were not
// made by Parley (a value of the wrong type would reach SQL).
type limitsExtension struct{ limits Limits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = limitsExtension{}

func (limitsExtension) ExtensionName() string                   { return "ParleyLimits" }
func (limitsExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (e limitsExtension) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	w := walker{oc: oc, maxDepth: e.limits.MaxDepth}
	if err := w.selections(oc.Operation.SelectionSet, 1); err != nil {
		return &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": string(apperr.InvalidRequest)}}
	}
	return nil
}

type walker struct {
	oc       *graphql.OperationContext
	maxDepth int
}

func (w walker) selections(set ast.SelectionSet, depth int) error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if err := w.field(s, depth); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := w.selections(s.SelectionSet, depth); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if s.Definition != nil {
				if err := w.selections(s.Definition.SelectionSet, depth); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (w walker) field(f *ast.Field, depth int) error {
	if depth > w.maxDepth {
		return fmt.Errorf("the query nests fields %d deep; the limit is %d", depth, w.maxDepth)
	}
	args := f.ArgumentMap(w.oc.Variables)
	for _, name := range []string{"first", "last"} {
		if n, ok := asInt(args[name]); ok && (n < 0 || n > MaxPageSize) {
			return fmt.Errorf("%s.%s: must be between 0 and %d, got %d", f.Alias, name, MaxPageSize, n)
		}
	}
	if nestedConnection(f) && args["first"] == nil && args["last"] == nil && w.selects(f.SelectionSet, "edges") {
		// Root connections default to DefaultPageSize; a nested one would
		// return every row (all of an agent's conversations), so it must
		// say how many it wants. Without edges it loads no rows: totalCount is
		// one grouped count.
		return fmt.Errorf("%s: a nested connection needs first or last (at most %d)", f.Alias, MaxPageSize)
	}
	if ids, ok := args["ids"].([]any); ok && len(ids) > MaxPageSize {
		return fmt.Errorf("%s.ids: at most %d IDs, got %d", f.Alias, MaxPageSize, len(ids))
	}
	for _, name := range []string{"after", "before"} {
		if raw, ok := args[name].(string); ok {
			if err := checkCursor(raw, args["orderBy"]); err != nil {
				return fmt.Errorf("%s.%s: %v", f.Alias, name, err)
			}
		}
	}
	return w.selections(f.SelectionSet, depth+1)
}

// nestedConnection reports whether f is a Relay connection below the root.
func nestedConnection(f *ast.Field) bool {
	if f.Definition == nil || f.ObjectDefinition == nil || f.ObjectDefinition.Name == "Query" {
		return false
	}
	return strings.HasSuffix(f.Definition.Type.Name(), "Connection")
}

// selects reports whether set selects the field name, directly or through
// fragments, as gqlgen will execute it (@skip and @include applied).
func (w walker) selects(set ast.SelectionSet, name string) bool {
	for _, f := range graphql.CollectFields(w.oc, set, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	case interface{ Int64() (int64, error) }: // json.Number
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// checkCursor accepts a cursor only if it decodes to an ID and a value of
// the type its ordering compares against.
func checkCursor(raw string, orderBy any) error {
	var c entgql.Cursor[uuid.UUID]
	if err := c.UnmarshalGQL(raw); err != nil || c.ID == uuid.Nil {
		return fmt.Errorf("not a cursor from this API")
	}
	field := ""
	if o, ok := orderBy.(map[string]any); ok {
		field, _ = o["field"].(string)
	}
	if c.Value == nil {
		// Zero values (0, "") are omitted from cursors, and default orders
		// by ID carry none; the pager restores the zero value.
		return nil
	}
	var ok bool
	switch field {
	case "CREATED_AT", "UPDATED_AT":
		_, ok = c.Value.(time.Time)
	case "NAME", "STATUS":
		_, ok = c.Value.(string)
	case "TURN_COUNT", "POSITION":
		_, ok = asInt(c.Value)
		if !ok {
			switch c.Value.(type) {
			case int8, int16, int32, uint8, uint16, uint32, uint64:
				ok = true
			}
		}
	case "":
		// The default order of root lists: newest first.
		_, ok = c.Value.(time.Time)
	default:
		ok = true // an unknown order field fails validation elsewhere
	}
	if !ok {
		return fmt.Errorf("the cursor does not belong to this ordering")
	}
	return nil
}

// complexity prices connections and lists by their size.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	page := func(child int, first, last *int, def int) int {
		n := def
		if first != nil {
			n = *first
		} else if last != nil {
			n = *last
		}
		return 1 + n*child
	}
	c.Query.Conversations = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ConversationOrder, _ *ent.ConversationWhereInput) int {
		return page(child, first, last, DefaultPageSize)
	}
	c.Query.Agents = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.AgentOrder, _ *ent.AgentWhereInput) int {
		return page(child, first, last, DefaultPageSize)
	}
	c.Query.Participants = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ParticipantOrder, _ *ent.ParticipantWhereInput) int {
		return page(child, first, last, DefaultPageSize)
	}
	c.Query.Nodes = func(child int, ids []uuid.UUID) int { return 1 + len(ids)*child }
	// Nested connections must carry first or last (see nestedConnection);
	// the default only prices an operation that validation rejects anyway.
	c.Agent.Conversations = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ConversationOrder, _ *ent.ConversationWhereInput) int {
		return page(child, first, last, MaxPageSize)
	}
	c.Participant.Conversations = c.Agent.Conversations
	c.Conversation.Messages = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.MessageOrder, _ *ent.MessageWhereInput) int {
		return page(child, first, last, MaxPageSize)
	}
	c.Conversation.Transcript = func(child int) int { return 1 + transcriptCost*child }
	c.Mutation.AppendMessages = func(child int, _ uuid.UUID, messages []*model.AppendMessageInput) int {
		return 1 + len(messages) + child
	}
	c.Mutation.SetConversationStatus = func(child int, _ uuid.UUID, _ conversation.Status) int { return 1 + child }
	return c
}
