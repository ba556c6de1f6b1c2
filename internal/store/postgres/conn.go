package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// querier is the pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// conn runs the shared statements on the pool or a transaction.
type conn struct{ q querier }

var _ sqlbackend.Conn = conn{}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlbackend.Rows, error) {
	return c.q.Query(ctx, query, args...)
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlbackend.Row {
	return c.q.QueryRow(ctx, query, args...)
}

func (c conn) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := c.q.QueryRow(ctx, query, args...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// Batch sends the statements in one round trip.
func (c conn) Batch(ctx context.Context, stmts []sqlbackend.Stmt, ids []int64) (int, error) {
	if len(stmts) == 0 {
		return 0, nil
	}
	var batch pgx.Batch
	for _, st := range stmts {
		batch.Queue(st.SQL, st.Args...)
	}
	results := c.q.SendBatch(ctx, &batch)
	for i := range stmts {
		var err error
		if ids == nil {
			_, err = results.Exec()
		} else if err = results.QueryRow().Scan(&ids[i]); errors.Is(err, pgx.ErrNoRows) {
			ids[i], err = 0, nil
		}
		if err != nil {
			return i, errors.Join(err, results.Close())
		}
	}
	if err := results.Close(); err != nil {
		return len(stmts) - 1, fmt.Errorf("batch: %w", err)
	}
	return 0, nil
}
