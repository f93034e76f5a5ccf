package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/parleyhq/parley/internal/apperr"
)

// shapeCheck refuses, before validation, a document whose selections merge
// more than MaxRepeats fields of one response name. Validation's
// OverlappingFieldsCanBeMerged rule compares such fields pairwise, so its
// time grows with the square of their number: 20,000 copies of
// `__typename` kept a core busy for over a minute. Parsing again is linear
// and bounded by MaxTokens, and a document already in the query cache
// passed this check before and is not parsed again.
type shapeCheck struct {
	limits Limits
	cache  graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = shapeCheck{}

func (shapeCheck) ExtensionName() string                   { return "ParleyShape" }
func (shapeCheck) Validate(graphql.ExecutableSchema) error { return nil }

func (s shapeCheck) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if _, ok := s.cache.Get(ctx, params.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, s.limits.MaxTokens)
	if err != nil {
		return nil // the executor's own parse reports it
	}
	r := repeats{doc: doc, max: s.limits.MaxRepeats, fragments: map[string]map[string]int{}}
	for _, op := range doc.Operations {
		if err := r.check(op.SelectionSet); err != nil {
			return &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": string(apperr.InvalidRequest)}}
		}
	}
	return nil
}

// repeats counts, per selection set, the fields of each response name it
// merges. A named fragment is counted once and its counts reused.
type repeats struct {
	doc       *ast.QueryDocument
	max       int
	fragments map[string]map[string]int // nil while being counted (a cycle)
}

func (r *repeats) check(set ast.SelectionSet) error {
	_, err := r.count(set)
	return err
}

func (r *repeats) count(set ast.SelectionSet) (map[string]int, error) {
	names := map[string]int{}
	add := func(name string, n int) error {
		names[name] += n
		if names[name] > r.max {
			return fmt.Errorf("the query selects %q %d times in one place (through aliases or fragments); at most %d are allowed", name, names[name], r.max)
		}
		return nil
	}
	for _, sel := range set {
		var merged map[string]int
		var err error
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			if err := add(name, 1); err != nil {
				return nil, err
			}
			if err := r.check(s.SelectionSet); err != nil {
				return nil, err
			}
			continue
		case *ast.InlineFragment:
			merged, err = r.count(s.SelectionSet)
		case *ast.FragmentSpread:
			merged, err = r.fragment(s.Name)
		}
		if err != nil {
			return nil, err
		}
		for name, n := range merged {
			if err := add(name, n); err != nil {
				return nil, err
			}
		}
	}
	return names, nil
}

func (r *repeats) fragment(name string) (map[string]int, error) {
	if counts, seen := r.fragments[name]; seen {
		return counts, nil // nil for a cycle, which validation refuses
	}
	def := r.doc.Fragments.ForName(name)
	if def == nil {
		return nil, nil
	}
	r.fragments[name] = nil
	counts, err := r.count(def.SelectionSet)
	if err != nil {
		return nil, err
	}
	r.fragments[name] = counts
	return counts, nil
}
