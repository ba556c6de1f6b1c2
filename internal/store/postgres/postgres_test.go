package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
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

// schemaStore gives the conformance suites a fresh migrated store in a
// schema of its own.
func schemaStore(t *testing.T) store.Store {
	return storetest.Migrated(t, openTestStore(t, freshSchema(t)))
}

func TestConformance(t *testing.T) {
	requirePostgres(t)
	storetest.Run(t, schemaStore)
}

func TestMigrations(t *testing.T) {
	requirePostgres(t)
	storetest.RunMigrations(t, sqlbackend.PostgreSQL, func(t *testing.T) func() storetest.MigrationStore {
		cfg := freshSchema(t)
		return func() storetest.MigrationStore { return migrationStore{openTestStore(t, cfg)} }
	})
}

// migrationStore lets the migration suite choose a store's migrations.
type migrationStore struct{ *Store }

func (s migrationStore) MigrateWith(ctx context.Context, migrations []sqlbackend.Migration) error {
	return s.migrate(ctx, migrations)
}

func (s migrationStore) Conn() sqlbackend.Conn { return conn{s.pool} }

// Schema lists the columns, sequences, indexes and constraints of the
// store's schema.
func (s migrationStore) Schema(ctx context.Context) (string, error) {
	var desc strings.Builder
	for _, query := range []string{
		`SELECT table_name, column_name, data_type, is_nullable, column_default, collation_name, is_identity, identity_generation
		 FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
		`SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences
		 WHERE sequence_schema = current_schema() ORDER BY sequence_name`,
		`SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '') FROM pg_indexes
		 WHERE schemaname = current_schema() ORDER BY indexname`,
		`SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
		 WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2`,
	} {
		rows, err := s.pool.Query(ctx, query)
		if err != nil {
			return "", err
		}
		for rows.Next() {
			values, err := rows.Values()
			if err != nil {
				rows.Close()
				return "", err
			}
			fmt.Fprintln(&desc, values...)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", err
		}
	}
	return desc.String(), nil
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
func benchStore(b *testing.B) store.Store {
	return storetest.Migrated(b, openTestStore(b, freshSchema(b)))
}

// VIGIL_TEST_POSTGRES=... go test -run '^$' -bench . -count 5 ./internal/store/postgres/
func BenchmarkStore(b *testing.B) { storetest.Bench(b, benchStore) }

func BenchmarkTriggerTx(b *testing.B) { storetest.BenchTriggerTx(b, benchStore) }

func BenchmarkIncidentPage(b *testing.B) { storetest.BenchIncidentPage(b, benchStore) }
