package graph

import (
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/parleyhq/parley/ent/message"
)

// messageColumns are the columns each field of the GraphQL Message type
// reads, besides the ID and the conversation, which a transcript always
// reads.
var messageColumns = map[string][]string{
	"__typename":     nil,
	"id":             nil,
	"conversationID": nil,
	"conversation":   nil,
	"createdAt":      {message.FieldCreatedAt},
	"updatedAt":      {message.FieldUpdatedAt},
	"livemode":       {message.FieldLivemode},
	"position":       {message.FieldPosition},
	"role":           {message.FieldRole},
	"content":        {message.FieldContent},
	"modality":       {message.FieldModality},
}

// transcriptColumns returns the message columns that every `transcript`
// of the operation selects together (through fragments, whatever their
// @skip or @include), so that the operation's transcript loader reads only
// those; nil, which reads every column, when the operation has no
// transcript or selects a Message field the table above does not know.
// Each named fragment is walked once per context (inside a transcript or
// not), however often it is spread.
func transcriptColumns(oc *graphql.OperationContext) []string {
	if oc == nil || oc.Operation == nil {
		return nil
	}
	w := transcriptWalk{seen: map[string]bool{}, columns: map[string]bool{}}
	w.walk(oc.Operation.SelectionSet, false)
	if !w.found || w.unknown {
		return nil
	}
	cols := []string{message.FieldID, message.FieldConversationID}
	for c := range w.columns {
		cols = append(cols, c)
	}
	slices.Sort(cols[2:]) // the same statement text for the same selection
	return cols
}

type transcriptWalk struct {
	seen           map[string]bool // fragment name and context walked
	columns        map[string]bool
	found, unknown bool
}

func (w *transcriptWalk) walk(set ast.SelectionSet, inTranscript bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if inTranscript {
				cols, ok := messageColumns[s.Name]
				if !ok {
					w.unknown = true
				}
				for _, c := range cols {
					w.columns[c] = true
				}
				w.walk(s.SelectionSet, false) // a message's conversation
				continue
			}
			transcript := s.Name == "transcript" && (s.ObjectDefinition == nil || s.ObjectDefinition.Name == "Conversation")
			w.found = w.found || transcript
			w.walk(s.SelectionSet, transcript)
		case *ast.InlineFragment:
			w.walk(s.SelectionSet, inTranscript)
		case *ast.FragmentSpread:
			key := s.Name
			if inTranscript {
				key += " in transcript"
			}
			if s.Definition == nil { // not after validation; read everything
				w.unknown = true
				continue
			}
			if w.seen[key] {
				continue
			}
			w.seen[key] = true
			w.walk(s.Definition.SelectionSet, inTranscript)
		}
	}
}
