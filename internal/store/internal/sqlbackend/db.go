package sqlbackend

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/vigil-oncall/vigil/internal/store"
)

// The statements of both backends are written once, here, with numbered
// parameters ($1, $2, …): PostgreSQL's own syntax, which SQLite reads as
// parameters bound by their number. What the two databases spell
// differently goes through a Dialect; what a backend does its own way for
// speed (appending to the inbox, storing a batch of SLO points) stays in
// its package.

// Conn runs statements: a backend's pool, or one of its transactions.
// Instants are passed as time.Time; the backend stores them its own way.
type Conn interface {
	// Exec runs a statement and reports how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query for one row; Scan reports sql.ErrNoRows (or an
	// error wrapping it) when there is none.
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Insert runs an INSERT of one row ending in RETURNING id and returns
	// the id, or 0 when it inserted nothing (ON CONFLICT DO NOTHING).
	Insert(ctx context.Context, query string, args ...any) (int64, error)
	// Batch runs statements in order, in one round trip where the database
	// allows it, and on error reports the index of the statement that
	// failed. With ids not nil, every statement is an Insert, and sets
	// ids[i].
	Batch(ctx context.Context, stmts []Stmt, ids []int64) (failed int, err error)
}

// Rows is the result of Query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is the result of QueryRow.
type Row interface {
	Scan(dest ...any) error
}

// Stmt is one statement of a Batch.
type Stmt struct {
	SQL  string
	Args []any
}

// TimeLayout is how SQLite keeps an instant: fixed-width UTC text, which
// sorts in time order and keeps the microseconds PostgreSQL keeps.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// instant scans a stored instant: PostgreSQL's arrives as a time.Time,
// SQLite's as text in TimeLayout. It reads NULL as the zero time.
type instant struct{ t *time.Time }

func (d instant) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d.t = v.UTC()
	case string:
		return parseInstant(d.t, v)
	case []byte:
		return parseInstant(d.t, string(v))
	case nil:
		*d.t = time.Time{}
	default:
		return fmt.Errorf("stored time: unexpected %T", src)
	}
	return nil
}

func parseInstant(t *time.Time, s string) error {
	parsed, err := time.Parse(TimeLayout, s)
	if err != nil {
		return fmt.Errorf("stored time %q: %w", s, err)
	}
	*t = parsed
	return nil
}

// ScanTimestamptz is pgx's own way to scan PostgreSQL's instant, which
// spares the boxing of database/sql's.
func (d instant) ScanTimestamptz(v pgtype.Timestamptz) error {
	if v.InfinityModifier != pgtype.Finite {
		return errors.New("stored time is infinite")
	}
	*d.t = time.Time{}
	if v.Valid {
		*d.t = v.Time.UTC()
	}
	return nil
}

// nullInstant scans a stored instant that may be NULL.
type nullInstant struct{ t **time.Time }

func (d nullInstant) Scan(src any) error {
	if src == nil {
		*d.t = nil
		return nil
	}
	var t time.Time
	if err := (instant{&t}).Scan(src); err != nil {
		return err
	}
	*d.t = &t
	return nil
}

func (d nullInstant) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid {
		*d.t = nil
		return nil
	}
	var t time.Time
	if err := (instant{&t}).ScanTimestamptz(v); err != nil {
		return err
	}
	*d.t = &t
	return nil
}

var (
	_ sql.Scanner               = instant{}
	_ sql.Scanner               = nullInstant{}
	_ pgtype.TimestamptzScanner = instant{}
	_ pgtype.TimestamptzScanner = nullInstant{}
)

// queryAll runs a query and scans every row it returns.
func queryAll[T any](ctx context.Context, c Conn, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// byID runs a query for the row with an id ($1), described by what, and
// scans it; store.ErrNotFound when there is none.
func byID[T any](ctx context.Context, c Conn, scan func(Row) (T, error), what, query string, id int64) (T, error) {
	v, err := scan(c.QueryRow(ctx, query, id))
	return v, oneRow(err, "%s %d", what, id)
}

// QueryIDs runs an INSERT … RETURNING id of many rows and returns the
// ids in increasing order, which is the order the rows were given in.
func QueryIDs(ctx context.Context, c Conn, query string, args ...any) ([]int64, error) {
	ids, err := queryAll(ctx, c, func(row Row) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, query, args...)
	slices.Sort(ids)
	return ids, err
}

// oneRow describes the error of a query for one row (nil for none):
// store.ErrNotFound when it found no row.
func oneRow(err error, format string, args ...any) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		err = store.ErrNotFound
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// affectedOne turns an UPDATE or DELETE that matched no row into
// store.ErrNotFound.
func affectedOne(rows int64, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if rows == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

func nullJSON(doc []byte) any {
	if len(doc) == 0 {
		return nil
	}
	return string(doc)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return UTC(*t)
}
