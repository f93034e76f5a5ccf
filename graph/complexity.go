package graph

import (
	"reflect"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/graph/generated"
	"github.com/parleyhq/parley/graph/model"
	"github.com/parleyhq/parley/internal/paging"
)

// The prices of fields for the complexity limit (Limits.MaxComplexity).
// Every field costs 1 by default; a list multiplies the cost of what it
// selects by its size. TestEveryListHasAPrice fails when a field that
// returns a list or a connection has no price here.

// transcriptCost is the assumed length of a transcript.
const transcriptCost = 30

// statsGroupsCost is the assumed number of groups of conversationStats.
const statsGroupsCost = 30

// complexity prices connections and lists by their size, and fields that
// send SQL of their own by StatementCost. Nested connections and edges are
// eager-loaded, one statement per level whatever the number of parents, so
// they carry no statement price of their own.
func complexity() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	page := func(child int, first, last *int, def int) int {
		n := def
		if first != nil {
			n = *first
		} else if last != nil {
			n = *last
		}
		return 1 + n*child
	}
	one := func(child int) int { return StatementCost + child }
	byID := func(child int, _ uuid.UUID) int { return one(child) }

	c.Query.Viewer = one
	c.Query.Node = byID
	c.Query.Conversation = byID
	c.Query.Agent = byID
	c.Query.Nodes = func(child int, ids []uuid.UUID) int { return StatementCost + 1 + len(ids)*child }
	c.Query.Conversations = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ConversationOrder, where *ent.ConversationWhereInput) int {
		return StatementCost + filterCost(where) + page(child, first, last, paging.DefaultPageSize)
	}
	c.Query.Agents = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.AgentOrder, where *ent.AgentWhereInput) int {
		return StatementCost + filterCost(where) + page(child, first, last, paging.DefaultPageSize)
	}
	c.Query.Participants = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ParticipantOrder, where *ent.ParticipantWhereInput) int {
		return StatementCost + filterCost(where) + page(child, first, last, paging.DefaultPageSize)
	}

	// Nested connections must carry first or last (see nestedConnection);
	// the default only prices an operation that validation rejects anyway.
	// A nested list's filter cost is multiplied by its parents like the
	// rest of it, although the list is one statement for all of them: a
	// filter that follows an edge under a page of 25 parents or more is
	// refused, and can be asked of the root list instead.
	c.Agent.Conversations = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ConversationOrder, where *ent.ConversationWhereInput) int {
		return filterCost(where) + page(child, first, last, paging.MaxPageSize)
	}
	c.Participant.Conversations = c.Agent.Conversations
	c.Conversation.Messages = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.MessageOrder, where *ent.MessageWhereInput) int {
		return filterCost(where) + page(child, first, last, paging.MaxPageSize)
	}
	c.Conversation.Transcript = func(child int) int { return 1 + transcriptCost*child }

	c.Query.WebhookEndpoint = byID
	c.Viewer.WebhookEndpoints = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int) int {
		return StatementCost + page(child, first, last, paging.DefaultPageSize)
	}
	c.WebhookEndpoint.Deliveries = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.WebhookDeliveryOrder) int {
		return page(child, first, last, paging.MaxPageSize)
	}

	// Stats send two statements however many groups they return; groups
	// are priced like a default page of daily buckets (at most
	// MaxStatsBuckets, each a few dozen numbers).
	c.Query.ConversationStats = func(child int, where *ent.ConversationWhereInput, _ *model.ConversationStatsGroupBy, _ *model.StatsInterval, _ *string) int {
		return 2*StatementCost + filterCost(where) + child
	}
	c.ConversationStats.Groups = func(child int) int { return 1 + statsGroupsCost*child }

	// Every mutation is a transaction of a few statements.
	c.Mutation.CreateAgent = func(child int, _ ent.CreateAgentInput) int { return one(child) }
	c.Mutation.UpdateAgent = func(child int, _ uuid.UUID, _ ent.UpdateAgentInput) int { return one(child) }
	c.Mutation.CreateParticipant = func(child int, _ ent.CreateParticipantInput) int { return one(child) }
	c.Mutation.UpdateParticipant = func(child int, _ uuid.UUID, _ ent.UpdateParticipantInput) int { return one(child) }
	c.Mutation.StartConversation = func(child int, _ ent.CreateConversationInput) int { return one(child) }
	c.Mutation.UpdateConversation = func(child int, _ uuid.UUID, _ ent.UpdateConversationInput) int { return one(child) }
	c.Mutation.AppendMessages = func(child int, _ uuid.UUID, messages []*model.AppendMessageInput) int {
		return StatementCost + len(messages) + child
	}
	// The messages an append returns are the ones it wrote, already priced
	// per message by the mutation above.
	c.AppendMessagesPayload.Messages = func(child int) int { return 1 + child }
	c.Mutation.SetConversationStatus = func(child int, _ uuid.UUID, _ conversation.Status) int { return one(child) }
	c.Mutation.CreateWebhookEndpoint = func(child int, _ model.CreateWebhookEndpointInput) int { return one(child) }
	c.Mutation.UpdateWebhookEndpoint = func(child int, _ uuid.UUID, _ model.UpdateWebhookEndpointInput) int { return one(child) }
	c.Mutation.DeleteWebhookEndpoint = func(child int, _ uuid.UUID) int { return one(child) }
	c.Mutation.RotateWebhookSecret = func(child int, _ uuid.UUID, _ *int) int { return one(child) }
	c.Mutation.SendTestWebhook = one
	c.Mutation.RedeliverWebhookEvent = func(child int, _, _ uuid.UUID) int { return one(child) }
	return c
}

// filterCost prices a generated where input: JoinFilterCost if it follows an
// edge anywhere (a non-empty Has<Edge>With, at any depth of not, and, or),
// else nothing. It reads the generated fields by name, so an edge added to
// the schema is priced without a change here.
func filterCost(where any) int {
	if followsEdge(reflect.ValueOf(where)) {
		return JoinFilterCost
	}
	return 0
}

func followsEdge(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return !v.IsNil() && followsEdge(v.Elem())
	case reflect.Slice:
		for i := range v.Len() {
			if followsEdge(v.Index(i)) {
				return true
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			name := t.Field(i).Name
			switch {
			case strings.HasPrefix(name, "Has") && strings.HasSuffix(name, "With"):
				if v.Field(i).Len() > 0 {
					return true
				}
			case name == "Not", name == "And", name == "Or":
				if followsEdge(v.Field(i)) {
					return true
				}
			}
		}
	}
	return false
}
