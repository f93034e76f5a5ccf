package graph

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/graph/model"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/lifecycle"
)

// MaxAppendMessages bounds one appendMessages call.
const MaxAppendMessages = 500

// tx returns the client of the mutation's transaction (entgql.Transactioner
// opens one per mutation), or the plain client outside one.
func (r *Resolver) tx(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return r.client
}

// connectionCodeAlphabet leaves out look-alike characters (0/O, 1/I/L).
const connectionCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newConnectionCode returns a code a participant can type, like "K7Q-M2XD" (about 2^34 codes).
func newConnectionCode() string {
	var b strings.Builder
	for i, c := range rand.Text()[:7] {
		if i == 3 {
			b.WriteByte('-')
		}
		b.WriteByte(connectionCodeAlphabet[int(c)%len(connectionCodeAlphabet)])
	}
	return b.String()
}

// lockConversation reads a conversation for a write that depends on what
// it reads (its status, its message count). On PostgreSQL the row is read
// with SELECT ... FOR UPDATE, so a concurrent writer waits for this
// transaction and then reads its outcome, instead of failing the
// conditional update below (the first appends to a pending conversation
// raced so). SQLite needs no lock: its transactions begin IMMEDIATE, so
// writers already run one at a time, and ent's SQLite dialect refuses FOR
// UPDATE.
func lockConversation(ctx context.Context, c *ent.Client, id uuid.UUID) (*ent.Conversation, error) {
	q := c.Conversation.Query().Where(conversation.ID(id))
	q.Modify(func(s *sql.Selector) {
		if s.Dialect() == dialect.Postgres {
			s.ForUpdate()
		}
	})
	return q.Only(ctx)
}

// errConcurrentChange answers a write whose conditional update found the
// conversation changed since it was read. Locking makes this unreachable
// in practice; if it happens, the request was fine and may be retried.
func errConcurrentChange(id uuid.UUID) error {
	return apperr.New(apperr.Conflict, "conversation %s was changed by another request at the same time; retry", id)
}

// appendMessages adds messages to a conversation and keeps its counters
// right, all in the caller's transaction. The conversation row is locked
// first (lockConversation), so concurrent appends take distinct positions.
func appendMessages(ctx context.Context, c *ent.Client, id uuid.UUID, inputs []*model.AppendMessageInput) (*model.AppendMessagesPayload, error) {
	if len(inputs) == 0 || len(inputs) > MaxAppendMessages {
		return nil, apperr.Invalidf("messages: give between 1 and %d messages, got %d", MaxAppendMessages, len(inputs))
	}
	conv, err := lockConversation(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if !lifecycle.AcceptsMessages(conv.Status) {
		return nil, apperr.Invalidf("conversation %s is %s: only pending and in_progress conversations accept messages", id, conv.Status)
	}
	at := dbtime.Now()
	turns := 0
	for i, in := range inputs {
		if in.Content == "" {
			return nil, apperr.Invalidf("messages[%d].content: must not be empty", i)
		}
		// Checked here, not left to the bulk insert, so the error can say
		// which message is at fault.
		if err := message.ContentValidator(in.Content); err != nil {
			return nil, apperr.Invalidf("messages[%d].content: %s", i, validatorReason(err))
		}
		if in.CreatedAt != nil && !dbtime.InRange(*in.CreatedAt) {
			return nil, apperr.Invalidf("messages[%d].createdAt: %s is outside the accepted range, %s to %s",
				i, in.CreatedAt.UTC().Format(time.RFC3339Nano), dbtime.Earliest.Format(time.RFC3339), dbtime.Latest.Format(time.RFC3339Nano))
		}
		if in.Role != message.RoleSystem {
			turns++
		}
	}
	update := c.Conversation.UpdateOneID(id).
		Where(conversation.StatusEQ(conv.Status)).
		AddMessageCount(len(inputs)).
		AddTurnCount(turns)
	if conv.Status == conversation.StatusPending {
		started := at
		if first := inputs[0].CreatedAt; first != nil {
			started = dbtime.Of(*first)
		}
		update.SetStatus(conversation.StatusInProgress).SetStartedAt(started)
	}
	conv, err = update.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, errConcurrentChange(id)
	}
	if err != nil {
		return nil, fmt.Errorf("updating conversation counters: %w", err)
	}
	first := conv.MessageCount - len(inputs) + 1
	builders := make([]*ent.MessageCreate, len(inputs))
	for i, in := range inputs {
		createdAt := at
		if in.CreatedAt != nil {
			createdAt = dbtime.Of(*in.CreatedAt)
		}
		builders[i] = c.Message.Create().
			SetConversationID(id).
			SetPosition(first + i).
			SetRole(in.Role).
			SetContent(in.Content).
			SetModality(in.Modality).
			SetCreatedAt(createdAt)
	}
	msgs, err := c.Message.CreateBulk(builders...).Save(ctx)
	if ent.IsConstraintError(err) {
		// Only a concurrent append can take these positions (unique per
		// conversation).
		return nil, errConcurrentChange(id)
	}
	if err != nil {
		return nil, fmt.Errorf("inserting messages: %w", err)
	}
	return &model.AppendMessagesPayload{Conversation: conv, Messages: msgs}, nil
}

// setStatus moves a conversation along an allowed transition and stamps the
// start or completion time the transition implies.
func setStatus(ctx context.Context, c *ent.Client, id uuid.UUID, to conversation.Status) (*ent.Conversation, error) {
	conv, err := lockConversation(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if !lifecycle.CanMove(conv.Status, to) {
		return nil, apperr.Invalidf("status: a %s conversation cannot become %s (allowed: %s)", conv.Status, to, describe(lifecycle.Next(conv.Status)))
	}
	update := c.Conversation.UpdateOneID(id).Where(conversation.StatusEQ(conv.Status)).SetStatus(to)
	started, completed := lifecycle.Stamps(to, dbtime.Now())
	if started != nil && conv.StartedAt == nil {
		update.SetStartedAt(*started)
	}
	if completed != nil {
		update.SetCompletedAt(*completed)
	}
	conv, err = update.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, errConcurrentChange(id)
	}
	return conv, err
}

func describe(ss []conversation.Status) string {
	if len(ss) == 0 {
		return "none"
	}
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
