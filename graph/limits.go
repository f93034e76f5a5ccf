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
// document, before any resolver runs and so before any SQL, in time linear
// in the document's size: the parser stops at MaxTokens, a named fragment
// is analysed once however often it is spread, and a selection that would
// merge too many fields of one name is refused before validation compares
// them pairwise.
type Limits struct {
	// MaxTokens bounds the document's size in lexical tokens.
	MaxTokens int
	// MaxRepeats bounds the fields of one response name that one selection
	// set merges (directly, through fragments and aliases).
	MaxRepeats int
	// MaxDepth is the deepest field nesting allowed. Introspection fields do
	// not count: gqlparser's MaxIntrospectionDepth rule bounds them.
	MaxDepth int
	// MaxComplexity bounds the estimated work: every field costs 1, a list
	// multiplies the cost of what it selects by its size, and a field that
	// sends SQL of its own costs StatementCost more (complexity.go).
	MaxComplexity int
}

// DefaultLimits admit a dashboard page of 100 conversations with their
// agent, participant and transcript, and graphql-js's full introspection
// query (184 tokens, 13 levels of `ofType`), and reject a page of 100 whose
// every conversation asks for 100 messages and their conversation again.
// MaxTokens is ten times the largest of those documents; at MaxRepeats,
// validation of the worst document the parser admits stays in milliseconds
// (BenchmarkAnalysis).
var DefaultLimits = Limits{MaxTokens: 2000, MaxRepeats: 20, MaxDepth: 12, MaxComplexity: 25_000}

// StatementCost is the complexity price of a field that sends a statement of
// its own: the complexity limit then admits about as many of them as the
// statement budget (budget.DefaultLimits).
const StatementCost = 250

// JoinFilterCost is the further price of a list whose where filter follows
// an edge (hasMessagesWith, hasConversationsWith, ...): no index serves such
// a filter over a whole tenant, so its statement may read every row of the
// other table (90 aliased counts filtered on message content took 7 s at
// 50,000 messages when they cost a statement each). With StatementCost, one
// request may send 19 of them.
const JoinFilterCost = 1000

// limitsExtension rejects operations that are too deep or too complex, ask
// for pages larger than MaxPageSize or too many nodes, carry cursors that
// were not made by Parley (a value of the wrong type would reach SQL), or
// carry a NUL character in any string (checkText).
type limitsExtension struct {
	limits Limits
	schema graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = limitsExtension{}

func (limitsExtension) ExtensionName() string                   { return "ParleyLimits" }
func (limitsExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (e limitsExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	a := analysis{ctx: ctx, oc: oc, schema: e.schema, limits: e.limits, fragments: map[string]*fragmentCost{}}
	c, err := a.selections(oc.Operation.SelectionSet)
	if err == nil && c.depth > e.limits.MaxDepth {
		err = fmt.Errorf("the query nests fields %d deep; the limit is %d", c.depth, e.limits.MaxDepth)
	}
	if err == nil && c.complexity > e.limits.MaxComplexity {
		err = fmt.Errorf("operation has complexity %s, which exceeds the limit of %d", c.complexityText(e.limits.MaxComplexity), e.limits.MaxComplexity)
	}
	if err != nil {
		return &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": string(apperr.InvalidRequest)}}
	}
	return nil
}

// cost is what a selection asks for: how deep it nests and its complexity,
// which saturates at saturated so that no document can overflow it.
type cost struct {
	depth      int
	complexity int
}

const saturated = 1 << 40

func (c cost) complexityText(limit int) string {
	if c.complexity >= saturated {
		return fmt.Sprintf("over %d", limit)
	}
	return fmt.Sprint(c.complexity)
}

func addCost(a, b int) int { return min(a+b, saturated) }

// fragmentCost memoises a named fragment's analysis, so that a fragment
// spread a million times (each spreading the next twice) costs one visit.
type fragmentCost struct {
	cost     cost
	err      error
	visiting bool
}

type analysis struct {
	ctx       context.Context
	oc        *graphql.OperationContext
	schema    graphql.ExecutableSchema
	limits    Limits
	fragments map[string]*fragmentCost
}

func (a *analysis) selections(set ast.SelectionSet) (cost, error) {
	var total cost
	merge := func(c cost) {
		total.depth = max(total.depth, c.depth)
		total.complexity = addCost(total.complexity, c.complexity)
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			c, err := a.field(s)
			if err != nil {
				return total, err
			}
			merge(c)
		case *ast.InlineFragment:
			c, err := a.selections(s.SelectionSet)
			if err != nil {
				return total, err
			}
			merge(c)
		case *ast.FragmentSpread:
			c, err := a.fragment(s)
			if err != nil {
				return total, err
			}
			merge(c)
		}
	}
	return total, nil
}

func (a *analysis) fragment(s *ast.FragmentSpread) (cost, error) {
	if s.Definition == nil {
		return cost{}, nil
	}
	f, ok := a.fragments[s.Name]
	if ok {
		if f.visiting { // a cycle; validation has refused it already
			return cost{}, nil
		}
		return f.cost, f.err
	}
	f = &fragmentCost{visiting: true}
	a.fragments[s.Name] = f
	f.cost, f.err = a.selections(s.Definition.SelectionSet)
	f.visiting = false
	return f.cost, f.err
}

func (a *analysis) field(f *ast.Field) (cost, error) {
	if strings.HasPrefix(f.Name, "__") {
		// Introspection costs no SQL; gqlparser bounds its nesting.
		return cost{complexity: 1}, nil
	}
	args := f.ArgumentMap(a.oc.Variables)
	if err := checkArguments(f, args); err != nil {
		return cost{}, err
	}
	if nestedConnection(f) && args["first"] == nil && args["last"] == nil && a.selects(f.SelectionSet, "edges") {
		// Root connections default to DefaultPageSize; a nested one would
		// return every row (all of an agent's conversations), so it must
		// say how many it wants. Without edges it loads no rows: totalCount is
		// one grouped count.
		return cost{}, fmt.Errorf("%s: a nested connection needs first or last (at most %d)", f.Alias, paging.MaxPageSize)
	}
	child, err := a.selections(f.SelectionSet)
	if err != nil {
		return cost{}, err
	}
	c := cost{depth: child.depth + 1, complexity: addCost(child.complexity, 1)}
	if f.ObjectDefinition != nil {
		if price, ok := a.schema.Complexity(a.ctx, f.ObjectDefinition.Name, f.Name, min(child.complexity, saturated/paging.MaxPageSize/2), args); ok {
			c.complexity = min(max(price, 0), saturated)
		}
	}
	return c, nil
}

// checkArguments checks a field's strings, page size, IDs and cursors.
func checkArguments(f *ast.Field, args map[string]any) error {
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
	if ids, ok := args["ids"].([]any); ok {
		if len(ids) > paging.MaxPageSize {
			return fmt.Errorf("%s.ids: at most %d IDs, got %d", f.Alias, paging.MaxPageSize, len(ids))
		}
		// An ID given twice would be served twice from one load: refuse
		// it rather than multiply the answer.
		seen := make(map[any]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				return fmt.Errorf("%s.ids: %v is given more than once", f.Alias, id)
			}
			seen[id] = true
		}
	}
	for _, name := range []string{"after", "before"} {
		if raw, ok := args[name].(string); ok {
			if err := paging.CheckCursor(connectionNode(f), orderField(args["orderBy"]), raw); err != nil {
				return fmt.Errorf("%s.%s: %w", f.Alias, name, err)
			}
		}
	}
	return nil
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
func (a *analysis) selects(set ast.SelectionSet, name string) bool {
	for _, f := range graphql.CollectFields(a.oc, set, nil) {
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
