// Package released holds the schema migrations as each backend shipped
// them while they were kept once per backend (up to version 7), so that
// tests can build a database the way those versions of vigil did and
// check that the migrations kept once in sqlbackend give the same schema.
// It is for tests only.
package released

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"testing/fstest"

	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// migrations.tar.gz holds postgres/*.sql and sqlite/*.sql as they were in
// internal/store/postgres/migrations and internal/store/sqlite/migrations
// at commit 1b04c5f9fd3767a1d08aa419946ff6fd07d134f8.
//
//go:embed migrations.tar.gz
var archive []byte

// Migrations returns the released migrations of a dialect.
func Migrations(d sqlbackend.Dialect) ([]sqlbackend.Migration, error) {
	dir := map[sqlbackend.Dialect]string{sqlbackend.PostgreSQL: "postgres", sqlbackend.SQLite: "sqlite"}[d]
	if dir == "" {
		return nil, fmt.Errorf("released migrations: unknown dialect %d", d)
	}
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("released migrations: %w", err)
	}
	files := fstest.MapFS{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("released migrations: %w", err)
		}
		if h.Typeflag != tar.TypeReg || path.Dir(h.Name) != dir {
			continue
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("released migrations: %s: %w", h.Name, err)
		}
		files[h.Name] = &fstest.MapFile{Data: body}
	}
	return sqlbackend.LoadMigrations(files, dir)
}

var (
	comment = regexp.MustCompile(`--[^\n]*`)
	space   = regexp.MustCompile(`\s+`)
)

// Normalize drops the comments of SQL and folds its spacing and case,
// which neither database tells apart in a schema.
func Normalize(sql string) string {
	sql = comment.ReplaceAllString(sql, " ")
	return strings.TrimSpace(space.ReplaceAllString(strings.ToLower(sql), " "))
}
