// Package sqlitetest opens migrated SQLite stores for the tests of other
// packages, so that each does not repeat the open, migrate and close dance.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigil-oncall/vigil/internal/store/sqlite"
)

// Open returns a migrated store on a fresh file in a temporary directory,
// closed when the test ends. A file, not sqlite.MemoryPath: the pipeline
// reads beside its write transaction, which an in-memory database's one
// connection cannot.
func Open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return OpenPath(tb, filepath.Join(tb.TempDir(), "vigil.db"))
}

// OpenPath is Open on the path given, sqlite.MemoryPath included.
func OpenPath(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return st
}
