package schema

// ResolverColumns names, for each GraphQL field that Parley's GraphQL
// schema adds to an ent type (graph/schema.graphqls), the ent fields its
// resolver reads besides the ID. entgql's field collection selects only
// the columns an operation asks for, but it does not know these fields and
// would select every column whenever one is asked for; Parley's copy of
// its collection template (ent/codegen/template/gql_collection.tmpl)
// selects these instead. A resolver that reads a field not named here
// reads its zero value.
type ResolverColumns map[string][]string

// Name implements schema.Annotation.
func (ResolverColumns) Name() string { return "ResolverColumns" }
