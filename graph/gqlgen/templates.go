package main

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing/fstest"
	"text/template"

	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/99designs/gqlgen/codegen/templates"
)

// gqlgen executes every field through graphql.ResolveField: a field
// context, a context value, closures, the value boxed in an interface, and
// the operation's field middleware, about a dozen allocations for a column
// read from a struct. It also marshals every element of a list of objects
// in a goroutine of its own, so that elements' resolvers can wait on a
// dataloader together. A dashboard page has ~4,900 such fields and ~800
// such elements, and both costs dominated its CPU profile.
//
// Four edits to gqlgen's own templates remove these costs where nothing
// observable depends on them:
//
//   - Fields read in place: a scalar or enum field bound to a struct
//     field, with no arguments, resolver, method or directive, and whose
//     marshaler cannot report an error, is marshalled in its object's loop
//     from the struct. Its field context could not be observed: the one
//     field middleware (graph.resolverMiddleware) passes such fields
//     through, and a field that cannot fail never needs its path.
//   - Lists marshalled in place: the elements of a list of objects are
//     marshalled one after another, without goroutines, when the request's
//     selection on them calls no resolver and no method that takes a
//     context (selectionDoesIO_*, generated per object, decides it once per
//     list). Each element keeps its field context (its index in error
//     paths) and its panic recovery.
//   - An object's group of @defer'red fields (its path, a field set, a map)
//     is built only when the selection defers one of its fields; gqlgen
//     builds it for every object and reads it only then.
//   - A query's response buffer is sized from an estimate the server puts
//     in the context (WithResponseSize), made once the fields are resolved
//     and before they are written; gqlgen grows it from empty, copying the
//     response about as many times as it doubles.
//
// Each edit must match gqlgen's template exactly once, so an upgrade of
// gqlgen that changes these templates fails the generation instead of
// silently dropping an edit.
var edits = []struct {
	file, old, new string
}{
	{
		file: "object.gotpl",
		old: `				{{- else -}}
					out.Values[i] = {{$.ECDot}}_{{$object.Name}}_{{$field.Name}}(ctx, {{$.ECArg}}field, obj)
				{{- end -}}`,
		new: `				{{- else if and (readInPlace $field) (not ($.AllDirectives.LocationDirectives "FIELD")) -}}
					out.Values[i] = {{$.ECDot}}{{ $field.TypeReference.MarshalFunc }}(ctx, {{$.ECArg}}field.Selections, {{$field.GoReceiverName}}.{{$field.GoFieldName}})
				{{- else -}}
					out.Values[i] = {{$.ECDot}}_{{$object.Name}}_{{$field.Name}}(ctx, {{$.ECArg}}field, obj)
				{{- end -}}`,
	},
	{
		file: "object.gotpl",
		old:  `	deferred := graphql.NewDeferredGroup(ctx)`,
		new:  `	deferred := deferredGroupFor(ctx, fields)`,
	},
	{
		file: "internal!.gotpl",
		old: `			var buf bytes.Buffer
			data.MarshalGQL(&buf)
			response.Data = buf.Bytes()`,
		new: `			buf := responseBuffer(ctx)
			data.MarshalGQL(buf)
			response.Data = buf.Bytes()`,
	},
	{
		file: "type.gotpl",
		old: `					ret := graphql.MarshalSliceConcurrently(ctx, len(v), {{ $.Config.Exec.WorkerLimit }}, {{ $.Config.OmitPanicHandler }}, func(ctx context.Context, i int) graphql.Marshaler {
						fc := graphql.GetFieldContext(ctx)
						fc.Result = &v[i]
						return {{$.ECDot}}{{ $type.Elem.MarshalFunc }}(ctx, {{$.ECArg}}sel, v[i])
					})`,
		new: `					marshalElement := func(ctx context.Context, i int) graphql.Marshaler {
						fc := graphql.GetFieldContext(ctx)
						fc.Result = &v[i]
						return {{$.ECDot}}{{ $type.Elem.MarshalFunc }}(ctx, {{$.ECArg}}sel, v[i])
					}
					{{- if listInPlace $type }}
					var ret graphql.Array
					if {{$.ECDot}}selectionDoesIO_{{ $type.Elem.Definition.Name }}({{$.ECArg}}sel) {
						ret = graphql.MarshalSliceConcurrently(ctx, len(v), {{ $.Config.Exec.WorkerLimit }}, {{ $.Config.OmitPanicHandler }}, marshalElement)
					} else {
						ret = marshalSliceInPlace(ctx, len(v), {{ not $.Config.OmitPanicHandler }}, marshalElement)
					}
					{{- else }}
					ret := graphql.MarshalSliceConcurrently(ctx, len(v), {{ $.Config.Exec.WorkerLimit }}, {{ $.Config.OmitPanicHandler }}, marshalElement)
					{{- end }}`,
	},
}

// inPlaceTemplate is rendered beside gqlgen's: the in-place list marshaller
// and, per object, whether a selection on it does I/O.
//
//go:embed inplace.gotpl
var inPlaceTemplate string

// funcs are the template functions the edits call.
var funcs = template.FuncMap{
	"readInPlace": readInPlace,
	"listInPlace": listInPlace,
	"fieldIO":     fieldIO,
	"ioFields":    ioFields,
}

// readInPlace reports whether a field can be marshalled straight from its
// object's struct (see edits).
func readInPlace(f *codegen.Field) bool {
	t := f.TypeReference
	switch {
	case f.Object.Root, f.Object.Stream, f.IsResolver, f.IsBatch(), !f.IsVariable(), f.IsMap(), f.HasHaser,
		len(f.Args) > 0, f.HasDirectives(), f.Stream:
		return false
	case t.Definition.Kind != "SCALAR" && t.Definition.Kind != "ENUM", t.IsSlice(), t.IsContext:
		return false
	case !t.GQL.NonNull:
		return true // null is a valid answer: nothing to report
	case t.IsNilable():
		return false // a nil would be an error, reported with the field's path
	}
	return t.IsMarshaler || t.Marshaler != nil && neverNull[t.Marshaler.FullName()]
}

// neverNull are the marshalers that return a value for every input, so a
// non-null field written with them cannot turn into an error. (gqlgen's
// MarshalTime, for one, answers null for the zero time.)
var neverNull = map[string]bool{
	"github.com/99designs/gqlgen/graphql.MarshalString":  true,
	"github.com/99designs/gqlgen/graphql.MarshalBoolean": true,
	"github.com/99designs/gqlgen/graphql.MarshalInt":     true,
	"github.com/99designs/gqlgen/graphql.MarshalInt32":   true,
	"github.com/99designs/gqlgen/graphql.MarshalInt64":   true,
	"github.com/99designs/gqlgen/graphql.MarshalID":      true,
	// Parley's scalars never answer null (graph/scalar's tests hold them
	// to it).
	"github.com/parleyhq/parley/graph/scalar.MarshalUUID":      true,
	"github.com/parleyhq/parley/graph/scalar.MarshalTime":      true,
	"github.com/parleyhq/parley/graph/scalar.MarshalJSONArray": true,
}

// listInPlace reports whether a list type's elements are objects whose
// selection selectionDoesIO_* can judge.
func listInPlace(t *config.TypeReference) bool {
	e := t.Elem()
	return e.Definition.Kind == "OBJECT" && !e.IsSlice() && !e.IsRoot
}

// fieldIO says what selecting a field costs in I/O: "always" (a resolver,
// a method taking a context, or a type whose concrete object is not known
// here), "object" (whatever its own selection costs) or "" (none).
func fieldIO(f *codegen.Field) string {
	t := f.TypeReference
	switch {
	case f.IsConcurrent(), f.IsBatch(), f.Stream:
		return "always"
	case t.Definition.Kind == "INTERFACE", t.Definition.Kind == "UNION":
		return "always"
	case t.Definition.Kind == "OBJECT" && t.IsRoot:
		return "always"
	case t.Definition.Kind == "OBJECT":
		return "object"
	}
	return ""
}

// ioFields are an object's fields that may do I/O, by fieldIO.
func ioFields(o *codegen.Object) []*codegen.Field {
	var fields []*codegen.Field
	for _, f := range o.Fields {
		if fieldIO(f) != "" {
			fields = append(fields, f)
		}
	}
	return fields
}

// execTemplates reads gqlgen's templates for the executable schema from
// the gqlgen module in use and applies the edits.
func execTemplates() (fstest.MapFS, error) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "github.com/99designs/gqlgen/codegen").Output()
	if err != nil {
		return nil, fmt.Errorf("locating gqlgen's templates: %w", err)
	}
	dir := strings.TrimSpace(string(out))
	// The files gqlgen renders into a single-file executable schema.
	names := []string{"api!.gotpl", "internal!.gotpl", "args.gotpl", "field.gotpl", "input.gotpl",
		"interface.gotpl", "object.gotpl", "type.gotpl", "generated!.gotpl", "directives_.gotpl"}
	fsys := fstest.MapFS{}
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("reading gqlgen's template: %w", err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	for _, e := range edits {
		f := fsys[e.file]
		if n := strings.Count(string(f.Data), e.old); n != 1 {
			return nil, fmt.Errorf("editing gqlgen's %s: the text to replace occurs %d times, not once; gqlgen's templates changed, review the edit", e.file, n)
		}
		f.Data = []byte(strings.Replace(string(f.Data), e.old, e.new, 1))
	}
	fsys["inplace.gotpl"] = &fstest.MapFile{Data: []byte(inPlaceTemplate)}
	return fsys, nil
}

// renderExec renders the executable schema as gqlgen's single-file layout
// does, from the edited templates.
func renderExec(data *codegen.Data, fsys fstest.MapFS) error {
	if data.Config.Exec.Layout != config.ExecLayoutSingleFile {
		return fmt.Errorf("the exec layout is %q; the edited templates render only %q", data.Config.Exec.Layout, config.ExecLayoutSingleFile)
	}
	err := templates.Render(templates.Options{
		PackageName:     data.Config.Exec.Package,
		Filename:        data.Config.Exec.Filename,
		Data:            data,
		RegionTags:      true,
		GeneratedHeader: true,
		Packages:        data.Config.Packages,
		TemplateFS:      fsys,
		PruneOptions:    data.Config.GetPruneOptions(),
		Funcs:           funcs,
	})
	if err != nil {
		return fmt.Errorf("rendering the executable schema: %w", err)
	}
	return nil
}
