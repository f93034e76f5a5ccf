package graph

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones must resolve on hosts without a zoneinfo database

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/parleyhq/parley/ent"
	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/ent/message"
	"github.com/parleyhq/parley/graph/model"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/dbtime"
	"github.com/parleyhq/parley/internal/viewer"
)

// MaxStatsBuckets bounds the time buckets of one conversationStats query,
// so that its answer and the work of filling empty buckets stay small.
const MaxStatsBuckets = 1000

// defaultBuckets is the window of groupBy TIME when where does not bound
// createdAt: the last N whole buckets, the current one included.
var defaultBuckets = map[model.StatsInterval]int{
	model.StatsIntervalHour: 24,
	model.StatsIntervalDay:  30,
	model.StatsIntervalWeek: 12,
}

// statsQuery is one validated conversationStats request.
type statsQuery struct {
	where    *ent.ConversationWhereInput
	groupBy  *model.ConversationStatsGroupBy
	interval model.StatsInterval
	zone     string
	loc      *time.Location
	// With groupBy TIME: the window [from, to) and its bucket starts.
	from, to time.Time
	buckets  []time.Time
}

func newStatsQuery(where *ent.ConversationWhereInput, groupBy *model.ConversationStatsGroupBy, interval *model.StatsInterval, timeZone *string, now time.Time) (*statsQuery, error) {
	q := &statsQuery{where: where, groupBy: groupBy, zone: "UTC", loc: time.UTC}
	if timeZone != nil {
		// "Local" would be the server's zone, and "" is UTC to Go but no
		// IANA name; neither means the same on every server.
		if *timeZone == "" || *timeZone == "Local" || len(*timeZone) > 64 {
			return nil, apperr.Invalidf("timeZone: %q is not an IANA time zone name such as Europe/Berlin", *timeZone)
		}
		loc, err := time.LoadLocation(*timeZone)
		if err != nil {
			return nil, apperr.Invalidf("timeZone: %q is not an IANA time zone name such as Europe/Berlin", *timeZone)
		}
		q.zone, q.loc = *timeZone, loc
	}
	isTime := groupBy != nil && *groupBy == model.ConversationStatsGroupByTime
	if interval != nil && !isTime {
		return nil, apperr.Invalidf("interval: applies only with groupBy: TIME")
	}
	if !isTime {
		return q, nil
	}
	q.interval = model.StatsIntervalDay
	if interval != nil {
		q.interval = *interval
	}
	if err := q.window(now); err != nil {
		return nil, err
	}
	return q, nil
}

// window sets the counted window and its buckets from where's bounds on
// createdAt, or the default number of buckets up to now.
func (q *statsQuery) window(now time.Time) error {
	var from, to *time.Time
	if w := q.where; w != nil {
		// The tighter of each pair of bounds; dbtime.Precision turns an
		// exclusive lower or inclusive upper bound into [from, to).
		for _, t := range []*time.Time{w.CreatedAtGTE, plus(w.CreatedAtGT)} {
			if t != nil && (from == nil || t.After(*from)) {
				from = t
			}
		}
		for _, t := range []*time.Time{w.CreatedAtLT, plus(w.CreatedAtLTE)} {
			if t != nil && (to == nil || t.Before(*to)) {
				to = t
			}
		}
	}
	n := defaultBuckets[q.interval]
	switch {
	case from == nil && to == nil:
		end := q.next(q.floor(now))
		start := q.floor(now)
		for range n - 1 {
			start = q.prev(start)
		}
		from, to = &start, &end
	case from == nil:
		start := q.floor(to.Add(-dbtime.Precision))
		for range n - 1 {
			start = q.prev(start)
		}
		from = &start
	case to == nil:
		end := q.next(q.floor(now))
		to = &end
	}
	q.from, q.to = dbtime.Of(*from), dbtime.Of(*to)
	if !q.from.Before(q.to) {
		return apperr.Invalidf("where: the createdAt window from %s to %s is empty", q.from.Format(time.RFC3339Nano), q.to.Format(time.RFC3339Nano))
	}
	for b := q.floor(q.from); b.Before(q.to); b = q.next(b) {
		if len(q.buckets) == MaxStatsBuckets {
			return apperr.Invalidf("groupBy: TIME: the window from %s to %s holds more than %d %s buckets; narrow where.createdAtGTE/createdAtLT or use a longer interval",
				q.from.Format(time.RFC3339), q.to.Format(time.RFC3339), MaxStatsBuckets, strings.ToLower(string(q.interval)))
		}
		q.buckets = append(q.buckets, b)
	}
	return nil
}

func plus(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.Add(dbtime.Precision)
	return &u
}

// floor is the start of the bucket holding t, in the query's zone.
func (q *statsQuery) floor(t time.Time) time.Time {
	l := t.In(q.loc)
	switch q.interval {
	case model.StatsIntervalHour:
		// Subtracting the local minutes keeps zones with half-hour offsets
		// right, and stays exact in the repeated hour of a DST change.
		return t.Add(-time.Duration(l.Minute())*time.Minute - time.Duration(l.Second())*time.Second - time.Duration(l.Nanosecond()))
	case model.StatsIntervalWeek:
		back := (int(l.Weekday()) + 6) % 7 // days since Monday
		return time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, q.loc)
	default:
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, q.loc)
	}
}

func (q *statsQuery) next(b time.Time) time.Time { return q.step(b, 1) }
func (q *statsQuery) prev(b time.Time) time.Time { return q.step(b, -1) }

func (q *statsQuery) step(b time.Time, n int) time.Time {
	l := b.In(q.loc)
	switch q.interval {
	case model.StatsIntervalHour:
		return b.Add(time.Duration(n) * time.Hour)
	case model.StatsIntervalWeek:
		return time.Date(l.Year(), l.Month(), l.Day()+7*n, 0, 0, 0, 0, q.loc)
	default:
		return time.Date(l.Year(), l.Month(), l.Day()+n, 0, 0, 0, 0, q.loc)
	}
}

// bucketKey is the text the key expression of bucketExpr gives for the
// bucket starting at b.
func (q *statsQuery) bucketKey(d string, b time.Time) string {
	if d == dialect.Postgres {
		return b.UTC().Format("2006-01-02T15:04:05Z")
	}
	l := b.In(q.loc)
	if q.interval == model.StatsIntervalHour {
		// A local hour repeats when clocks go back; the offset tells the
		// two apart.
		_, off := l.Zone()
		return fmt.Sprintf("%s %d", l.Format("2006-01-02 15"), off)
	}
	return l.Format("2006-01-02")
}

// keyExpr is the SQL expression of a conversation's group key. On
// PostgreSQL it is the raw value (a uuid, an instant), which sorts and
// groups faster than its text; keyText turns it into text once per group.
func (q *statsQuery) keyExpr(d string) sql.Querier {
	switch {
	case q.groupBy == nil:
		return sql.Raw("''")
	case *q.groupBy == model.ConversationStatsGroupByAgent && d == dialect.Postgres:
		return sql.Raw(`"agent_id"`)
	case *q.groupBy == model.ConversationStatsGroupByAgent:
		return sql.Raw(`CAST("agent_id" AS TEXT)`)
	case *q.groupBy == model.ConversationStatsGroupByStatus:
		return sql.Raw(`"status"`)
	}
	if d == dialect.Postgres {
		// PostgreSQL truncates in the zone itself (DST included) and
		// gives the bucket's start as an instant.
		unit := strings.ToLower(string(q.interval))
		return sql.ExprFunc(func(b *sql.Builder) {
			b.WriteString(`date_trunc('` + unit + `', "created_at", `).Arg(q.zone).WriteString(`)`)
		})
	}
	// SQLite knows no time zones: the local time is the UTC time plus the
	// zone's offset, which changes only at the few transitions within the
	// window, so a CASE over them (from Go's zone database) gives it.
	return sql.ExprFunc(func(b *sql.Builder) {
		local := func() {
			b.WriteString(`unixepoch("created_at") + `)
			q.offsetCase(b)
			b.WriteString(`, 'unixepoch'`)
		}
		switch q.interval {
		case model.StatsIntervalHour:
			b.WriteString(`strftime('%Y-%m-%d %H', `)
			local()
			b.WriteString(`) || ' ' || (`)
			q.offsetCase(b)
			b.WriteString(`)`)
		case model.StatsIntervalWeek:
			b.WriteString(`date(`)
			local()
			b.WriteString(`, '-6 days', 'weekday 1')`)
		default:
			b.WriteString(`date(`)
			local()
			b.WriteString(`)`)
		}
	})
}

// keyText is the group key column k of the inner query as text, the key
// that bucketKey and assemble expect.
func (q *statsQuery) keyText(d, k string) string {
	if d != dialect.Postgres || q.groupBy == nil {
		return k
	}
	switch *q.groupBy {
	case model.ConversationStatsGroupByAgent:
		return `CAST(` + k + ` AS TEXT)`
	case model.ConversationStatsGroupByTime:
		return `to_char(` + k + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
	}
	return k
}

// offsetCase writes the zone's UTC offset in seconds at created_at, for
// rows within the window.
func (q *statsQuery) offsetCase(b *sql.Builder) {
	type segment struct {
		end time.Time // zero for the last
		off int
	}
	var segs []segment
	for t := q.from; len(segs) < 10_000; {
		_, off := t.In(q.loc).Zone()
		_, end := t.In(q.loc).ZoneBounds()
		if end.IsZero() || !end.Before(q.to) {
			segs = append(segs, segment{off: off})
			break
		}
		segs = append(segs, segment{end, off})
		t = end
	}
	if len(segs) == 1 {
		b.WriteString(fmt.Sprintf("%d", segs[0].off))
		return
	}
	b.WriteString("(CASE")
	for _, sg := range segs[:len(segs)-1] {
		b.WriteString(` WHEN "created_at" < `).Arg(sg.end.UTC()).WriteString(fmt.Sprintf(" THEN %d", sg.off))
	}
	b.WriteString(fmt.Sprintf(" ELSE %d END)", segs[len(segs)-1].off))
}

// statsRow is one group of the conversations statement.
type statsRow struct {
	Key        string          `sql:"k"`
	Count      int64           `sql:"n"`
	Pending    int64           `sql:"pending"`
	InProgress int64           `sql:"in_progress"`
	Completed  int64           `sql:"completed"`
	Abandoned  int64           `sql:"abandoned"`
	Archived   int64           `sql:"archived"`
	DurCount   int64           `sql:"dur_n"`
	DurAvg     sql.NullFloat64 `sql:"dur_avg"`
	DurP50     sql.NullFloat64 `sql:"dur_p50"`
	DurP90     sql.NullFloat64 `sql:"dur_p90"`
	TurnAvg    sql.NullFloat64 `sql:"turn_avg"`
	TurnP50    sql.NullFloat64 `sql:"turn_p50"`
	TurnP90    sql.NullFloat64 `sql:"turn_p90"`
	// The message counters' sums, over the conversations that have them,
	// and the number that have not (whose messages the messages statement
	// counts); zero when messages are not selected.
	Users      int64 `sql:"m_user"`
	Assistants int64 `sql:"m_assistant"`
	Systems    int64 `sql:"m_system"`
	Voices     int64 `sql:"m_voice"`
	Uncounted  int64 `sql:"m_uncounted"`
}

// messageRow is one (group, role, modality) of the messages statement.
type messageRow struct {
	Key      string `sql:"k"`
	Role     string `sql:"role"`
	Modality string `sql:"modality"`
	Count    int64  `sql:"n"`
}

// durationExpr is a completed conversation's duration in milliseconds.
func durationExpr(d string) string {
	if d == dialect.Postgres {
		// date_part, not EXTRACT: EXTRACT gives numeric, whose arithmetic,
		// average and cast for percentile_cont cost a third of the
		// statement at 100,000 rows; a double keeps any real duration to
		// far below a microsecond.
		return `CASE WHEN "status" = 'completed' THEN date_part('epoch', "completed_at" - "started_at") * 1000 END`
	}
	return `CASE WHEN "status" = 'completed' THEN (unixepoch("completed_at", 'subsec') - unixepoch("started_at", 'subsec')) * 1000 END`
}

const statusCounts = `count(CASE WHEN "status" = 'pending' THEN 1 END) AS "pending", ` +
	`count(CASE WHEN "status" = 'in_progress' THEN 1 END) AS "in_progress", ` +
	`count(CASE WHEN "status" = 'completed' THEN 1 END) AS "completed", ` +
	`count(CASE WHEN "status" = 'abandoned' THEN 1 END) AS "abandoned", ` +
	`count(CASE WHEN "status" = 'archived' THEN 1 END) AS "archived"`

// percentile is the continuous percentile p of column v over a window
// where rn numbers the group's non-null values in ascending order and n
// counts them: percentile_cont's linear interpolation between the values
// at 0-based positions floor(p*(n-1)) and the one after, for SQLite,
// which has no percentile function.
func percentile(v, rn, n string, p float64) string {
	lo := fmt.Sprintf("CAST(%g * (%s - 1) AS INTEGER)", p, n)
	frac := fmt.Sprintf("(%g * (%s - 1) - %s)", p, n, lo)
	return fmt.Sprintf("sum(CASE WHEN %[1]s IS NULL THEN NULL WHEN %[2]s - 1 = %[3]s THEN %[1]s * (1 - %[4]s) WHEN %[2]s - 2 = %[3]s THEN %[1]s * %[4]s END)", v, rn, lo, frac)
}

// counted is true for a conversation whose message counters are kept (see
// internal/conversations/counters.go): their sum is NULL when any of them
// is. They are set together, but a row written around that package may
// have any of them NULL.
const counted = `("user_messages" + "assistant_messages" + "system_messages" + "voice_messages") IS NOT NULL`

// counterColumns are the inner query's message counters, NULL for every
// conversation that is not counted.
var counterColumns = []string{"user_messages", "assistant_messages", "system_messages", "voice_messages"}

// conversationAggregate turns the conversations query, with its where and
// tenancy predicates already applied, into one grouped statement: the
// predicates move into a subquery that computes each row's group key and
// duration, and the outer query aggregates it. ent applies aggregate
// functions after the predicates, which is why this is one and not a
// Modify (modifiers run before them).
//
// With messages, it also sums the conversations' message counters and
// counts the conversations without them.
func (q *statsQuery) conversationAggregate(dialectName *string, withMessages bool) ent.AggregateFunc {
	return func(s *sql.Selector) string {
		d := s.Dialect()
		*dialectName = d
		inner := sql.Dialect(d).Select().From(sql.Table(conversation.Table)).FromSelect(s)
		innerCols := []sql.Querier{
			sql.ExprFunc(func(b *sql.Builder) { b.Join(q.keyExpr(d)).WriteString(` AS "k"`) }),
			sql.Raw(`"status"`), sql.Raw(`"turn_count"`),
			sql.Raw(durationExpr(d) + ` AS "dur"`),
		}
		passed := "" // the inner query's extra columns, for SQLite's ranked query
		// GROUP BY "k" names the inner column, which the outer "k" formats.
		cols := []string{q.keyText(d, `"k"`) + ` AS "k"`, `count(*) AS "n"`, statusCounts,
			`count("dur") AS "dur_n"`,
			`CAST(avg("dur") AS DOUBLE PRECISION) AS "dur_avg"`,
			`CAST(avg("turn_count") AS DOUBLE PRECISION) AS "turn_avg"`}
		if withMessages {
			for _, c := range counterColumns {
				innerCols = append(innerCols, sql.Raw(`CASE WHEN `+counted+` THEN "`+c+`" END AS "`+c+`"`))
				passed += `, "` + c + `"`
			}
			// COALESCE: sum is NULL over no rows, and the row's fields are
			// integers. The uncounted rows are those whose counters the
			// inner query made NULL.
			cols = append(cols,
				`COALESCE(sum("user_messages"), 0) AS "m_user"`,
				`COALESCE(sum("assistant_messages"), 0) AS "m_assistant"`,
				`COALESCE(sum("system_messages"), 0) AS "m_system"`,
				`COALESCE(sum("voice_messages"), 0) AS "m_voice"`,
				`count(*) - count("user_messages") AS "m_uncounted"`)
		} else {
			cols = append(cols, `0 AS "m_user"`, `0 AS "m_assistant"`, `0 AS "m_system"`, `0 AS "m_voice"`, `0 AS "m_uncounted"`)
		}
		inner.SelectExpr(innerCols...)
		s.SetP(nil)
		if d == dialect.Postgres {
			s.From(inner.As("c"))
			cols = append(cols,
				`percentile_cont(0.5) WITHIN GROUP (ORDER BY "dur") AS "dur_p50"`,
				`percentile_cont(0.9) WITHIN GROUP (ORDER BY "dur") AS "dur_p90"`,
				`percentile_cont(0.5) WITHIN GROUP (ORDER BY "turn_count") AS "turn_p50"`,
				`percentile_cont(0.9) WITHIN GROUP (ORDER BY "turn_count") AS "turn_p90"`)
		} else {
			ranked := sql.Dialect(d).Select().From(inner.As("c"))
			ranked.SelectExpr(sql.Raw(`"k", "status", "turn_count", "dur"` + passed + `, ` +
				`ROW_NUMBER() OVER (PARTITION BY "k" ORDER BY "dur" IS NULL, "dur") AS "rd", ` +
				`count("dur") OVER (PARTITION BY "k") AS "nd", ` +
				`ROW_NUMBER() OVER (PARTITION BY "k" ORDER BY "turn_count") AS "rt", ` +
				`count(*) OVER (PARTITION BY "k") AS "nt"`))
			s.From(ranked.As("r"))
			cols = append(cols,
				percentile(`"dur"`, `"rd"`, `"nd"`, 0.5)+` AS "dur_p50"`,
				percentile(`"dur"`, `"rd"`, `"nd"`, 0.9)+` AS "dur_p90"`,
				percentile(`"turn_count"`, `"rt"`, `"nt"`, 0.5)+` AS "turn_p50"`,
				percentile(`"turn_count"`, `"rt"`, `"nt"`, 0.9)+` AS "turn_p90"`)
		}
		s.GroupBy("k")
		return strings.Join(cols, ", ")
	}
}

// messageAggregate is conversationAggregate for message counts: the
// matching conversations' keys joined to their messages, grouped by key,
// role and modality. It is sent only for conversations without message
// counters, which the caller's predicates select. The messages carry the
// viewer's tenant filter too, although a message can only belong to a
// conversation of its own tenant.
func (q *statsQuery) messageAggregate(v viewer.Viewer) ent.AggregateFunc {
	return func(s *sql.Selector) string {
		d := s.Dialect()
		inner := sql.Dialect(d).Select().From(sql.Table(conversation.Table)).FromSelect(s)
		inner.SelectExpr(
			sql.ExprFunc(func(b *sql.Builder) { b.Join(q.keyExpr(d)).WriteString(` AS "k"`) }),
			sql.Raw(`"id"`),
		)
		s.SetP(nil)
		m := sql.Table(message.Table).As("m")
		s.From(inner.As("c")).Join(m).OnP(sql.ExprP(`"c"."id" = "m"."conversation_id"`))
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString(`"m"."organization_id" = `).Arg(v.OrganizationID).WriteString(` AND "m"."livemode" = `).Arg(v.Livemode)
		}))
		s.GroupBy("k", "role", "modality") // c's k; role and modality are only m's
		return q.keyText(d, `"c"."k"`) + ` AS "k", "m"."role" AS "role", "m"."modality" AS "modality", count(*) AS "n"`
	}
}

// conversationStats answers Query.conversationStats with one statement for
// the conversations and, when messages are selected, one for their
// messages, whatever the number of groups.
func conversationStats(ctx context.Context, client *ent.Client, q *statsQuery, withMessages bool) (*model.ConversationStats, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return nil, apperr.New(apperr.Unauthorized, "no API key")
	}
	var d string // the dialect, which the statement's builder knows
	base := func() (*ent.ConversationQuery, error) {
		cq := client.Conversation.Query()
		if q.where != nil {
			p, err := q.where.P()
			if err != nil {
				return nil, apperr.Invalidf("where: %v", err)
			}
			cq.Where(p)
		}
		if q.buckets != nil {
			cq.Where(conversation.CreatedAtGTE(q.from), conversation.CreatedAtLT(q.to))
		}
		return cq, nil
	}
	cq, err := base()
	if err != nil {
		return nil, err
	}
	var rows []statsRow
	if err := cq.Modify().Aggregate(q.conversationAggregate(&d, withMessages)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("conversation stats: %w", err)
	}
	// The counters answer for the counted conversations; only those without
	// them (stored before they existed) need their messages read.
	uncounted := false
	for _, r := range rows {
		uncounted = uncounted || r.Uncounted > 0
	}
	var msgs []messageRow
	if withMessages && uncounted {
		mq, err := base()
		if err != nil {
			return nil, err
		}
		mq.Where(conversation.Or(conversation.UserMessagesIsNil(), conversation.AssistantMessagesIsNil(),
			conversation.SystemMessagesIsNil(), conversation.VoiceMessagesIsNil()))
		if err := mq.Modify().Aggregate(q.messageAggregate(v)).Scan(ctx, &msgs); err != nil {
			return nil, fmt.Errorf("message stats: %w", err)
		}
	}
	return q.assemble(d, rows, msgs)
}

// assemble turns the rows into groups, adding the empty ones: every status,
// every bucket, or the one group of no groupBy.
func (q *statsQuery) assemble(d string, rows []statsRow, msgs []messageRow) (*model.ConversationStats, error) {
	out := &model.ConversationStats{GroupBy: q.groupBy, TimeZone: q.zone, Groups: []*model.ConversationStatsGroup{}}
	byKey := map[string]*model.ConversationStatsGroup{}
	for _, r := range rows {
		byKey[r.Key] = r.group()
	}
	for _, m := range msgs {
		g := byKey[m.Key]
		if g == nil {
			continue // a conversation of the key was counted, so this cannot happen
		}
		g.Messages.Total += int(m.Count)
		switch message.Role(m.Role) {
		case message.RoleUser:
			g.Messages.User += int(m.Count)
		case message.RoleAssistant:
			g.Messages.Assistant += int(m.Count)
		case message.RoleSystem:
			g.Messages.System += int(m.Count)
		}
		switch message.Modality(m.Modality) {
		case message.ModalityVoice:
			g.Messages.Voice += int(m.Count)
		case message.ModalityText:
			g.Messages.Text += int(m.Count)
		}
	}
	take := func(key string) *model.ConversationStatsGroup {
		if g := byKey[key]; g != nil {
			delete(byKey, key)
			return g
		}
		return emptyGroup()
	}
	switch {
	case q.groupBy == nil:
		out.Groups = append(out.Groups, take(""))
	case *q.groupBy == model.ConversationStatsGroupByStatus:
		for _, st := range []conversation.Status{conversation.StatusPending, conversation.StatusInProgress,
			conversation.StatusCompleted, conversation.StatusAbandoned, conversation.StatusArchived} {
			g := take(string(st))
			g.Status = &st
			out.Groups = append(out.Groups, g)
		}
	case *q.groupBy == model.ConversationStatsGroupByAgent:
		for key, g := range byKey {
			id, err := uuid.Parse(key)
			if err != nil {
				return nil, fmt.Errorf("conversation stats: agent key %q: %w", key, err)
			}
			g.AgentID = &id
			out.Groups = append(out.Groups, g)
		}
		slices.SortFunc(out.Groups, func(a, b *model.ConversationStatsGroup) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.AgentID.String(), b.AgentID.String()))
		})
		byKey = nil
	default:
		interval, from, to := q.interval, q.from, q.to
		out.Interval, out.From, out.To = &interval, &from, &to
		for _, b := range q.buckets {
			g := take(q.bucketKey(d, b))
			start, end := b.UTC(), q.next(b).UTC()
			g.Start, g.End = &start, &end
			out.Groups = append(out.Groups, g)
		}
	}
	if len(byKey) > 0 {
		// Every counted row lies in a known group; a leftover key means
		// the SQL and Go disagree on a bucket.
		return nil, fmt.Errorf("conversation stats: %d groups with unexpected keys, e.g. %q", len(byKey), firstKey(byKey))
	}
	return out, nil
}

func firstKey(m map[string]*model.ConversationStatsGroup) string {
	for k := range m {
		return k
	}
	return ""
}

func emptyGroup() *model.ConversationStatsGroup {
	return &model.ConversationStatsGroup{
		ByStatus:   &model.ConversationStatusCounts{},
		DurationMs: &model.Distribution{},
		TurnCount:  &model.Distribution{},
		Messages:   &model.MessageStats{},
	}
}

func (r statsRow) group() *model.ConversationStatsGroup {
	g := emptyGroup()
	g.Count = int(r.Count)
	g.ByStatus = &model.ConversationStatusCounts{
		Pending: int(r.Pending), InProgress: int(r.InProgress), Completed: int(r.Completed),
		Abandoned: int(r.Abandoned), Archived: int(r.Archived),
	}
	if ended := r.Completed + r.Abandoned; ended > 0 {
		rate := float64(r.Completed) / float64(ended)
		g.CompletionRate = &rate
	}
	g.DurationMs = &model.Distribution{Count: int(r.DurCount), Average: ptr(r.DurAvg), Median: ptr(r.DurP50), P90: ptr(r.DurP90)}
	g.TurnCount = &model.Distribution{Count: int(r.Count), Average: ptr(r.TurnAvg), Median: ptr(r.TurnP50), P90: ptr(r.TurnP90)}
	total := int(r.Users + r.Assistants + r.Systems)
	g.Messages = &model.MessageStats{Total: total, User: int(r.Users), Assistant: int(r.Assistants),
		System: int(r.Systems), Voice: int(r.Voices), Text: total - int(r.Voices)}
	return g
}

func ptr(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}

// selectsGroupField reports whether the operation selects name on
// ConversationStats.groups, so that a statement nobody reads is not sent.
func selectsGroupField(ctx context.Context, name string) bool {
	opCtx := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name != "groups" {
			continue
		}
		for _, g := range graphql.CollectFields(opCtx, f.Selections, nil) {
			if g.Name == name {
				return true
			}
		}
	}
	return false
}
