package conversations

// The rules of a conversation's status.

import (
	"time"

	"github.com/parleyhq/parley/ent/conversation"
)

// allowed lists the statuses each status may move to.
var allowed = map[conversation.Status][]conversation.Status{
	conversation.StatusPending:    {conversation.StatusInProgress, conversation.StatusArchived},
	conversation.StatusInProgress: {conversation.StatusCompleted, conversation.StatusAbandoned, conversation.StatusArchived},
	conversation.StatusCompleted:  {conversation.StatusArchived},
	conversation.StatusAbandoned:  {conversation.StatusArchived},
	conversation.StatusArchived:   nil,
}

// CanMove reports whether a conversation may go from one status to another.
func CanMove(from, to conversation.Status) bool {
	for _, s := range allowed[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Next returns the statuses a conversation in status s may move to.
func Next(s conversation.Status) []conversation.Status { return allowed[s] }

// AcceptsMessages reports whether messages may be appended in status s.
func AcceptsMessages(s conversation.Status) bool {
	return s == conversation.StatusPending || s == conversation.StatusInProgress
}

// Stamps says which timestamps a move to status `to` sets, given when it
// happens: entering in_progress starts the conversation, and entering
// completed or abandoned ends it.
func Stamps(to conversation.Status, at time.Time) (startedAt, completedAt *time.Time) {
	switch to {
	case conversation.StatusInProgress:
		return &at, nil
	case conversation.StatusCompleted, conversation.StatusAbandoned:
		return nil, &at
	}
	return nil, nil
}
