//go:build ignore

// Generates the ent client and, through entgql, the Relay parts of the
// GraphQL schema (graph/ent.graphqls), as configured in ent/codegen. Run
// through `go generate ./...` from the repository root.
package main

import (
	"log"

	"github.com/parleyhq/parley/ent/codegen"
)

func main() {
	err := codegen.Generate(codegen.Paths{
		Schema:        "./ent/schema",
		Target:        "./ent",
		GqlgenConfig:  "./gqlgen.yml",
		GraphQLSchema: "./graph/ent.graphqls",
	})
	if err != nil {
		log.Fatal(err)
	}
}
