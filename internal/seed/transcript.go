package seed

import "github.com/parleyhq/parley/ent/message"

// line is one message of a transcript.
type line struct {
	role    message.Role
	content string
}

// transcript returns n lines of an interview: the agent asks, the
// participant answers the question just asked. A finished conversation ends
// with the closing question and its answer, or with the sign-off when n is
// odd; an unfinished one stops wherever n does. A conversation longer than
// the interview asks its questions again, after the opening one.
func (g *generator) transcript(iv interview, n int, finished bool) []line {
	body := n
	if finished {
		body = max(0, n-2+n%2)
	}
	lines := make([]line, 0, n)
	for k := 0; k < body; k += 2 {
		e := k / 2
		if e >= len(iv.exchanges) {
			e = 1 + (e-1)%(len(iv.exchanges)-1)
		}
		ex := iv.exchanges[e]
		lines = append(lines, line{message.RoleAssistant, ex.question})
		if k+1 < body {
			lines = append(lines, line{message.RoleUser, g.pick(ex.answers)})
		}
	}
	switch {
	case !finished || n == 0:
	case n%2 == 1:
		lines = append(lines, line{message.RoleAssistant, iv.signOff})
	default:
		lines = append(lines, line{message.RoleAssistant, iv.closing.question}, line{message.RoleUser, g.pick(iv.closing.answers)})
	}
	return lines
}
