// Package sqlbackend holds what the SQL backends of the store share: their
// statements, written once behind a small Dialect, their migrations, and
// the input rules both must apply identically, so that the two pass one
// conformance suite.
package sqlbackend

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"text/template"
)

// The schema is kept once, in migrations/, as templates: what the two
// databases spell differently is a function of the dialect.
//
//	{{identity}}        an id given out by the database, never again (PostgreSQL
//	                    GENERATED ALWAYS AS IDENTITY, SQLite AUTOINCREMENT);
//	                    {{identity "BY DEFAULT"}} lets inserts choose it
//	{{bigint}}          a 64-bit integer (INTEGER on SQLite, for its row ids)
//	{{time}}            an instant (SQLite: text in TimeLayout)
//	{{bytes}}, {{float}} bytea/BLOB, double precision/REAL
//	{{bytetext}}        text compared and sorted byte by byte (COLLATE "C"),
//	                    as SQLite always does
//	{{json "c"}}        a JSON document in column c, NOT NULL; {{nulljson "c"}}
//	                    may be NULL; {{jsonb "c"}} is kept as jsonb on PostgreSQL
//	{{bool "c"}}        a boolean column c, NOT NULL (SQLite: 0 or 1)
//	{{not "c"}}         the condition "c is false", as queries spell it
//	{{jsontext "c" "k"}} the text of key k of the JSON in column c ('' when
//	                    absent); {{jsontime "c" "k"}} its instant (NULL when
//	                    absent), as {{time}} keeps it; {{jsonint "c" "k" n}}
//	                    its integer (n when absent); {{jsonbool "c" "k"}} 1
//	                    when it is true, else 0: for filling a new column
//	                    from the documents already stored
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the schema migrations rendered for a dialect.
func Migrations(d Dialect) ([]Migration, error) {
	migrations, err := LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	for i, m := range migrations {
		if migrations[i].SQL, err = render(d, m); err != nil {
			return nil, err
		}
	}
	return migrations, nil
}

func render(d Dialect, m Migration) (string, error) {
	tmpl, err := template.New(m.Name).Option("missingkey=error").Funcs(d.schemaFuncs()).Parse(m.SQL)
	if err != nil {
		return "", fmt.Errorf("migration %q: %w", m.Name, err)
	}
	var out strings.Builder
	if err := tmpl.Execute(&out, nil); err != nil {
		return "", fmt.Errorf("migration %q: %w", m.Name, err)
	}
	return out.String(), nil
}

// schemaFuncs spells the types and conditions of the migrations.
func (d Dialect) schemaFuncs() template.FuncMap {
	if d == PostgreSQL {
		return template.FuncMap{
			"identity": func(generated ...string) string {
				how := "ALWAYS"
				if len(generated) > 0 {
					how = generated[0]
				}
				return "bigint GENERATED " + how + " AS IDENTITY PRIMARY KEY"
			},
			"bigint":   func() string { return "bigint" },
			"time":     func() string { return "timestamptz" },
			"bytes":    func() string { return "bytea" },
			"float":    func() string { return "double precision" },
			"bytetext": func() string { return `text COLLATE "C"` },
			"json":     func(string) string { return "json NOT NULL" },
			"nulljson": func(string) string { return "json" },
			"jsonb":    func(string) string { return "jsonb NOT NULL" },
			"bool":     func(string) string { return "boolean NOT NULL" },
			"not":      d.isFalse,
			"jsontext": func(c, k string) string { return "COALESCE(" + c + "->>'" + k + "', '')" },
			"jsontime": func(c, k string) string { return "(" + c + "->>'" + k + "')::timestamptz" },
			"jsonint": func(c, k string, n int) string {
				return "COALESCE((" + c + "->>'" + k + "')::bigint, " + strconv.Itoa(n) + ")"
			},
			"jsonbool": func(c, k string) string { return "CASE WHEN (" + c + "->>'" + k + "') = 'true' THEN 1 ELSE 0 END" },
		}
	}
	return template.FuncMap{
		"identity": func(...string) string { return "INTEGER PRIMARY KEY AUTOINCREMENT" },
		"bigint":   func() string { return "INTEGER" },
		"time":     func() string { return "TEXT" },
		"bytes":    func() string { return "BLOB" },
		"float":    func() string { return "REAL" },
		"bytetext": func() string { return "TEXT" },
		"json":     func(c string) string { return "TEXT NOT NULL CHECK (json_valid(" + c + "))" },
		"nulljson": func(c string) string { return "TEXT CHECK (" + c + " IS NULL OR json_valid(" + c + "))" },
		"jsonb":    func(c string) string { return "TEXT NOT NULL CHECK (json_valid(" + c + "))" },
		"bool":     func(c string) string { return "INTEGER NOT NULL CHECK (" + c + " IN (0, 1))" },
		"not":      d.isFalse,
		"jsontext": func(c, k string) string { return "COALESCE(json_extract(" + c + ", '$." + k + "'), '')" },
		"jsontime": func(c, k string) string {
			// Go writes a UTC instant as 2006-01-02T15:04:05[.fraction]Z,
			// the fraction without trailing zeros; TimeLayout wants six
			// digits always.
			v := "json_extract(" + c + ", '$." + k + "')"
			return "CASE WHEN " + v + " IS NULL THEN NULL ELSE substr(" + v + ", 1, 19) || '.' || substr(CASE WHEN substr(" + v + ", 20, 1) = '.' THEN substr(" +
				v + ", 21, length(" + v + ") - 21) ELSE '' END || '000000', 1, 6) || 'Z' END"
		},
		"jsonint": func(c, k string, n int) string {
			return "COALESCE(json_extract(" + c + ", '$." + k + "'), " + strconv.Itoa(n) + ")"
		},
		"jsonbool": func(c, k string) string {
			return "CASE WHEN json_type(" + c + ", '$." + k + "') = 'true' THEN 1 ELSE 0 END"
		},
	}
}

// Migration is one forward-only schema change.
type Migration struct {
	Version int
	Name    string // file name, e.g. "0002_audit_details.sql"
	SQL     string
}

// ErrSchemaTooNew is returned when the database has migrations this binary
// does not know: running an older binary against it could corrupt data.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// maxMigrationSize bounds a migration file; anything bigger is a mistake,
// not a schema change.
const maxMigrationSize = 1 << 20

// ParseMigrationName extracts the version from a file name of the form
// NNNN_description.sql: exactly four digits, a version of at least 1, and a
// description of lower-case letters, digits and underscores.
func ParseMigrationName(name string) (int, error) {
	const digits = 4
	base, ok := strings.CutSuffix(name, ".sql")
	if !ok {
		return 0, fmt.Errorf("migration %q: name must end in .sql", name)
	}
	if len(base) < digits+2 || base[digits] != '_' {
		return 0, fmt.Errorf("migration %q: name must look like 0001_description.sql", name)
	}
	for _, c := range base[:digits] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("migration %q: version must be %d digits", name, digits)
		}
	}
	for _, c := range base[digits+1:] {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return 0, fmt.Errorf("migration %q: description may hold only a-z, 0-9 and _", name)
		}
	}
	version, err := strconv.Atoi(base[:digits])
	if err != nil {
		return 0, fmt.Errorf("migration %q: %w", name, err)
	}
	if version == 0 {
		return 0, fmt.Errorf("migration %q: versions start at 0001", name)
	}
	return version, nil
}

// LoadMigrations reads the *.sql files of dir in fsys, ordered by version.
// Versions must run from 1 without gaps or duplicates, so that a database's
// version alone says which files it has applied. Files not ending in .sql
// are ignored.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var migrations []Migration
	for _, entry := range entries {
		if entry.IsDir() || !strings.HasSuffix(entry.Name(), ".sql") {
			continue
		}
		version, err := ParseMigrationName(entry.Name())
		if err != nil {
			return nil, err
		}
		if want := len(migrations) + 1; version != want {
			// fs.ReadDir sorts by name and versions are fixed-width, so
			// anything but the next number is a gap or a duplicate.
			return nil, fmt.Errorf("migration %q: expected version %d", entry.Name(), want)
		}
		info, err := entry.Info()
		if err != nil {
			return nil, fmt.Errorf("migration %q: %w", entry.Name(), err)
		}
		if info.Size() > maxMigrationSize {
			return nil, fmt.Errorf("migration %q: larger than %d bytes", entry.Name(), maxMigrationSize)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, entry.Name()))
		if err != nil {
			return nil, fmt.Errorf("migration %q: %w", entry.Name(), err)
		}
		if strings.TrimSpace(string(body)) == "" {
			return nil, fmt.Errorf("migration %q: empty", entry.Name())
		}
		migrations = append(migrations, Migration{Version: version, Name: entry.Name(), SQL: string(body)})
	}
	if len(migrations) == 0 {
		return nil, fmt.Errorf("read migrations: no .sql files in %q", dir)
	}
	return migrations, nil
}

// Pending returns the migrations after version applied, or ErrSchemaTooNew
// when the database is ahead of migrations.
func Pending(migrations []Migration, applied int) ([]Migration, error) {
	latest := 0
	if len(migrations) > 0 {
		latest = migrations[len(migrations)-1].Version
	}
	if applied > latest {
		return nil, fmt.Errorf("%w: database is at version %d, this binary knows up to %d; upgrade vigil",
			ErrSchemaTooNew, applied, latest)
	}
	if applied < 0 {
		return nil, fmt.Errorf("invalid schema version %d", applied)
	}
	return migrations[applied:], nil
}
