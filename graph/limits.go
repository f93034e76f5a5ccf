package graph

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/paging"
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

// limitsExtension rejects operations that are too deep, ask for pages
// larger than MaxPageSize or too many nodes, carry cursors that were not
// made by Parley (a value of the wrong type would reach SQL), or carry a
// NUL character in any string (checkText).
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
	for _, name := range slices.Sorted(maps.Keys(args)) {
		if err := checkText(name, args[name]); err != nil {
			return err
		}
	}
	for _, name := range []string{"first", "last"} {
		if n, ok := asInt(args[name]); ok {
			if err := paging.CheckSize(n); err != nil {
				return fmt.Errorf("%s.%s: %w", f.Alias, name, err)
			}
		}
	}
	if nestedConnection(f) && args["first"] == nil && args["last"] == nil && w.selects(f.SelectionSet, "edges") {
		// Root connections default to DefaultPageSize; a nested one would
		// return every row (all of an agent's conversations), so it must
		// say how many it wants. Without edges it loads no rows: totalCount is
		// one grouped count.
		return fmt.Errorf("%s: a nested connection needs first or last (at most %d)", f.Alias, paging.MaxPageSize)
	}
	if ids, ok := args["ids"].([]any); ok && len(ids) > paging.MaxPageSize {
		return fmt.Errorf("%s.ids: at most %d IDs, got %d", f.Alias, paging.MaxPageSize, len(ids))
	}
	for _, name := range []string{"after", "before"} {
		if raw, ok := args[name].(string); ok {
			if err := paging.CheckCursor(connectionNode(f), orderField(args["orderBy"]), raw); err != nil {
				return fmt.Errorf("%s.%s: %w", f.Alias, name, err)
			}
		}
	}
	return w.selections(f.SelectionSet, depth+1)
}

// connectionNode is the node type of the connection f returns.
func connectionNode(f *ast.Field) string {
	if f.Definition == nil {
		return ""
	}
	return strings.TrimSuffix(f.Definition.Type.Name(), "Connection")
}

// orderField is the order field a connection's orderBy names, or "" for
// the default order.
func orderField(orderBy any) string {
	if o, ok := orderBy.(map[string]any); ok {
		field, _ := o["field"].(string)
		return field
	}
	return ""
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
