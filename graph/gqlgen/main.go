// Command gqlgen generates the GraphQL layer: gqlgen's own generation
// (models, resolver stubs, the executable schema), with the executable
// schema rendered from gqlgen's templates plus the edits in templates.go.
//
// Run from the module root, as `go generate` does:
//
//	go run ./graph/gqlgen gqlgen.yml
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./graph/gqlgen CONFIG")
		os.Exit(2)
	}
	if err := generate(os.Args[1]); err != nil {
		slog.Error("generating the GraphQL layer", "err", err)
		os.Exit(1)
	}
}

func generate(configFile string) error {
	cfg, err := config.LoadConfig(configFile)
	if err != nil {
		return fmt.Errorf("loading %s: %w", configFile, err)
	}
	templates, err := execTemplates()
	if err != nil {
		return err
	}
	// gqlgen renders the executable schema from its own templates after the
	// plugins have run; the last plugin keeps the data it rendered from, so
	// the same data is rendered again from the edited templates. gqlgen's
	// build check would compile the first rendering; `go build` and the
	// tests compile the final one.
	cfg.SkipValidation = true
	var data capture
	if err := api.Generate(cfg, api.AddPlugin(&data)); err != nil {
		return fmt.Errorf("running gqlgen: %w", err)
	}
	if data.Data == nil {
		return fmt.Errorf("gqlgen did not hand its data to the plugins")
	}
	return renderExec(data.Data, templates)
}

// capture is a gqlgen plugin that keeps the data the code is generated
// from.
type capture struct{ *codegen.Data }

func (*capture) Name() string { return "parley-capture" }

func (c *capture) GenerateCode(data *codegen.Data) error {
	c.Data = data
	return nil
}
