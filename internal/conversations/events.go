package conversations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
)

// The types of the events a change records. The conversation.* ones that
// webhooks deliver are documented in the README and the OpenAPI document.
const (
	EventCreated          = "conversation.created"
	EventStarted          = "conversation.started"
	EventCompleted        = "conversation.completed"
	EventAbandoned        = "conversation.abandoned"
	EventArchived         = "conversation.archived"
	EventMessagesAppended = "conversation.messages_appended"
)

// statusEvents is the event of entering each status.
var statusEvents = map[conversation.Status]string{
	conversation.StatusInProgress: EventStarted,
	conversation.StatusCompleted:  EventCompleted,
	conversation.StatusAbandoned:  EventAbandoned,
	conversation.StatusArchived:   EventArchived,
}

// record writes the event of a change to conv in the change's transaction,
// with the conversation as it is after the change.
func record(ctx context.Context, c *ent.Client, typ string, conv *ent.Conversation) error {
	data, err := payload(ctx, c, conv)
	if err != nil {
		return err
	}
	return write(ctx, c, typ, conv.ID, data)
}

// recordMessages writes the event of an append: which messages, in order.
func recordMessages(ctx context.Context, c *ent.Client, conv *ent.Conversation, msgs []*ent.Message) error {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID.String()
	}
	return write(ctx, c, EventMessagesAppended, conv.ID, map[string]any{
		"conversation_id": conv.ID.String(),
		"message_ids":     ids,
		"message_count":   conv.MessageCount,
	})
}

func write(ctx context.Context, c *ent.Client, typ string, conversationID uuid.UUID, data map[string]any) error {
	if err := c.Event.Create().SetType(typ).SetConversationID(conversationID).SetData(data).Exec(ctx); err != nil {
		return fmt.Errorf("recording %s: %w", typ, err)
	}
	return nil
}

// payload is a conversation as its webhook events carry it: the started
// event's fields, and for a finished conversation its completion, turn
// count and final status.
func payload(ctx context.Context, c *ent.Client, conv *ent.Conversation) (map[string]any, error) {
	data := map[string]any{
		"conversation_id":     conv.ID.String(),
		"agent_id":            conv.AgentID.String(),
		"participant_user_id": nil,
		"connection_code":     conv.ConnectionCode,
		"started_at":          timeOrNil(conv.StartedAt),
		"session_properties":  conv.SessionProperties,
		"path_taken":          conv.PathTaken,
		"participant_profile": nil,
		"status":              string(conv.Status),
	}
	if conv.ParticipantID != nil {
		p, err := c.Participant.Get(ctx, *conv.ParticipantID)
		if err != nil {
			return nil, fmt.Errorf("loading the conversation's participant: %w", err)
		}
		data["participant_user_id"] = p.ID.String()
		data["participant_profile"] = map[string]any{
			"id":                  p.ID.String(),
			"email":               p.Email,
			"first_name":          p.FirstName,
			"last_name":           p.LastName,
			"organization_name":   p.OrganizationName,
			"organization_domain": p.OrganizationDomain,
			"avatar_url":          p.AvatarImageURL,
		}
	}
	switch conv.Status {
	case conversation.StatusCompleted, conversation.StatusAbandoned, conversation.StatusArchived:
		data["completed_at"] = timeOrNil(conv.CompletedAt)
		data["turn_count"] = conv.TurnCount
	}
	return data, nil
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}
