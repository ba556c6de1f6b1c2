package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

// requirePostgres skips the test when no test database is configured,
// before a suite starts its subtests.
func requirePostgres(t testing.TB) {
	t.Helper()
	if os.Getenv(pgtest.Env) == "" {
		t.Skipf("%s is not set; set it to a PostgreSQL URL such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run these tests", pgtest.Env)
	}
}

// freshSchema returns a pool configuration that works in a schema of its
// own (pgtest.Schema), so runs can share the database.
func freshSchema(t testing.TB) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.Schema(t))
	if err != nil {
		t.Fatalf("parse %s: %v", pgtest.Env, err)
	}
	return cfg
}

func openTestStore(t testing.TB, cfg *pgxpool.Config) *Store {
	t.Helper()
	s, err := OpenConfig(context.Background(), cfg.Copy())
	if err != nil {
		t.Fatalf("OpenConfig: %v", err)
	}
	t.Cleanup(func() { s.Close() })
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

// schemaStore gives the conformance suites a fresh migrated store in a
// schema of its own.
func schemaStore(t *testing.T) store.Store { return migrated(t, openTestStore(t, freshSchema(t))) }

func TestConformance(t *testing.T) {
	requirePostgres(t)
	storetest.Run(t, schemaStore)
}

func TestMigrateEmptyToLatest(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, freshSchema(t))
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion before Migrate = %d, %v; want 0", v, err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	latest := len(s.migrations)
	for i, v := range applied {
		if v != i+1 {
			t.Errorf("schema_migrations = %v, want 1 to %d", applied, latest)
			break
		}
	}
	if len(applied) != latest {
		t.Errorf("schema_migrations = %v, want 1 to %d", applied, latest)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(s.migrations) {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, len(s.migrations))
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
	s := openTestStore(t, freshSchema(t))
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
		 VALUES ('t1', 'ci', '\xc0ffee', NULL, 'admin', '2025-03-14T09:00:00Z')`,
		`INSERT INTO audit_log (at, actor, action, kind, object_id, before, after)
		 VALUES ('2025-03-14T09:26:53.589793Z', 'config', 'service.create', 'service', 'checkout', NULL, '{"name":"Checkout"}')`,
	} {
		if _, err := s.pool.Exec(ctx, stmt); err != nil {
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
	s := openTestStore(t, freshSchema(t))
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, len(s.migrations)+1); err != nil {
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

// TestConcurrentMigrate starts several replicas on one new schema at once.
func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	cfg := freshSchema(t)
	replicas := make([]*Store, 4)
	for i := range replicas {
		replicas[i] = openTestStore(t, cfg)
	}
	var wg sync.WaitGroup
	for _, s := range replicas {
		wg.Go(func() {
			if err := s.Migrate(ctx); err != nil {
				t.Errorf("Migrate: %v", err)
			}
		})
	}
	wg.Wait()
	var rows int
	if err := replicas[0].pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if want := len(replicas[0].migrations); rows != want {
		t.Errorf("schema_migrations has %d rows, want %d", rows, want)
	}
}

// TestMigrateWaitsForLock shows that a replica does not migrate while
// another holds the migration lock.
func TestMigrateWaitsForLock(t *testing.T) {
	ctx := context.Background()
	cfg := freshSchema(t)
	s := openTestStore(t, cfg)
	holder, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, s.migrationLock); err != nil {
		t.Fatal(err)
	}

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := s.Migrate(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Migrate while the lock is held = %v, want a deadline error", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion while the lock is held = %d, %v; want 0", v, err)
	}

	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, s.migrationLock); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after the lock is released: %v", err)
	}
	// The lock is free again once Migrate returns.
	var free bool
	if err := holder.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, s.migrationLock).Scan(&free); err != nil || !free {
		t.Errorf("migration lock still held after Migrate (%v)", err)
	}
}

// TestReplicasShareConfigVersion: a write through one replica is visible
// to another as a new configuration version.
func TestReplicasShareConfigVersion(t *testing.T) {
	ctx := context.Background()
	cfg := freshSchema(t)
	a, b := openTestStore(t, cfg), openTestStore(t, cfg)
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	o := store.Object{Kind: store.KindTeam, ID: "a", Body: []byte(`{}`), Source: store.SourceAPI}
	for range 3 {
		if err := a.ApplyChanges(ctx, []store.Change{{Object: o}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := b.ConfigVersion(ctx); err != nil || v != 3 {
		t.Errorf("other replica's ConfigVersion = %d, %v; want 3", v, err)
	}
}

func TestOpenFails(t *testing.T) {
	cases := []struct{ name, dsn string }{
		{"nothing listening", "postgres://vigil:s3cret@127.0.0.1:1/vigil?sslmode=disable&connect_timeout=2"},
		{"not a DSN", "postgres://vigil:s3cret@[::1/x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(context.Background(), c.dsn)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", c.dsn)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}

// benchStore gives the benchmarks a fresh migrated store in a schema of
// its own.
func benchStore(b *testing.B) store.Store { return migrated(b, openTestStore(b, freshSchema(b))) }

// VIGIL_TEST_POSTGRES=... go test -run '^$' -bench . -count 5 ./internal/store/postgres/
func BenchmarkStore(b *testing.B) { storetest.Bench(b, benchStore) }

func BenchmarkTriggerTx(b *testing.B) { storetest.BenchTriggerTx(b, benchStore) }

func BenchmarkIncidentPage(b *testing.B) { storetest.BenchIncidentPage(b, benchStore) }
