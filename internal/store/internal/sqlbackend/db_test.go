package sqlbackend

import (
	"database/sql"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/vigil-oncall/vigil/internal/store"
)

func TestWhere(t *testing.T) {
	cases := []struct {
		name     string
		d        Dialect
		build    func(w *where)
		wantSQL  string
		wantArgs []any
	}{
		{"nothing", PostgreSQL, func(w *where) {}, "", nil},
		{"an empty list adds no condition", SQLite, func(w *where) { w.in("status", nil) }, "", nil},
		{"PostgreSQL", PostgreSQL, func(w *where) {
			w.add("service = " + w.arg("checkout"))
			w.in("status", []string{"triggered", "acknowledged"})
			w.add("id < " + w.arg(int64(9)))
		},
			" WHERE service = $1 AND status = ANY($2::text[]) AND id < $3",
			[]any{"checkout", []string{"triggered", "acknowledged"}, int64(9)}},
		{"SQLite", SQLite, func(w *where) {
			w.add("service = " + w.arg("checkout"))
			w.in("status", []string{"triggered", `a"b`})
		},
			" WHERE service = $1 AND status IN (SELECT value FROM json_each($2))",
			[]any{"checkout", `["triggered","a\"b"]`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := where{d: c.d}
			c.build(&w)
			if got := w.sql(); got != c.wantSQL {
				t.Errorf("sql = %q, want %q", got, c.wantSQL)
			}
			if !reflect.DeepEqual(w.args, c.wantArgs) {
				t.Errorf("args = %#v, want %#v", w.args, c.wantArgs)
			}
		})
	}
}

func TestDialect(t *testing.T) {
	cases := []struct{ got, want string }{
		{PostgreSQL.lock(forUpdate), " FOR UPDATE"},
		{SQLite.lock(forUpdate), ""},
		{PostgreSQL.isFalse("done"), "NOT done"},
		{SQLite.isFalse("done"), "done = 0"},
		{PostgreSQL.notIn("schedule", "$2", "text"), "schedule <> ALL($2::text[])"},
		{SQLite.notIn("schedule", "$2", "text"), "schedule NOT IN (SELECT value FROM json_each($2))"},
		{PostgreSQL.in("incident_id", "$1", "bigint"), "incident_id = ANY($1::bigint[])"},
		{PostgreSQL.listTable("$2", "text"), "unnest($2::text[]) AS list(value)"},
		{SQLite.listTable("$2", "text"), "json_each($2)"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// A nil list is an empty list, never NULL: "not in NULL" matches no row.
	if got := list[string](SQLite, nil); got != "[]" {
		t.Errorf("SQLite list of nil = %#v, want []", got)
	}
	if got, ok := list[string](PostgreSQL, nil).([]string); !ok || got == nil {
		t.Errorf("PostgreSQL list of nil = %#v, want an empty slice", got)
	}
	if got := list(SQLite, []int64{3, 1}); got != "[3,1]" {
		t.Errorf("SQLite list = %#v, want [3,1]", got)
	}
}

func TestInstantScan(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	want := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)
	cases := []struct {
		name    string
		src     any
		want    time.Time
		wantErr bool
	}{
		{"PostgreSQL's time, in another zone", want.In(paris), want, false},
		{"SQLite's text", "2025-03-14T09:26:53.589793Z", want, false},
		{"SQLite's text as bytes", []byte("2025-03-14T09:26:53.589793Z"), want, false},
		{"NULL", nil, time.Time{}, false},
		{"text in another layout", "2025-03-14 09:26:53", time.Time{}, true},
		{"garbage", "yesterday", time.Time{}, true},
		{"a number", int64(1741944413), time.Time{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := time.Unix(1, 0)
			err := instant{&got}.Scan(c.src)
			if (err != nil) != c.wantErr {
				t.Fatalf("Scan(%v) error = %v, want error %v", c.src, err, c.wantErr)
			}
			if err == nil && (!got.Equal(c.want) || got.Location() != time.UTC) {
				t.Errorf("Scan(%v) = %v, want %v in UTC", c.src, got, c.want)
			}
		})
	}
	var p *time.Time
	if err := (nullInstant{&p}).Scan("2025-03-14T09:26:53.589793Z"); err != nil || p == nil || !p.Equal(want) {
		t.Errorf("nullInstant of text = %v, %v; want %v", p, err, want)
	}
	if err := (nullInstant{&p}).Scan(nil); err != nil || p != nil {
		t.Errorf("nullInstant of NULL = %v, %v; want nil", p, err)
	}
	if err := (nullInstant{&p}).Scan("junk"); err == nil {
		t.Error("nullInstant of junk: no error")
	}
}

func TestOneRow(t *testing.T) {
	if err := oneRow(nil, "alert %d", 7); err != nil {
		t.Errorf("oneRow(nil) = %v", err)
	}
	err := oneRow(errNoRows{}, "alert %d", 7)
	if !errors.Is(err, store.ErrNotFound) || err.Error() != "alert 7: not found" {
		t.Errorf("oneRow(no rows) = %v, want alert 7: not found", err)
	}
	boom := errors.New("boom")
	if err := oneRow(boom, "alert %d", 7); !errors.Is(err, boom) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("oneRow(boom) = %v, want it wrapped", err)
	}
}

// errNoRows wraps sql.ErrNoRows as pgx's error does.
type errNoRows struct{}

func (errNoRows) Error() string { return "no rows in result set" }
func (errNoRows) Unwrap() error { return sql.ErrNoRows }

func TestInstantScanTimestamptz(t *testing.T) {
	want := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)
	got := time.Unix(1, 0)
	if err := (instant{&got}).ScanTimestamptz(pgtype.Timestamptz{Time: want.In(time.FixedZone("CET", 3600)), Valid: true}); err != nil ||
		!got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("ScanTimestamptz = %v, %v; want %v in UTC", got, err, want)
	}
	if err := (instant{&got}).ScanTimestamptz(pgtype.Timestamptz{}); err != nil || !got.IsZero() {
		t.Errorf("ScanTimestamptz of NULL = %v, %v; want the zero time", got, err)
	}
	if err := (instant{&got}).ScanTimestamptz(pgtype.Timestamptz{Valid: true, InfinityModifier: pgtype.Infinity}); err == nil {
		t.Error("ScanTimestamptz of infinity: no error")
	}
	p := &got
	if err := (nullInstant{&p}).ScanTimestamptz(pgtype.Timestamptz{}); err != nil || p != nil {
		t.Errorf("nullInstant of NULL = %v, %v; want nil", p, err)
	}
	if err := (nullInstant{&p}).ScanTimestamptz(pgtype.Timestamptz{Time: want, Valid: true}); err != nil || p == nil || !p.Equal(want) {
		t.Errorf("nullInstant = %v, %v; want %v", p, err, want)
	}
}
