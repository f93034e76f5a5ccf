package budget

import (
	"context"
	"database/sql"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Driver wraps an ent driver so that every statement, row and string read
// through it, inside transactions too, is charged to the budget of the
// statement's context. A statement over budget is not sent; a row over
// budget ends the read with the budget's error.
func Driver(drv dialect.Driver) dialect.Driver { return &chargedDriver{Driver: drv} }

type chargedDriver struct{ dialect.Driver }

func (d *chargedDriver) Exec(ctx context.Context, query string, args, v any) error {
	if err := FromContext(ctx).Statement(); err != nil {
		return err
	}
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *chargedDriver) Query(ctx context.Context, query string, args, v any) error {
	return chargedQuery(ctx, d.Driver, query, args, v)
}

func (d *chargedDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	t, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &chargedTx{Tx: t}, nil
}

type chargedTx struct{ dialect.Tx }

func (t *chargedTx) Exec(ctx context.Context, query string, args, v any) error {
	if err := FromContext(ctx).Statement(); err != nil {
		return err
	}
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *chargedTx) Query(ctx context.Context, query string, args, v any) error {
	return chargedQuery(ctx, t.Tx, query, args, v)
}

func chargedQuery(ctx context.Context, q dialect.ExecQuerier, query string, args, v any) error {
	b := FromContext(ctx)
	if err := b.Statement(); err != nil {
		return err
	}
	if err := q.Query(ctx, query, args, v); err != nil {
		return err
	}
	if rows, ok := v.(*entsql.Rows); ok && b != nil {
		rows.ColumnScanner = &chargedRows{ColumnScanner: rows.ColumnScanner, budget: b}
	}
	return nil
}

// chargedRows charges each row as it is read, and the text it carries as
// it is scanned.
type chargedRows struct {
	entsql.ColumnScanner
	budget *Budget
	err    error
}

func (r *chargedRows) Next() bool {
	if r.err != nil || !r.ColumnScanner.Next() {
		return false
	}
	if err := r.budget.Row(); err != nil {
		r.err = err
		return false
	}
	return true
}

func (r *chargedRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.ColumnScanner.Err()
}

func (r *chargedRows) Scan(dest ...any) error {
	if err := r.ColumnScanner.Scan(dest...); err != nil {
		return err
	}
	var n int64
	for _, d := range dest {
		switch v := d.(type) {
		case *sql.NullString:
			n += int64(len(v.String))
		case *string:
			n += int64(len(*v))
		case *[]byte:
			n += int64(len(*v))
		case *sql.RawBytes:
			n += int64(len(*v))
		}
	}
	if err := r.budget.Bytes(n); err != nil {
		r.err = err
		return err
	}
	return nil
}
