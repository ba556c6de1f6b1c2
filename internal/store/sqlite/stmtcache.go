package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"

	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// maxCachedStmts bounds the statements one connection keeps prepared. The
// store's queries are a fixed set well below it; queries built at run time
// (IN lists of varying length) fill it up and then run unprepared.
const maxCachedStmts = 512

// cachingConnector opens connections that keep their prepared statements.
// The driver parses a query's SQL on every call otherwise, which for the
// store's short statements costs about as much as running them.
type cachingConnector struct {
	driver.Connector
}

func newCachingConnector(dsn string) (driver.Connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return cachingConnector{base}, nil
}

// Connect implements driver.Connector.
func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	full, ok := conn.(fullConn)
	if !ok {
		conn.Close()
		return nil, errors.New("open sqlite: the driver's connection lacks an interface the store needs")
	}
	return &cachingConn{fullConn: full, stmts: map[string]*cachedStmt{}}, nil
}

// fullConn is every optional interface the driver's connections implement,
// which the wrapper must forward (see sqlite.NewConnector).
type fullConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a connection with a statement cache. database/sql uses a
// connection from one goroutine at a time (it holds the connection's lock
// around each call, Rows.Close included), so the cache needs no lock.
type cachingConn struct {
	fullConn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt driver.Stmt
	// busy is set while rows of the statement are open: running it again
	// then would reset their cursor, so a one-off statement runs instead.
	busy bool
}

// CheckNamedValue implements driver.NamedValueChecker: an instant is
// stored as text in sqlbackend.TimeLayout, in UTC and to the microsecond,
// which sorts in time order; other values convert as usual.
func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case time.Time:
		nv.Value = timeText(v)
		return nil
	case *time.Time:
		if v == nil {
			nv.Value = nil
		} else {
			nv.Value = timeText(*v)
		}
		return nil
	}
	return driver.ErrSkip
}

// timeText is an instant as the database keeps it.
func timeText(t time.Time) string { return sqlbackend.UTC(t).Format(sqlbackend.TimeLayout) }

// Unwrap returns the driver's connection.
func (c *cachingConn) Unwrap() driver.Conn { return c.fullConn }

// Close implements driver.Conn.
func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.fullConn.Close())
	return errors.Join(errs...)
}

// prepared returns the cached statement for query, preparing it on first
// use; ok is false when the query should run unprepared (its statement is
// busy, the cache is full, or it does not prepare).
func (c *cachingConn) prepared(ctx context.Context, query string) (*cachedStmt, bool) {
	if s, ok := c.stmts[query]; ok {
		return s, !s.busy
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, false
	}
	stmt, err := c.fullConn.PrepareContext(ctx, positional(query))
	if err != nil {
		// Run it the usual way, which reports the error as it always did.
		return nil, false
	}
	if _, ok := stmt.(interface {
		driver.StmtExecContext
		driver.StmtQueryContext
	}); !ok {
		stmt.Close()
		return nil, false
	}
	s := &cachedStmt{stmt: stmt}
	c.stmts[query] = s
	return s, true
}

// ExecContext implements driver.ExecerContext.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, ok := c.prepared(ctx, query)
	if !ok {
		return c.fullConn.ExecContext(ctx, query, args)
	}
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext implements driver.QueryerContext.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, ok := c.prepared(ctx, query)
	if !ok {
		return c.fullConn.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, stmt: s}, nil
}

// positional rewrites the numbered parameters of a query ($1, $2, …) as
// anonymous ones (?) when each appears once and in order, which SQLite
// binds by position without reading each parameter's name back. Any other
// query is returned as it is, and binds by number. Text in quotes and
// comments is left alone.
func positional(query string) string {
	var out strings.Builder
	next, last := 1, 0 // the number the next parameter must have; where the copied text ends
	for i := 0; i < len(query); i++ {
		switch c := query[i]; c {
		case '\'', '"', '`':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				return query
			}
			i += end + 1 // a doubled quote reads as two quoted runs
		case '-':
			if strings.HasPrefix(query[i:], "--") {
				end := strings.IndexByte(query[i:], '\n')
				if end < 0 {
					end = len(query) - i
				}
				i += end
			}
		case '/':
			if strings.HasPrefix(query[i:], "/*") {
				end := strings.Index(query[i+2:], "*/")
				if end < 0 {
					return query
				}
				i += end + 3
			}
		case '?', ':', '@':
			return query // parameters of another kind
		case '$':
			digits := i + 1
			for digits < len(query) && query[digits] >= '0' && query[digits] <= '9' {
				digits++
			}
			if query[i+1:digits] != strconv.Itoa(next) {
				return query
			}
			out.WriteString(query[last:i])
			out.WriteByte('?')
			next, last, i = next+1, digits, digits-1
		}
	}
	if last == 0 {
		return query
	}
	out.WriteString(query[last:])
	return out.String()
}

// cachedRows frees its statement for the next call when closed.
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	return err
}
