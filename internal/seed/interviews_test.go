package seed

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/ent/message"
)

// Every agent has an interview, every question asks something, and every
// answer belongs to one question only, so a transcript's answers can be
// traced to the questions they answer (TestTranscriptsAnswerTheQuestion).
func TestInterviews(t *testing.T) {
	if len(interviews) != len(agentProfiles) {
		t.Errorf("%d interviews for %d agent profiles", len(interviews), len(agentProfiles))
	}
	seen := map[string]string{}
	for _, a := range agentProfiles {
		iv, ok := interviews[a.name]
		if !ok {
			t.Errorf("agent %q has no interview", a.name)
			continue
		}
		if len(iv.exchanges) < 12 || iv.signOff == "" {
			t.Errorf("%s: %d exchanges and sign-off %q; want at least 12 (25 messages, the bench's longest) and a sign-off", a.name, len(iv.exchanges), iv.signOff)
		}
		for _, ex := range append(iv.exchanges, iv.closing) {
			if !strings.HasSuffix(ex.question, "?") || len(ex.answers) < 2 {
				t.Errorf("%s: %q needs a question mark and at least two answers", a.name, ex.question)
			}
			for _, answer := range ex.answers {
				if q, dup := seen[answer]; dup {
					t.Errorf("%q answers both %q and %q", answer, q, ex.question)
				}
				seen[answer] = ex.question
			}
		}
	}
}

// A finished transcript ends with the closing exchange or the sign-off; an
// unfinished one is cut off; any length alternates questions and answers.
func TestTranscriptShape(t *testing.T) {
	g := &generator{rng: newRand(1)}
	iv := interviews["Customer Discovery"]
	for n := range 40 {
		for _, finished := range []bool{false, true} {
			lines := g.transcript(iv, n, finished)
			if len(lines) != n {
				t.Fatalf("n=%d finished=%v: %d lines", n, finished, len(lines))
			}
			for i, l := range lines {
				if want := []message.Role{message.RoleAssistant, message.RoleUser}[i%2]; l.role != want {
					t.Fatalf("n=%d finished=%v: line %d is %s's", n, finished, i+1, l.role)
				}
			}
			if n == 0 {
				continue
			}
			last := lines[n-1].content
			switch {
			case finished && n%2 == 1 && last != iv.signOff:
				t.Errorf("n=%d: a finished transcript of odd length ends with %q, not the sign-off", n, last)
			case finished && n%2 == 0 && lines[n-2].content != iv.closing.question:
				t.Errorf("n=%d: a finished transcript of even length ends with %q, not the closing exchange", n, lines[n-2].content)
			case !finished && (last == iv.signOff || strings.Contains(last, iv.closing.question)):
				t.Errorf("n=%d: an unfinished transcript ends with %q", n, last)
			}
			if n > 2 && lines[0].content != iv.exchanges[0].question {
				t.Errorf("n=%d: starts with %q", n, lines[0].content)
			}
		}
	}
}
