package graph

import (
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
	c.Query.Conversations = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ConversationOrder, _ *ent.ConversationWhereInput) int {
		return StatementCost + page(child, first, last, paging.DefaultPageSize)
	}
	c.Query.Agents = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.AgentOrder, _ *ent.AgentWhereInput) int {
		return StatementCost + page(child, first, last, paging.DefaultPageSize)
	}
	c.Query.Participants = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ParticipantOrder, _ *ent.ParticipantWhereInput) int {
		return StatementCost + page(child, first, last, paging.DefaultPageSize)
	}

	// Nested connections must carry first or last (see nestedConnection);
	// the default only prices an operation that validation rejects anyway.
	c.Agent.Conversations = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.ConversationOrder, _ *ent.ConversationWhereInput) int {
		return page(child, first, last, paging.MaxPageSize)
	}
	c.Participant.Conversations = c.Agent.Conversations
	c.Conversation.Messages = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.MessageOrder, _ *ent.MessageWhereInput) int {
		return page(child, first, last, paging.MaxPageSize)
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
	c.Query.ConversationStats = func(child int, _ *ent.ConversationWhereInput, _ *model.ConversationStatsGroupBy, _ *model.StatsInterval, _ *string) int {
		return 2*StatementCost + child
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
