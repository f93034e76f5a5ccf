package codegen_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/ent/codegen"
)

// entgqlDir returns where the module cache keeps the entgql version that
// go.mod requires.
func entgqlDir(t *testing.T) string {
	return filepath.Join(moduleDir(t, "entgo.io/contrib"), "entgql")
}

// moduleDir returns where the module cache keeps the version of a module
// that go.mod requires.
func moduleDir(t *testing.T, module string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		t.Fatalf("locating %s: %v", module, err)
	}
	return strings.TrimSpace(string(out))
}

var (
	// The header comment a copy adds after the license.
	copyHeader = regexp.MustCompile(`(?s)\n\{\{/\*\nParley's copy.*?\*/\}\}\n|\n\{\{/\*\nOverrides ent(?:gql)?'s.*?\*/\}\}\n`)
	// A changed region, with the upstream text it replaces, if any.
	region = regexp.MustCompile(`(?s)\{\{- /\* Parley begin: .*?(?:\nUpstream:\n(.*?))? \*/\}\}\n.*?\{\{- /\* Parley end \*/\}\}\n`)
)

// upstreamOf undoes a copy's marked changes.
func upstreamOf(copy string) string {
	copy = copyHeader.ReplaceAllString(copy, "")
	return region.ReplaceAllStringFunc(copy, func(m string) string {
		if up := region.FindStringSubmatch(m)[1]; up != "" {
			return up + "\n"
		}
		return ""
	})
}

// The template copies differ from entgql's only in their marked regions,
// so an entgql upgrade cannot silently diverge from them.
func TestTemplatesMatchUpstream(t *testing.T) {
	dir := entgqlDir(t)
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	pagination := read(filepath.Join(dir, "template/pagination.tmpl"))
	paginate := pagination[strings.Index(pagination, `{{ define "gql_pagination/helper/paginate" }}`):]
	enum := read(filepath.Join(dir, "template/enum.tmpl"))
	enumMarshal := enum[strings.Index(enum, `{{ define "meta/additional/graphql-enum" }}`):]
	license := pagination[:strings.Index(pagination, "*/}}\n")+len("*/}}\n")]
	decode := read(filepath.Join(moduleDir(t, "entgo.io/ent"), "entc/gen/template/dialect/sql/decode.tmpl"))
	decodeOne := decode[strings.Index(decode, `{{ define "dialect/sql/decode/one" }}`):strings.Index(decode, `{{ define "dialect/sql/decode/field" }}`)]
	for file, want := range map[string]string{
		"gql_collection.tmpl":          read(filepath.Join(dir, "template/collection.tmpl")),
		"gql_pagination.tmpl":          pagination,
		"gql_pagination_paginate.tmpl": license + "\n" + paginate,
		"gql_enum_marshal.tmpl":        license + "\n" + enumMarshal,
		"gql_mutation_input.tmpl":      license + "\n" + read(filepath.Join(dir, "template/mutation_input.tmpl")),
		"sql_decode.tmpl":              license + "\n" + strings.TrimRight(decodeOne, "\n") + "\n",
	} {
		ours := read(filepath.Join("template", file))
		if n := len(region.FindAllString(ours, -1)); n == 0 {
			t.Errorf("%s: no marked region; if it no longer changes anything, drop the copy", file)
		}
		if got := upstreamOf(ours); got != want {
			t.Errorf("%s differs from entgql's template outside its marked regions; diff it against %s", file, dir)
		}
	}
}

// The committed GraphQL schema is what entgql generates from the ent
// schema (as entgql's own todo example checks).
func TestGeneratedSchema(t *testing.T) {
	tmp := t.TempDir()
	cfg, err := os.ReadFile("../../gqlgen.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "gqlgen.yml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	err = codegen.Generate(codegen.Paths{
		Schema:        "../schema",
		Target:        filepath.Join(tmp, "ent"),
		GqlgenConfig:  filepath.Join(tmp, "gqlgen.yml"),
		GraphQLSchema: filepath.Join(tmp, "ent.graphqls"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../graph/ent.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(tmp, "ent.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("graph/ent.graphqls is not what the ent schema generates; run go generate ./...")
	}
}
