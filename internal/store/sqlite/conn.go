package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// querier is a pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs the shared statements on a pool or a transaction. Each
// connection keeps them prepared (stmtcache.go), across transactions too.
type conn struct{ q querier }

var _ sqlbackend.Conn = conn{}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlbackend.Rows, error) {
	rows, err := c.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlbackend.Row {
	return c.q.QueryRowContext(ctx, query, args...)
}

// Insert runs the INSERT without its RETURNING clause and reads the id
// SQLite gave the row, which costs less than reading a row back.
func (c conn) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	query, ok := strings.CutSuffix(query, "RETURNING id")
	if !ok {
		return 0, fmt.Errorf("insert: %q does not end in RETURNING id", query)
	}
	res, err := c.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, err // nothing inserted (ON CONFLICT DO NOTHING)
	}
	return res.LastInsertId()
}

// Batch runs the statements one by one: they are prepared already and
// nothing travels over a network.
func (c conn) Batch(ctx context.Context, stmts []sqlbackend.Stmt, ids []int64) (int, error) {
	for i, st := range stmts {
		var err error
		if ids == nil {
			_, err = c.q.ExecContext(ctx, st.SQL, st.Args...)
		} else {
			ids[i], err = c.Insert(ctx, st.SQL, st.Args...)
		}
		if err != nil {
			return i, err
		}
	}
	return 0, nil
}

// rowsChunk is how many rows one INSERT statement of insertRows appends:
// at five parameters a row it stays far below SQLite's limit of 32766
// parameters.
const rowsChunk = 512

// insertRows appends n rows of width columns with multi-row INSERT
// statements (insert names the table and columns; add appends the values
// of row i to args) and returns their ids, in order.
func (c conn) insertRows(ctx context.Context, insert string, width, n int, add func(args []any, i int) []any) ([]int64, error) {
	ids := make([]int64, n)
	values := "(?" + strings.Repeat(", ?", width-1) + ")"
	for start := 0; start < n; start += rowsChunk {
		end := min(start+rowsChunk, n)
		args := make([]any, 0, width*(end-start))
		for i := start; i < end; i++ {
			args = add(args, i)
		}
		res, err := c.q.ExecContext(ctx, insert+" VALUES "+values+strings.Repeat(", "+values, end-start-1), args...)
		if err != nil {
			return nil, err
		}
		last, err := res.LastInsertId()
		if err != nil {
			return nil, err
		}
		// One statement on the only writer: its rows took consecutive
		// ids, in the order of its VALUES.
		for i := start; i < end; i++ {
			ids[i] = last - int64(end-1-i)
		}
	}
	return ids, nil
}

// sqlRows is a query's rows, closed without an error to report: Err
// reports what went wrong while reading them.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }
