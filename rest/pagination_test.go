package rest_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below exist whatever the system has

	"github.com/parleyhq/parley/api/apitest"
	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/internal/gid"
	"github.com/parleyhq/parley/internal/testenv"
)

var allStatuses = []conversation.Status{
	conversation.StatusPending, conversation.StatusInProgress, conversation.StatusCompleted,
	conversation.StatusAbandoned, conversation.StatusArchived,
}

// listPage is one page of a list as read over REST.
type listPage struct {
	ids        []string
	hasMore    bool
	next, prev string // "" for null
	body       map[string]any
}

func readPage(t testing.TB, env *apitest.Env, key, path string, params ...string) listPage {
	t.Helper()
	body := ok(t, get(t, env, key, query(path, params...)))
	hasMore, isBool := testenv.Get(body, "pagination", "has_more").(bool)
	if !isBool {
		t.Fatalf("pagination.has_more = %#v", testenv.Get(body, "pagination", "has_more"))
	}
	return listPage{ids: dataIDs(t, body), hasMore: hasMore, next: cursor(t, body, "next_cursor"), prev: cursor(t, body, "prev_cursor"), body: body}
}

// walkForward reads a list from its first page, following next_cursor
// until it is null. between runs after each page, before the next is read.
func walkForward(t testing.TB, env *apitest.Env, key, path string, filter []string, limit, maxPages int, between func(page listPage)) []listPage {
	t.Helper()
	var pages []listPage
	params := append([]string{"limit", fmt.Sprint(limit)}, filter...)
	after := ""
	for {
		if len(pages) > maxPages {
			t.Fatalf("walk did not end after %d pages", maxPages)
		}
		ps := params
		if after != "" {
			ps = append(slices.Clone(params), "after", after)
		}
		p := readPage(t, env, key, path, ps...)
		pages = append(pages, p)
		if between != nil {
			between(p)
		}
		if p.next == "" {
			return pages
		}
		after = p.next
	}
}

// walkBack reads a list backwards from page, following prev_cursor as
// `before` until it is null, and returns the pages read, nearest first.
func walkBack(t testing.TB, env *apitest.Env, key, path string, filter []string, limit, maxPages int, from listPage) []listPage {
	t.Helper()
	var pages []listPage
	params := append([]string{"limit", fmt.Sprint(limit)}, filter...)
	before := from.prev
	for before != "" {
		if len(pages) > maxPages {
			t.Fatalf("backward walk did not end after %d pages", maxPages)
		}
		p := readPage(t, env, key, path, append(slices.Clone(params), "before", before)...)
		pages = append(pages, p)
		before = p.prev
	}
	return pages
}

func concat(pages []listPage) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p.ids...)
	}
	return out
}

// TestWalk reads 250 conversations with several page sizes and filters,
// forward to the end and back to the start, and checks that every matching
// conversation is seen exactly once, in order, and that pages retrace.
func TestWalk(t *testing.T) {
	env := apitest.Start(t)
	tn := newTenant(t, env, "Acme", false)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	agents := []*ent.Agent{tn.agent(t, "A", base), tn.agent(t, "B", base), tn.agent(t, "C", base)}

	// 250 conversations, inserted in an order unrelated to their creation
	// times, which come from a small set so that many tie (some at a whole
	// second, some with a fraction), and 12 share one exact instant.
	rng := rand.New(rand.NewPCG(2026, 3))
	fractions := []time.Duration{0, 500 * time.Millisecond, 123456 * time.Microsecond, time.Microsecond}
	tie := base.Add(42*time.Second + 987654*time.Microsecond)
	var builders []*ent.ConversationCreate
	for i := range 250 {
		at := base.Add(time.Duration(rng.IntN(90))*time.Second + fractions[rng.IntN(len(fractions))])
		if i%20 == 7 {
			at = tie
		}
		builders = append(builders, tn.newConversation(agents[i%3].ID, allStatuses[i%5], at))
	}
	all := saveConversations(t, env, builders)
	// Rows of other tenants in the same period must never show.
	for _, other := range []*tenant{newTenant(t, env, "Globex", false), newTenant(t, env, "Acme", true)} {
		a := other.agent(t, "Other", base)
		var bs []*ent.ConversationCreate
		for i := range 30 {
			bs = append(bs, other.newConversation(a.ID, allStatuses[i%5], base.Add(time.Duration(rng.IntN(90))*time.Second)))
		}
		saveConversations(t, env, bs)
	}

	ties := map[time.Time]int{}
	for _, c := range all {
		ties[c.CreatedAt]++
	}
	if len(ties) > 230 || ties[tie] < 12 {
		t.Fatalf("fixture: want many tied creation times, got %d distinct of 250, %d at the shared instant", len(ties), ties[tie])
	}

	agentX := agents[1].ID.String()
	filters := []struct {
		name   string
		params []string
		match  func(c *ent.Conversation) bool
	}{
		{"none", nil, func(*ent.Conversation) bool { return true }},
		{"status=completed", []string{"status", "completed"}, func(c *ent.Conversation) bool { return c.Status == conversation.StatusCompleted }},
		{"agent_id", []string{"agent_id", agentX}, func(c *ent.Conversation) bool { return c.AgentID.String() == agentX }},
		{"status and agent_id", []string{"status", "completed", "agent_id", agentX}, func(c *ent.Conversation) bool {
			return c.Status == conversation.StatusCompleted && c.AgentID.String() == agentX
		}},
	}
	byID := map[string]*ent.Conversation{}
	for _, c := range all {
		byID[c.ID.String()] = c
	}

	for _, f := range filters {
		var matching []*ent.Conversation
		for _, c := range all {
			if f.match(c) {
				matching = append(matching, c)
			}
		}
		want := ids(newestFirst(matching))
		for _, limit := range []int{1, 7, 20, 100} {
			t.Run(fmt.Sprintf("%s limit %d", f.name, limit), func(t *testing.T) {
				maxPages := len(want)/limit + 2
				pages := walkForward(t, env, tn.key, conversationsPath, f.params, limit, maxPages, nil)
				if got := concat(pages); !reflect.DeepEqual(got, want) {
					t.Fatalf("forward walk saw %d conversations, want %d in order\n got: %v\nwant: %v", len(got), len(want), got, want)
				}
				wantPages := (len(want) + limit - 1) / limit
				if len(pages) != wantPages {
					t.Errorf("forward walk took %d pages, want %d", len(pages), wantPages)
				}
				for i, p := range pages {
					last := i == len(pages)-1
					if !last && len(p.ids) != limit {
						t.Errorf("page %d has %d items, want %d", i, len(p.ids), limit)
					}
					if p.hasMore != !last {
						t.Errorf("page %d of %d: has_more = %v", i, len(pages), p.hasMore)
					}
					if (p.next == "") != last {
						t.Errorf("page %d of %d: next_cursor = %q", i, len(pages), p.next)
					}
					if (p.prev == "") != (i == 0) {
						t.Errorf("page %d: prev_cursor = %q, want null only on the first page", i, p.prev)
					}
					for _, id := range p.ids {
						if c := byID[id]; c == nil || !f.match(c) {
							t.Errorf("page %d lists %s, which does not match", i, id)
						}
					}
				}

				back := walkBack(t, env, tn.key, conversationsPath, f.params, limit, maxPages, pages[len(pages)-1])
				if len(back) != len(pages)-1 {
					t.Fatalf("backward walk took %d pages, want %d", len(back), len(pages)-1)
				}
				for j, p := range back {
					i := len(pages) - 2 - j // the forward page it must retrace
					fwd := pages[i]
					if !reflect.DeepEqual(p.ids, fwd.ids) {
						t.Errorf("backward page %d = %v, want forward page %d %v", j, p.ids, i, fwd.ids)
					}
					// Reading backwards, more lies beyond unless this is the first page.
					if p.hasMore != (i > 0) {
						t.Errorf("backward page %d (forward page %d): has_more = %v", j, i, p.hasMore)
					}
					if p.prev != fwd.prev {
						t.Errorf("backward page %d: prev_cursor %q, forward page %d had %q", j, p.prev, i, fwd.prev)
					}
					if p.next != fwd.next {
						t.Errorf("backward page %d: next_cursor %q, forward page %d had %q", j, p.next, i, fwd.next)
					}
				}
			})
		}
	}
}

// TestWalkWhileInserting inserts conversations between the pages of a
// forward walk: newer ones, ones tied with rows already read, and ones
// sorting just after the last row read or among older rows. Every original
// row is seen exactly once, and the walk reads exactly the rows that sort
// after its position when they appear.
func TestWalkWhileInserting(t *testing.T) {
	for _, f := range []struct {
		name   string
		params []string
	}{{"none", nil}, {"status=completed", []string{"status", "completed"}}} {
		t.Run(f.name, func(t *testing.T) {
			env := apitest.Start(t)
			tn := newTenant(t, env, "Acme", false)
			base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			a := tn.agent(t, "A", base)
			rng := rand.New(rand.NewPCG(5, 8))
			var builders []*ent.ConversationCreate
			for i := range 80 {
				at := base.Add(time.Duration(rng.IntN(30))*time.Second + time.Duration(rng.IntN(2))*250*time.Millisecond)
				builders = append(builders, tn.newConversation(a.ID, allStatuses[i%5], at))
			}
			original := saveConversations(t, env, builders)
			matches := func(c *ent.Conversation) bool {
				return len(f.params) == 0 || c.Status == conversation.StatusCompleted
			}
			rows := map[string]*ent.Conversation{}
			for _, c := range original {
				rows[c.ID.String()] = c
			}
			// less reports whether a sorts after b in the list (is older).
			less := func(a, b *ent.Conversation) bool {
				if !a.CreatedAt.Equal(b.CreatedAt) {
					return a.CreatedAt.Before(b.CreatedAt)
				}
				return strings.Compare(a.ID.String(), b.ID.String()) < 0
			}
			newest := base.Add(time.Hour)
			var lastSeen *ent.Conversation
			var ahead []*ent.Conversation // inserted rows the walk must still reach
			insert := func(p listPage) {
				if p.next == "" {
					return // the walk ends here
				}
				lastSeen = rows[p.ids[len(p.ids)-1]]
				firstSeen := rows[p.ids[0]]
				newest = newest.Add(time.Second)
				// Sorting after the last row read: same instant, smaller ID.
				small := gid.New(gid.Conversation)
				copy(small[0:6], make([]byte, 6))
				var bs []*ent.ConversationCreate
				for _, status := range []conversation.Status{conversation.StatusCompleted, conversation.StatusPending} {
					bs = append(bs,
						tn.newConversation(a.ID, status, newest),                                                       // newer than everything
						tn.newConversation(a.ID, status, firstSeen.CreatedAt),                                          // tied with a row read (larger ID: before it)
						tn.newConversation(a.ID, status, lastSeen.CreatedAt),                                           // tied with the last row read, larger ID
						tn.newConversation(a.ID, status, base.Add(-time.Minute-time.Duration(len(ahead))*time.Second)), // older than everything
					)
				}
				bs = append(bs, tn.newConversation(a.ID, conversation.StatusCompleted, lastSeen.CreatedAt).SetID(small))
				for _, c := range saveConversations(t, env, bs) {
					rows[c.ID.String()] = c
					if matches(c) && less(c, lastSeen) {
						ahead = append(ahead, c)
					}
				}
			}
			pages := walkForward(t, env, tn.key, conversationsPath, f.params, 7, 200, insert)
			got := concat(pages)

			var want []*ent.Conversation
			for _, c := range original {
				if matches(c) {
					want = append(want, c)
				}
			}
			want = append(want, ahead...)
			if wantIDs := ids(newestFirst(want)); !reflect.DeepEqual(got, wantIDs) {
				t.Fatalf("walk while inserting saw %d rows, want %d\n got: %v\nwant: %v", len(got), len(wantIDs), got, wantIDs)
			}
			seen := map[string]int{}
			for _, id := range got {
				seen[id]++
			}
			for _, c := range original {
				if matches(c) && seen[c.ID.String()] != 1 {
					t.Errorf("original row %s seen %d times", c.ID, seen[c.ID.String()])
				}
			}
			var reached int
			for _, c := range ahead {
				if c.ID[0] == 0 && c.ID[1] == 0 {
					reached++
				}
			}
			if reached == 0 || len(ahead) <= reached {
				t.Fatalf("fixture: want inserted rows both tied just after the cursor (%d) and older (%d)", reached, len(ahead)-reached)
			}
		})
	}
}

// TestAgentWalk pages through agents with tied creation times.
func TestAgentWalk(t *testing.T) {
	env := apitest.Start(t)
	tn := newTenant(t, env, "Acme", false)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type row struct {
		id string
		at time.Time
	}
	var rows []row
	for i := range 11 {
		a := tn.agent(t, fmt.Sprintf("Agent %d", i), base.Add(time.Duration(i%4)*time.Second))
		rows = append(rows, row{a.ID.String(), a.CreatedAt})
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	var want []string
	for _, r := range rows {
		want = append(want, r.id)
	}
	for _, limit := range []int{1, 3, 11, 20} {
		pages := walkForward(t, env, tn.key, agentsPath, nil, limit, 20, func(p listPage) { agentList(t, "body", p.body) })
		if got := concat(pages); !reflect.DeepEqual(got, want) {
			t.Fatalf("limit %d: agents %v, want %v", limit, got, want)
		}
		back := walkBack(t, env, tn.key, agentsPath, nil, limit, 20, pages[len(pages)-1])
		if len(back) != len(pages)-1 {
			t.Fatalf("limit %d: backward walk took %d pages, want %d", limit, len(back), len(pages)-1)
		}
		for j, p := range back {
			if i := len(pages) - 2 - j; !reflect.DeepEqual(p.ids, pages[i].ids) || p.hasMore != (i > 0) {
				t.Errorf("limit %d: backward page %d = %v (has_more %v), want %v", limit, j, p.ids, p.hasMore, pages[i].ids)
			}
		}
	}
}

// TestPagingInOtherTimeZones runs the paging tests again in a process whose
// local time zone is not UTC (a developer's machine, a server configured
// with TZ): pages must not depend on the server's zone.
func TestPagingInOtherTimeZones(t *testing.T) {
	for _, tz := range []string{"America/New_York", "Asia/Tokyo"} {
		t.Run(tz, func(t *testing.T) {
			if _, err := time.LoadLocation(tz); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^(TestWalk|TestAgentWalk|TestCursorsAreGraphQLCursors)$", "-test.count=1")
			cmd.Env = append(os.Environ(), "TZ="+tz)
			out, err := cmd.CombinedOutput()
			// entgql decodes a cursor's time in the local zone and SQLite
			// compares times as text, so cursor times must reach SQL in UTC
			// (the pager's normalizeCursor): before that, the page after the
			// first was empty west of UTC and repeated forever east of it.
			if err != nil {
				t.Errorf("with TZ=%s the paging tests fail (%v):\n%s", tz, err, failures(out))
			}
		})
	}
}

// failures picks the failure lines out of a test binary's output.
func failures(out []byte) string {
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 0; sc.Scan() && n < 30; {
		line := sc.Text()
		if strings.Contains(line, "FAIL") || strings.Contains(line, "_test.go:") {
			if len(line) > 240 {
				line = line[:240] + "..."
			}
			b.WriteString(line + "\n")
			n++
		}
	}
	return b.String()
}
