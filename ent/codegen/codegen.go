// Package codegen is Parley's ent and entgql code generation: the features,
// the entgql extension and the template overrides. ent/entc.go runs it
// through `go generate ./...`; the tests here check what it produces.
package codegen

import (
	"embed"
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

// Package is the import path of the generated ent client.
const Package = "github.com/parleyhq/parley/ent"

// Features are the ent features Parley's code uses.
var Features = []gen.Feature{
	gen.FeaturePrivacy,
	gen.FeatureEntQL,
	gen.FeatureModifier,
	gen.FeatureLock,
	gen.FeatureUpsert,
	gen.FeatureExecQuery,
	gen.FeatureIntercept,
}

// Paths says where generation reads and writes.
type Paths struct {
	Schema        string // the ent schema package directory
	Target        string // where the ent client is written
	GqlgenConfig  string // gqlgen.yml, which entgql reads for autobinding
	GraphQLSchema string // where entgql writes the GraphQL schema
}

// Generate writes the ent client and, through entgql, the Relay parts of
// the GraphQL schema.
func Generate(p Paths) error {
	ex, err := entgql.NewExtension(
		entgql.WithTemplates(Templates()...),
		entgql.WithConfigPath(p.GqlgenConfig),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath(p.GraphQLSchema),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
	)
	if err != nil {
		return fmt.Errorf("creating entgql extension: %w", err)
	}
	cfg := &gen.Config{Target: p.Target, Package: Package, Features: Features}
	if err := entc.Generate(p.Schema, cfg, entc.Extensions(ex)); err != nil {
		return fmt.Errorf("running ent codegen: %w", err)
	}
	return nil
}

//go:embed template
var templateFiles embed.FS

// Templates are entgql's, with three replaced by Parley's copies and two
// sub-templates overridden (each file in template/ says what it changes and
// why). A template added after another overrides the sub-templates of the
// same name, so the paginate override comes after the pagination template.
func Templates() []*gen.Template {
	parse := func(name, file string) *gen.Template {
		return gen.MustParse(gen.NewTemplate(name).Funcs(entgql.TemplateFuncs).ParseFS(templateFiles, "template/"+file))
	}
	replace := map[*gen.Template]*gen.Template{
		entgql.CollectionTemplate:    parse("gql_collection", "gql_collection.tmpl"),
		entgql.PaginationTemplate:    parse("gql_pagination", "gql_pagination.tmpl"),
		entgql.MutationInputTemplate: parse("gql_mutation_input", "gql_mutation_input.tmpl"),
	}
	out := make([]*gen.Template, 0, len(entgql.AllTemplates)+1)
	for _, t := range entgql.AllTemplates {
		if r, ok := replace[t]; ok {
			t = r
		}
		out = append(out, t)
	}
	return append(out,
		parse("gql_pagination_paginate", "gql_pagination_paginate.tmpl"),
		parse("gql_enum_marshal", "gql_enum_marshal.tmpl"),
		parse("sql_decode", "sql_decode.tmpl"),
	)
}
