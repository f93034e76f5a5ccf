package conversations

import (
	"testing"

	"github.com/parleyhq/parley/ent/conversation"
)

func TestCanMove(t *testing.T) {
	legal := map[[2]conversation.Status]bool{
		{"pending", "in_progress"}:   true,
		{"pending", "archived"}:      true,
		{"in_progress", "completed"}: true,
		{"in_progress", "abandoned"}: true,
		{"in_progress", "archived"}:  true,
		{"completed", "archived"}:    true,
		{"abandoned", "archived"}:    true,
	}
	all := []conversation.Status{conversation.StatusPending, conversation.StatusInProgress, conversation.StatusCompleted, conversation.StatusAbandoned, conversation.StatusArchived}
	for _, from := range all {
		for _, to := range all {
			want := legal[[2]conversation.Status{from, to}]
			if got := CanMove(from, to); got != want {
				t.Errorf("CanMove(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}
