package main

// Code generation: ent (with entgql) first, since gqlgen reads the GraphQL
// schema and Go types it produces.
//go:generate go run ./ent/entc.go
//go:generate go run ./graph/gqlgen gqlgen.yml
