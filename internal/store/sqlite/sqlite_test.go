package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
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

// migrated migrates a test store and returns it.
func migrated(t testing.TB, s *Store) *Store {
	t.Helper()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// fileStore and memoryStore give the conformance suites a fresh migrated
// store, on a file or in memory.
func fileStore(t *testing.T) store.Store {
	return migrated(t, openTestStore(t, filepath.Join(t.TempDir(), "vigil.db")))
}

func memoryStore(t *testing.T) store.Store { return migrated(t, openTestStore(t, MemoryPath)) }

func TestConformanceFile(t *testing.T) { storetest.Run(t, fileStore) }

func TestConformanceMemory(t *testing.T) { storetest.Run(t, memoryStore) }

func TestMigrateEmptyToLatest(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "vigil.db"))
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion before Migrate = %d, %v; want 0", v, err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	latest := len(s.migrations)
	if v, err := s.SchemaVersion(ctx); err != nil || v != latest {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, latest)
	}
	var applied []int
	rows, err := s.read.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		applied = append(applied, v)
	}
	for i, v := range applied {
		if v != i+1 {
			t.Errorf("schema_migrations = %v, want 1 to %d", applied, latest)
			break
		}
	}
	if len(applied) != latest {
		t.Errorf("schema_migrations = %v, want 1 to %d", applied, latest)
	}
}

// TestMigrateFromPreviousVersion starts from each older version, fills the
// tables of version 1 the way a version 1 binary did, migrates to the
// latest version and reads the data back.
func TestMigrateFromPreviousVersion(t *testing.T) {
	latest := migrationCount(t)
	for from := 1; from < latest; from++ {
		t.Run(fmt.Sprintf("from %d", from), func(t *testing.T) { testMigrateFrom(t, from) })
	}
}

func migrationCount(t *testing.T) int {
	t.Helper()
	migrations, err := sqlbackend.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	return len(migrations)
}

func testMigrateFrom(t *testing.T, from int) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "vigil.db"))
	if err := s.migrateTo(ctx, from); err != nil {
		t.Fatalf("migrate to %d: %v", from, err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != from {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, from)
	}
	for _, stmt := range []string{
		`INSERT INTO config_objects (kind, id, body, source, updated_at)
		 VALUES ('service', 'checkout', '{"name":"Checkout"}', 'config', '2025-03-14T09:26:53.589793Z')`,
		`UPDATE config_version SET version = 7`,
		`INSERT INTO api_tokens (id, name, hash, user_id, role, created_at)
		 VALUES ('t1', 'ci', x'c0ffee', NULL, 'admin', '2025-03-14T09:00:00.000000Z')`,
		`INSERT INTO audit_log (at, actor, action, kind, object_id, before, after)
		 VALUES ('2025-03-14T09:26:53.589793Z', 'config', 'service.create', 'service', 'checkout', NULL, '{"name":"Checkout"}')`,
	} {
		if _, err := s.write.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("fill version %d: %v", from, err)
		}
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(s.migrations) {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(s.migrations))
	}
	o, err := s.GetObject(ctx, store.KindService, "checkout")
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	if string(o.Body) != `{"name":"Checkout"}` || !o.UpdatedAt.Equal(time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)) {
		t.Errorf("object after migration = %s at %v", o.Body, o.UpdatedAt)
	}
	if v, err := s.ConfigVersion(ctx); err != nil || v != 7 {
		t.Errorf("ConfigVersion = %d, %v; want 7", v, err)
	}
	tok, err := s.TokenByHash(ctx, []byte{0xc0, 0xff, 0xee})
	if err != nil || tok.ID != "t1" || tok.UserID != "" || tok.RevokedAt != nil {
		t.Errorf("TokenByHash = %+v, %v; want token t1", tok, err)
	}
	entries, err := s.ListAudit(ctx, store.AuditQuery{Kind: store.KindService, ObjID: "checkout"})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	if len(entries) != 1 || entries[0].Details != "" || string(entries[0].After) != `{"name":"Checkout"}` || entries[0].Before != nil {
		t.Errorf("audit after migration = %+v, want the one entry with empty details", entries)
	}
	// The column added by 0002 is writable.
	err = s.ApplyChanges(ctx, nil, []store.AuditEntry{{At: o.UpdatedAt, Actor: "config", Action: "x", Details: "after 0002"}})
	if err != nil {
		t.Fatalf("ApplyChanges after migration: %v", err)
	}
}

func TestMigrateRefusesNewerDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openTestStore(t, path)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, len(s.migrations)+1); err != nil {
		t.Fatal(err)
	}
	err := s.Migrate(ctx)
	if !errors.Is(err, sqlbackend.ErrSchemaTooNew) {
		t.Fatalf("Migrate = %v, want ErrSchemaTooNew", err)
	}
	wantVersions := []string{fmt.Sprintf("version %d", len(s.migrations)+1), fmt.Sprintf("up to %d", len(s.migrations))}
	if !strings.Contains(err.Error(), wantVersions[0]) || !strings.Contains(err.Error(), wantVersions[1]) {
		t.Errorf("error %q should name both versions", err)
	}
}

// TestConcurrentMigrate opens the same new file from several stores at once,
// as several processes starting together would.
func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.db")
	stores := make([]*Store, 4)
	for i := range stores {
		stores[i] = openTestStore(t, path)
	}
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			if err := s.Migrate(ctx); err != nil {
				t.Errorf("Migrate: %v", err)
			}
		})
	}
	wg.Wait()
	var rows int
	if err := stores[0].read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if want := len(stores[0].migrations); rows != want {
		t.Errorf("schema_migrations has %d rows, want %d", rows, want)
	}
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
			migrated(t, openTestStore(t, path))
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
		migrated(t, openTestStore(t, "./vigil.db"))
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
	return migrated(b, openTestStore(b, filepath.Join(b.TempDir(), "vigil.db")))
}

// go test -run '^$' -bench . -count 5 ./internal/store/sqlite/
func BenchmarkStore(b *testing.B) { storetest.Bench(b, benchStore) }

func BenchmarkIncidentPage(b *testing.B) { storetest.BenchIncidentPage(b, benchStore) }
