package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend/released"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func openTestStore(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// fileStore and memoryStore give the conformance suites a fresh migrated
// store, on a file or in memory.
func fileStore(t *testing.T) store.Store {
	return storetest.Migrated(t, openTestStore(t, filepath.Join(t.TempDir(), "vigil.db")))
}

func memoryStore(t *testing.T) store.Store {
	return storetest.Migrated(t, openTestStore(t, MemoryPath))
}

func TestConformanceFile(t *testing.T) { storetest.Run(t, fileStore) }

func TestConformanceMemory(t *testing.T) { storetest.Run(t, memoryStore) }

func TestMigrations(t *testing.T) {
	storetest.RunMigrations(t, sqlbackend.SQLite, func(t *testing.T) func() storetest.MigrationStore {
		path := filepath.Join(t.TempDir(), "vigil.db")
		return func() storetest.MigrationStore { return migrationStore{openTestStore(t, path)} }
	})
}

// migrationStore lets the migration suite choose a store's migrations.
type migrationStore struct{ *Store }

func (s migrationStore) MigrateWith(ctx context.Context, migrations []sqlbackend.Migration) error {
	return s.migrate(ctx, migrations)
}

func (s migrationStore) Conn() sqlbackend.Conn { return conn{s.write} }

// Schema lists the database's objects with the statements that made them.
func (s migrationStore) Schema(ctx context.Context) (string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var desc strings.Builder
	for rows.Next() {
		var typ, name, table, sql string
		if err := rows.Scan(&typ, &name, &table, &sql); err != nil {
			return "", err
		}
		fmt.Fprintf(&desc, "%s %s on %s: %s\n", typ, name, table, released.Normalize(sql))
	}
	return desc.String(), rows.Err()
}

func TestOpenSettings(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "vigil.db"))
	pragmas := []struct {
		db   string
		name string
		want string
	}{
		{"write", "journal_mode", "wal"},
		{"write", "synchronous", "2"},
		{"write", "foreign_keys", "1"},
		{"write", "busy_timeout", "5000"},
		{"read", "journal_mode", "wal"},
		{"read", "synchronous", "2"},
		{"read", "query_only", "1"},
		{"read", "busy_timeout", "5000"},
	}
	for _, p := range pragmas {
		db := s.write
		if p.db == "read" {
			db = s.read
		}
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", p.name, err)
		}
		if got != p.want {
			t.Errorf("%s connection: %s = %s, want %s", p.db, p.name, got, p.want)
		}
	}
	if got := s.write.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("write pool allows %d connections, want 1", got)
	}
	if _, err := s.read.ExecContext(ctx, `CREATE TABLE sneaky (x)`); err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestOpenAwkwardPaths(t *testing.T) {
	names := []string{"plain.db", "with space.db", "what?.db", "hash#tag.db", "100%.db", "%3f.db", "ünï.db"}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			storetest.Migrated(t, openTestStore(t, path))
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range entries {
				found = found || e.Name() == name
			}
			if !found {
				t.Errorf("no file %q in %v", name, entries)
			}
		})
	}
	t.Run("relative", func(t *testing.T) {
		t.Chdir(t.TempDir())
		storetest.Migrated(t, openTestStore(t, "./vigil.db"))
		if _, err := os.Stat("vigil.db"); err != nil {
			t.Errorf("relative path: %v", err)
		}
	})
}

func TestOpenFails(t *testing.T) {
	cases := []struct{ name, path string }{
		{"empty path", ""},
		{"directory that does not exist", filepath.Join(t.TempDir(), "missing", "vigil.db")},
		{"path is a directory", t.TempDir()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(context.Background(), c.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", c.path)
			}
		})
	}
}

// TestDataSurvivesReopen checks that a committed write is on disk, not only
// in the process: a new Store on the same file sees it.
func TestDataSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	o := store.Object{Kind: store.KindTeam, ID: "a", Body: []byte(`{}`), Source: store.SourceAPI}
	if err := s.ApplyChanges(ctx, []store.Change{{Object: o}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again := openTestStore(t, path)
	if _, err := again.GetObject(ctx, store.KindTeam, "a"); err != nil {
		t.Errorf("after reopening: %v", err)
	}
}

// benchStore gives the benchmarks a fresh migrated store on a file.
func benchStore(b *testing.B) store.Store {
	return storetest.Migrated(b, openTestStore(b, filepath.Join(b.TempDir(), "vigil.db")))
}

// go test -run '^$' -bench . -count 5 ./internal/store/sqlite/
func BenchmarkStore(b *testing.B) { storetest.Bench(b, benchStore) }

func BenchmarkIncidentPage(b *testing.B) { storetest.BenchIncidentPage(b, benchStore) }
