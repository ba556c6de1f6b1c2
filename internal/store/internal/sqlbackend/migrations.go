// Package sqlbackend holds what the SQL backends of the store share: their
// statements, written once behind a small Dialect, their migrations, and
// the input rules both must apply identically, so that the two pass one
// conformance suite.
package sqlbackend

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

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
