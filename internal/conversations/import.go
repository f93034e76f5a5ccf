package conversations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/gid"
)

// Past is a conversation that already happened, imported whole (the demo
// data `parley seed` writes): its status, times and transcript as they
// were. The counters (turns, messages, messages per role and modality)
// and positions are not given: Import derives them by the rules Append
// follows.
type Past struct {
	OrganizationID    uuid.UUID
	Livemode          bool
	AgentID           uuid.UUID
	ParticipantID     *uuid.UUID
	ConnectionCode    string
	Status            conversation.Status
	SessionProperties map[string]any
	PathTaken         []any
	CreatedAt         time.Time
	StartedAt         *time.Time
	CompletedAt       *time.Time
	// Messages in order, each with its CreatedAt.
	Messages []NewMessage
}

// importMessagesPerInsert keeps one insert's bind parameters under
// PostgreSQL's 65,535.
const importMessagesPerInsert = 2000

// Import writes past conversations in bulk, in the caller's transaction or
// one of its own. Their status and times must agree as the lifecycle would
// have left them. History announces nothing: an import records no events
// (it happened before any webhook endpoint or subscriber could have been
// waiting for it). It returns how many messages it wrote.
func Import(ctx context.Context, c *ent.Client, past []Past) (int, error) {
	for i := range past {
		if err := past[i].check(); err != nil {
			return 0, fmt.Errorf("conversation %d: %w", i, err)
		}
	}
	written := 0
	err := database.InTx(ctx, c, func(ctx context.Context, c *ent.Client) error {
		convs := make([]*ent.ConversationCreate, len(past))
		var msgs []*ent.MessageCreate
		for i, p := range past {
			id := gid.New(gid.Conversation)
			turns := 0
			for k, m := range p.Messages {
				if m.Role != message.RoleSystem {
					turns++
				}
				at := dbtime.Of(*m.CreatedAt)
				msgs = append(msgs, c.Message.Create().
					SetOrganizationID(p.OrganizationID).SetLivemode(p.Livemode).
					SetConversationID(id).SetPosition(k+1).
					SetRole(m.Role).SetContent(m.Content).SetModality(m.Modality).
					SetCreatedAt(at).SetUpdatedAt(at))
			}
			created := dbtime.Of(p.CreatedAt)
			create := c.Conversation.Create().
				SetID(id).
				SetOrganizationID(p.OrganizationID).SetLivemode(p.Livemode).
				SetAgentID(p.AgentID).
				SetNillableParticipantID(p.ParticipantID).
				SetConnectionCode(p.ConnectionCode).
				SetStatus(p.Status).
				SetTurnCount(turns).SetMessageCount(len(p.Messages)).
				SetSessionProperties(p.SessionProperties).
				SetPathTaken(p.PathTaken).
				SetNillableStartedAt(dbtime.OfPtr(p.StartedAt)).
				SetNillableCompletedAt(dbtime.OfPtr(p.CompletedAt)).
				SetCreatedAt(created).SetUpdatedAt(created)
			setCounters(create, p.Messages)
			convs[i] = create
		}
		if err := c.Conversation.CreateBulk(convs...).Exec(ctx); err != nil {
			return fmt.Errorf("importing conversations: %w", err)
		}
		for start := 0; start < len(msgs); start += importMessagesPerInsert {
			if err := c.Message.CreateBulk(msgs[start:min(start+importMessagesPerInsert, len(msgs))]...).Exec(ctx); err != nil {
				return fmt.Errorf("importing messages: %w", err)
			}
		}
		written = len(msgs)
		return nil
	})
	return written, err
}

// check holds a past conversation to the lifecycle: only a started one has
// messages; in_progress has started and not ended; completed and abandoned
// have ended, not before they started; archived may have stopped anywhere.
func (p Past) check() error {
	started, ended := p.StartedAt != nil, p.CompletedAt != nil
	switch {
	case p.Status == conversation.StatusPending && (started || ended):
		return apperr.Invalidf("a pending conversation has neither started nor ended")
	case p.Status == conversation.StatusInProgress && (!started || ended):
		return apperr.Invalidf("an in_progress conversation has started and not ended")
	case (p.Status == conversation.StatusCompleted || p.Status == conversation.StatusAbandoned) && (!started || !ended):
		return apperr.Invalidf("a %s conversation has started and ended", p.Status)
	case ended && !started:
		return apperr.Invalidf("a conversation cannot end before it starts")
	case started && ended && p.CompletedAt.Before(*p.StartedAt):
		return apperr.Invalidf("completed_at is before started_at")
	case len(p.Messages) > 0 && !started:
		return apperr.Invalidf("only a conversation that started has messages")
	}
	for i, m := range p.Messages {
		if m.CreatedAt == nil || !dbtime.InRange(*m.CreatedAt) {
			return apperr.Invalidf("messages[%d]: a past message needs a time in the accepted range", i)
		}
		if m.Content == "" {
			return apperr.Invalidf("messages[%d].content: must not be empty", i)
		}
	}
	return nil
}
