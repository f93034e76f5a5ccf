package graph

import (
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/parleyhq/parley/internal/paging"
)

// Every field that returns a list of objects or a connection multiplies
// the cost of what it selects; without a price in complexity.go it would
// count as one field, and the complexity limit would not see it. (A
// connection's edges are priced by the field that returns the connection.)
func TestEveryListHasAPrice(t *testing.T) {
	s := schema(nil).Schema()
	prices := reflect.ValueOf(complexity())
	for _, def := range s.Types {
		if def.BuiltIn || def.Kind != ast.Object || strings.HasSuffix(def.Name, "Connection") {
			continue
		}
		for _, f := range def.Fields {
			elem := s.Types[f.Type.Name()]
			list := f.Type.Elem != nil && elem != nil && len(elem.Fields) > 0
			connection := strings.HasSuffix(f.Type.Name(), "Connection")
			if !list && !connection {
				continue
			}
			obj := prices.FieldByName(templates.ToGo(def.Name))
			if !obj.IsValid() {
				t.Errorf("%s.%s returns a list, but ComplexityRoot has no %s", def.Name, f.Name, def.Name)
				continue
			}
			price := obj.FieldByName(templates.ToGo(f.Name))
			if !price.IsValid() || price.IsNil() {
				t.Errorf("%s.%s returns a list or connection and has no price in complexity.go", def.Name, f.Name)
			}
		}
	}
}

// Every connection's cursors are checked against its node type's order
// fields (internal/paging), so a new connection cannot slip by unchecked.
func TestEveryConnectionHasCursorRules(t *testing.T) {
	known := map[string]bool{}
	for _, n := range paging.Nodes() {
		known[n] = true
	}
	for _, def := range schema(nil).Schema().Types {
		if node, ok := strings.CutSuffix(def.Name, "Connection"); ok && !def.BuiltIn {
			if !known[node] {
				t.Errorf("%s: internal/paging knows no order fields for %s", def.Name, node)
			}
		}
	}
}
