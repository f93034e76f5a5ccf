// Package conversations is the one place conversations change: starting
// one, appending messages, moving its status, and importing history in
// bulk (import.go). The GraphQL mutations (and through them the REST API)
// and the seeder go through it, so its rules are written once. Every
// change also writes its event (events.go) in the same transaction: a
// rolled-back change leaves no event, and a committed one always has its
// event for webhooks and live subscriptions to read.
package conversations

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
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/database"
	"github.com/parleyhq/parley/internal/dbtime"
)

// MaxAppend bounds the messages of one append.
const MaxAppend = 500

// NewMessage is a message to append.
type NewMessage struct {
	Role     message.Role
	Content  string
	Modality message.Modality
	// CreatedAt is when it was said; nil means now.
	CreatedAt *time.Time
}

// Start creates a conversation (pending) with a connection code a
// participant can type unless the input has one.
func Start(ctx context.Context, c *ent.Client, input ent.CreateConversationInput) (*ent.Conversation, error) {
	var conv *ent.Conversation
	err := database.InTx(ctx, c, func(ctx context.Context, c *ent.Client) error {
		create := c.Conversation.Create().SetInput(input)
		if input.ConnectionCode == nil {
			create.SetConnectionCode(newConnectionCode())
		}
		zeroCounters(create)
		var err error
		if conv, err = create.Save(ctx); err != nil {
			return err
		}
		return record(ctx, c, EventCreated, conv)
	})
	return conv, err
}

// Append adds messages to a conversation and keeps its counters right; the
// first messages of a pending conversation start it. The conversation row
// is locked first (lock), so concurrent appends take distinct positions.
func Append(ctx context.Context, c *ent.Client, id uuid.UUID, inputs []NewMessage) (*ent.Conversation, []*ent.Message, error) {
	if len(inputs) == 0 || len(inputs) > MaxAppend {
		return nil, nil, apperr.Invalidf("messages: give between 1 and %d messages, got %d", MaxAppend, len(inputs))
	}
	var (
		conv *ent.Conversation
		msgs []*ent.Message
	)
	err := database.InTx(ctx, c, func(ctx context.Context, c *ent.Client) error {
		var err error
		conv, msgs, err = appendTx(ctx, c, id, inputs)
		return err
	})
	return conv, msgs, err
}

func appendTx(ctx context.Context, c *ent.Client, id uuid.UUID, inputs []NewMessage) (*ent.Conversation, []*ent.Message, error) {
	conv, err := lock(ctx, c, id)
	if err != nil {
		return nil, nil, err
	}
	if !AcceptsMessages(conv.Status) {
		return nil, nil, apperr.Invalidf("conversation %s is %s: only pending and in_progress conversations accept messages", id, conv.Status)
	}
	at := dbtime.Now()
	turns := 0
	for i, in := range inputs {
		if in.Content == "" {
			return nil, nil, apperr.Invalidf("messages[%d].content: must not be empty", i)
		}
		// Checked here, not left to the bulk insert, so the error can say
		// which message is at fault.
		if err := message.ContentValidator(in.Content); err != nil {
			return nil, nil, apperr.Invalidf("messages[%d].content: %s", i, apperr.ValidatorReason(err))
		}
		if in.CreatedAt != nil && !dbtime.InRange(*in.CreatedAt) {
			return nil, nil, apperr.Invalidf("messages[%d].createdAt: %s is outside the accepted range, %s to %s",
				i, in.CreatedAt.UTC().Format(time.RFC3339Nano), dbtime.Earliest.Format(time.RFC3339), dbtime.Latest.Format(time.RFC3339Nano))
		}
		if in.Role != message.RoleSystem {
			turns++
		}
	}
	starts := conv.Status == conversation.StatusPending
	update := c.Conversation.UpdateOneID(id).
		Where(conversation.StatusEQ(conv.Status)).
		AddMessageCount(len(inputs)).
		AddTurnCount(turns)
	countMessages(update, inputs)
	if starts {
		started := at
		if first := inputs[0].CreatedAt; first != nil {
			started = dbtime.Of(*first)
		}
		update.SetStatus(conversation.StatusInProgress).SetStartedAt(started)
	}
	conv, err = update.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, errConcurrentChange(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("updating conversation counters: %w", err)
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
		return nil, nil, errConcurrentChange(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("inserting messages: %w", err)
	}
	if starts {
		if err := record(ctx, c, EventStarted, conv); err != nil {
			return nil, nil, err
		}
	}
	if err := recordMessages(ctx, c, conv, msgs); err != nil {
		return nil, nil, err
	}
	return conv, msgs, nil
}

// SetStatus moves a conversation along an allowed transition and stamps the
// start or completion time the transition implies.
func SetStatus(ctx context.Context, c *ent.Client, id uuid.UUID, to conversation.Status) (*ent.Conversation, error) {
	var conv *ent.Conversation
	err := database.InTx(ctx, c, func(ctx context.Context, c *ent.Client) error {
		var err error
		conv, err = setStatusTx(ctx, c, id, to)
		return err
	})
	return conv, err
}

func setStatusTx(ctx context.Context, c *ent.Client, id uuid.UUID, to conversation.Status) (*ent.Conversation, error) {
	conv, err := lock(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if !CanMove(conv.Status, to) {
		return nil, apperr.Invalidf("status: a %s conversation cannot become %s (allowed: %s)", conv.Status, to, describe(Next(conv.Status)))
	}
	update := c.Conversation.UpdateOneID(id).Where(conversation.StatusEQ(conv.Status)).SetStatus(to)
	started, completed := Stamps(to, dbtime.Now())
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
	if err != nil {
		return nil, err
	}
	return conv, record(ctx, c, statusEvents[to], conv)
}

// lock reads a conversation for a write that depends on what it reads (its
// status, its message count). On PostgreSQL the row is read with SELECT
// ... FOR UPDATE, so a concurrent writer waits for this transaction and
// then reads its outcome, instead of failing the conditional update (the
// first appends to a pending conversation raced so). SQLite needs no lock:
// its transactions begin IMMEDIATE, so writers already run one at a time,
// and ent's SQLite dialect refuses FOR UPDATE.
func lock(ctx context.Context, c *ent.Client, id uuid.UUID) (*ent.Conversation, error) {
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
