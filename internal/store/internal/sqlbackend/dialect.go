package sqlbackend

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Dialect is what the shared statements need to know of a database's SQL.
type Dialect int

const (
	// PostgreSQL: row locks, arrays.
	PostgreSQL Dialect = iota + 1
	// SQLite: one writer and no row locks; lists travel as JSON text.
	SQLite
)

// lock returns a locking clause (FOR UPDATE …) on PostgreSQL, where
// replicas share the database and a transaction locks the rows it will
// write; SQLite runs one write transaction at a time and needs none.
func (d Dialect) lock(clause string) string {
	if d == PostgreSQL {
		return clause
	}
	return ""
}

// indexedBy names the index SQLite must read a table through, where its
// planner, with no statistics, would pick a worse one; PostgreSQL keeps
// statistics and picks by itself.
func (d Dialect) indexedBy(index string) string {
	if d == SQLite {
		return " INDEXED BY " + index
	}
	return ""
}

// isFalse is a condition on a boolean column, spelled as the indexes on it
// are (SQLite keeps booleans as 0 and 1).
func (d Dialect) isFalse(column string) string {
	if d == PostgreSQL {
		return "NOT " + column
	}
	return column + " = 0"
}

// in is "column is one of the list in param", a list made by list.
// elem is the PostgreSQL type of the list's elements.
func (d Dialect) in(column, param, elem string) string {
	if d == PostgreSQL {
		return column + " = ANY(" + param + "::" + elem + "[])"
	}
	return column + " IN (SELECT value FROM json_each(" + param + "))"
}

// notIn is "column is none of the list in param".
func (d Dialect) notIn(column, param, elem string) string {
	if d == PostgreSQL {
		return column + " <> ALL(" + param + "::" + elem + "[])"
	}
	return column + " NOT IN (SELECT value FROM json_each(" + param + "))"
}

// listTable is the list in param as a table with one column, value.
func (d Dialect) listTable(param, elem string) string {
	if d == PostgreSQL {
		return "unnest(" + param + "::" + elem + "[]) AS list(value)"
	}
	return "json_each(" + param + ")"
}

// list turns a slice into the argument a list parameter takes: an array
// for PostgreSQL, JSON text for SQLite, so that no list is too long for
// SQLite's limit on parameters.
func list[T any](d Dialect, values []T) any {
	if values == nil {
		values = []T{} // an empty list, not NULL
	}
	if d == PostgreSQL {
		return values
	}
	text, err := json.Marshal(values)
	if err != nil {
		panic(err) // strings and integers always marshal
	}
	return string(text)
}

// where builds a WHERE clause from conditions joined by AND, numbering
// the parameters. Its methods return it, to be chained.
type where struct {
	d     Dialect
	conds []string
	args  []any
}

func (d Dialect) where() *where { return &where{d: d} }

// arg adds a parameter and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) add(cond string) *where {
	w.conds = append(w.conds, cond)
	return w
}

// text adds "column = value" unless value is empty.
func (w *where) text(column, value string) *where {
	if value == "" {
		return w
	}
	return w.add(column + " = " + w.arg(value))
}

// id adds "column = id" unless id is 0.
func (w *where) id(column string, id int64) *where {
	if id == 0 {
		return w
	}
	return w.add(column + " = " + w.arg(id))
}

// time adds cond (such as "at >=") with the instant t, unless t is zero.
func (w *where) time(cond string, t time.Time) *where {
	if t.IsZero() {
		return w
	}
	return w.add(cond + " " + w.arg(UTC(t)))
}

// before adds "id < beforeID", a page's cursor, unless it is 0.
func (w *where) before(beforeID int64) *where {
	if beforeID <= 0 {
		return w
	}
	return w.add("id < " + w.arg(beforeID))
}

// in adds "column is one of values"; no values add no condition.
func (w *where) in(column string, values []string) *where {
	if len(values) == 0 {
		return w
	}
	return w.add(w.d.in(column, w.arg(list(w.d, values)), "text"))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page is the WHERE clause, then "ORDER BY order LIMIT limit".
func (w *where) page(order string, limit int) string {
	return w.sql() + " ORDER BY " + order + " LIMIT " + w.arg(limit)
}
