package testenv

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"
)

// Explain returns the plan the database chooses for query with args, one
// line per plan node. On SQLite it is the detail column of EXPLAIN QUERY
// PLAN. On PostgreSQL, whose planner rightly prefers sequential scans and
// sorts for a test's tiny tables, it is EXPLAIN with both priced out (in a
// transaction that is rolled back): a Seq Scan or Sort left in the plan is
// one that no index could avoid.
func (e *Env) Explain(ctx context.Context, query string, args ...any) ([]string, error) {
	if e.DB.Dialect != dialect.Postgres {
		rows, err := e.DB.SQL.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			return nil, fmt.Errorf("explaining: %w", err)
		}
		return planLines(rows, func(rows *sql.Rows) (string, error) {
			var id, parent, notused int
			var detail string
			err := rows.Scan(&id, &parent, &notused, &detail)
			return detail, err
		})
	}
	tx, err := e.DB.SQL.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("explaining: %w", err)
	}
	defer tx.Rollback()
	for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off", "SET LOCAL jit = off"} {
		if _, err := tx.ExecContext(ctx, set); err != nil {
			return nil, fmt.Errorf("explaining: %w", err)
		}
	}
	rows, err := tx.QueryContext(ctx, "EXPLAIN "+query, args...)
	if err != nil {
		return nil, fmt.Errorf("explaining: %w", err)
	}
	return planLines(rows, func(rows *sql.Rows) (string, error) {
		var line string
		err := rows.Scan(&line)
		return line, err
	})
}

func planLines(rows *sql.Rows, scan func(*sql.Rows) (string, error)) ([]string, error) {
	defer rows.Close()
	var plan []string
	for rows.Next() {
		line, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("reading the plan: %w", err)
		}
		plan = append(plan, line)
	}
	return plan, rows.Err()
}
