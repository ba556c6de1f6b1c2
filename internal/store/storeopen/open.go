// Package storeopen opens the store a DSN names. It lives apart from
// package store because it imports the backends, which import store.
package storeopen

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/postgres"
	"github.com/vigil-oncall/vigil/internal/store/sqlite"
)

// Backends a DSN can name.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// maxDSNLength bounds what Parse accepts; real DSNs are far shorter.
const maxDSNLength = 4096

// Target is a parsed DSN.
type Target struct {
	Backend string // BackendSQLite or BackendPostgres
	Path    string // SQLite: the database file, or sqlite.MemoryPath
	URL     string // PostgreSQL: the DSN, unchanged, for pgx to parse
}

// Parse reads a DSN:
//
//	sqlite:PATH            a database file (sqlite:./vigil.db is the default)
//	sqlite://PATH          the same; sqlite:///var/lib/vigil.db is absolute
//	sqlite::memory:        a private in-memory database, for tests
//	PATH                   a bare path is an SQLite file
//	postgres://…, postgresql://…
//
// Error messages never quote a PostgreSQL DSN, which may hold a password.
func Parse(dsn string) (Target, error) {
	switch {
	case dsn == "":
		return Target{}, errors.New("empty store DSN")
	case len(dsn) > maxDSNLength:
		return Target{}, fmt.Errorf("store DSN longer than %d bytes", maxDSNLength)
	case strings.IndexByte(dsn, 0) >= 0:
		return Target{}, errors.New("store DSN contains a NUL byte")
	}
	scheme, rest, hasScheme := cutScheme(dsn)
	switch {
	case !hasScheme:
		return Target{Backend: BackendSQLite, Path: dsn}, nil
	case scheme == "sqlite":
		path := strings.TrimPrefix(rest, "//")
		if path == "" {
			return Target{}, errors.New("store DSN sqlite: names no file (want sqlite:PATH)")
		}
		return Target{Backend: BackendSQLite, Path: path}, nil
	case scheme == "postgres" || scheme == "postgresql":
		if !strings.HasPrefix(rest, "//") {
			return Target{}, fmt.Errorf("store DSN: want %s://HOST/DATABASE", scheme)
		}
		return Target{Backend: BackendPostgres, URL: dsn}, nil
	default:
		return Target{}, fmt.Errorf("store DSN: unsupported scheme %q (want sqlite:PATH or postgres://…)", scheme)
	}
}

// cutScheme splits "scheme:rest" where scheme follows RFC 3986 (a letter,
// then letters, digits, "+", "-", "."), lower-cased. A one-letter scheme is
// taken for a Windows drive, so "C:\vigil.db" is a path.
func cutScheme(dsn string) (scheme, rest string, ok bool) {
	colon := strings.IndexByte(dsn, ':')
	if colon < 2 {
		return "", "", false
	}
	for i, c := range dsn[:colon] {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", "", false
		}
	}
	return strings.ToLower(dsn[:colon]), dsn[colon+1:], true
}

// Open opens the store the DSN names and applies its pending migrations.
func Open(ctx context.Context, dsn string) (store.Store, error) {
	target, err := Parse(dsn)
	if err != nil {
		return nil, err
	}
	var s store.Store
	switch target.Backend {
	case BackendSQLite:
		s, err = sqlite.Open(ctx, target.Path)
	default:
		s, err = postgres.Open(ctx, target.URL)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}
