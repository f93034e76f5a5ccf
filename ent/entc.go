//go:build ignore

// Generates the ent client and, through entgql, the Relay parts of the
// GraphQL schema (graph/ent.graphqls). Run through `go generate ./...`.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithTemplates(templates()...),
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./graph/ent.graphqls"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Target:  "./ent",
		Package: "github.com/parleyhq/parley/ent",
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureModifier,
			gen.FeatureLock,
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
			gen.FeatureIntercept,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// templates are entgql's, with the pagination template replaced by our copy
// (ent/template/gql_pagination.tmpl), which skips the COUNT(*) entgql runs
// whenever pageInfo is selected.
func templates() []*gen.Template {
	pagination := gen.MustParse(gen.NewTemplate("gql_pagination").
		Funcs(entgql.TemplateFuncs).
		ParseFiles("./ent/template/gql_pagination.tmpl"))
	out := make([]*gen.Template, 0, len(entgql.AllTemplates))
	for _, t := range entgql.AllTemplates {
		if t == entgql.PaginationTemplate {
			t = pagination
		}
		out = append(out, t)
	}
	return out
}
