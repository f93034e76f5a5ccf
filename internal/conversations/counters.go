package conversations

import (
	"entgo.io/ent/dialect/sql"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
)

// The per-role and per-modality message counters of a conversation are a
// rollup for conversationStats, kept in the transaction of each change:
// a conversation starts with them at 0 and every append adds its
// messages. A NULL counter means "never counted" (a conversation stored
// before the counters existed, or written around this package), and
// stays NULL, so that the stats count its messages instead of trusting a
// partial sum.

// zeroCounters starts a new conversation's message counters.
func zeroCounters(create *ent.ConversationCreate) {
	create.SetUserMessages(0).SetAssistantMessages(0).SetSystemMessages(0).SetVoiceMessages(0)
}

// counterColumns are the counters, in the order they are written.
var counterColumns = []string{conversation.FieldUserMessages, conversation.FieldAssistantMessages,
	conversation.FieldSystemMessages, conversation.FieldVoiceMessages}

// tally counts msgs by counter column.
func tally(msgs []NewMessage) map[string]int {
	n := map[string]int{}
	for _, m := range msgs {
		switch m.Role {
		case message.RoleUser:
			n[conversation.FieldUserMessages]++
		case message.RoleAssistant:
			n[conversation.FieldAssistantMessages]++
		case message.RoleSystem:
			n[conversation.FieldSystemMessages]++
		}
		if m.Modality == message.ModalityVoice {
			n[conversation.FieldVoiceMessages]++
		}
	}
	return n
}

// countMessages adds the appended messages to the conversation's counters.
func countMessages(update *ent.ConversationUpdateOne, inputs []NewMessage) {
	added := tally(inputs)
	update.Modify(func(u *sql.UpdateBuilder) {
		for _, col := range counterColumns {
			if n := added[col]; n > 0 {
				// col + n, not ent's Add (COALESCE(col, 0) + n), which
				// would turn "never counted" into a wrong count.
				u.Set(col, sql.ExprFunc(func(b *sql.Builder) {
					b.Ident(col).WriteString(" + ").Arg(n)
				}))
			}
		}
	})
}

// setCounters gives an imported conversation the counters of its whole
// transcript.
func setCounters(create *ent.ConversationCreate, msgs []NewMessage) {
	n := tally(msgs)
	create.SetUserMessages(n[conversation.FieldUserMessages]).
		SetAssistantMessages(n[conversation.FieldAssistantMessages]).
		SetSystemMessages(n[conversation.FieldSystemMessages]).
		SetVoiceMessages(n[conversation.FieldVoiceMessages])
}
