package storeopen

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
)

func TestParse(t *testing.T) {
	cases := []struct {
		dsn     string
		want    Target
		wantErr string // substring of the error; "" when Parse succeeds
	}{
		{dsn: "sqlite:./vigil.db", want: Target{Backend: BackendSQLite, Path: "./vigil.db"}},
		{dsn: "sqlite:vigil.db", want: Target{Backend: BackendSQLite, Path: "vigil.db"}},
		{dsn: "sqlite:/var/lib/vigil/vigil.db", want: Target{Backend: BackendSQLite, Path: "/var/lib/vigil/vigil.db"}},
		{dsn: "sqlite:///var/lib/vigil.db", want: Target{Backend: BackendSQLite, Path: "/var/lib/vigil.db"}},
		{dsn: "sqlite://rel/vigil.db", want: Target{Backend: BackendSQLite, Path: "rel/vigil.db"}},
		{dsn: "SQLite:x.db", want: Target{Backend: BackendSQLite, Path: "x.db"}},
		{dsn: "sqlite::memory:", want: Target{Backend: BackendSQLite, Path: ":memory:"}},
		{dsn: "sqlite:what?#%.db", want: Target{Backend: BackendSQLite, Path: "what?#%.db"}},
		{dsn: "sqlite:a:b.db", want: Target{Backend: BackendSQLite, Path: "a:b.db"}},
		{dsn: "vigil.db", want: Target{Backend: BackendSQLite, Path: "vigil.db"}},
		{dsn: "./data/vigil.db", want: Target{Backend: BackendSQLite, Path: "./data/vigil.db"}},
		{dsn: "/abs/vigil.db", want: Target{Backend: BackendSQLite, Path: "/abs/vigil.db"}},
		{dsn: "./odd:name.db", want: Target{Backend: BackendSQLite, Path: "./odd:name.db"}},
		{dsn: `C:\vigil\vigil.db`, want: Target{Backend: BackendSQLite, Path: `C:\vigil\vigil.db`}},
		{dsn: "1x:y.db", want: Target{Backend: BackendSQLite, Path: "1x:y.db"}},
		{dsn: "postgres://vigil@db:5432/vigil?sslmode=disable", want: Target{Backend: BackendPostgres, URL: "postgres://vigil@db:5432/vigil?sslmode=disable"}},
		{dsn: "postgresql://db/vigil", want: Target{Backend: BackendPostgres, URL: "postgresql://db/vigil"}},
		{dsn: "POSTGRES://db/vigil", want: Target{Backend: BackendPostgres, URL: "POSTGRES://db/vigil"}},

		{dsn: "", wantErr: "empty"},
		{dsn: "sqlite:", wantErr: "names no file"},
		{dsn: "sqlite://", wantErr: "names no file"},
		{dsn: "postgres:vigil", wantErr: "postgres://HOST/DATABASE"},
		{dsn: "mysql://root@db/vigil", wantErr: `unsupported scheme "mysql"`},
		{dsn: "file:vigil.db", wantErr: `unsupported scheme "file"`},
		{dsn: "http://example.com/x.db", wantErr: `unsupported scheme "http"`},
		{dsn: "sqlite:vigil\x00.db", wantErr: "NUL"},
		{dsn: "vigil.db\x00", wantErr: "NUL"},
		{dsn: "sqlite:" + strings.Repeat("a", maxDSNLength), wantErr: "longer than"},
	}
	for _, c := range cases {
		t.Run(c.dsn, func(t *testing.T) {
			got, err := Parse(c.dsn)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error containing %q", c.dsn, got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", c.dsn, got, err, c.want)
			}
		})
	}
}

func TestParseKeepsPasswordsOutOfErrors(t *testing.T) {
	for _, dsn := range []string{"postgres:user:s3cret@db", "mysql://user:s3cret@db/x", "postgres:s3cret"} {
		_, err := Parse(dsn)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Parse(%q) error reveals the password: %v", dsn, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"sqlite:./vigil.db", "sqlite::memory:", "sqlite:///a", "vigil.db", "C:\\x.db",
		"postgres://u:p@h/d", "postgresql://h/d", "mysql://x", "", "sqlite:", ":", "a:", "::", "sqlite:\x00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		target, err := Parse(dsn)
		if err != nil {
			return
		}
		switch target.Backend {
		case BackendSQLite:
			if target.Path == "" || target.URL != "" {
				t.Fatalf("Parse(%q) = %+v: SQLite needs a path and no URL", dsn, target)
			}
			if !strings.HasSuffix(dsn, target.Path) {
				t.Fatalf("Parse(%q) path %q is not the end of the DSN", dsn, target.Path)
			}
		case BackendPostgres:
			if target.URL != dsn || target.Path != "" {
				t.Fatalf("Parse(%q) = %+v: PostgreSQL keeps the DSN as its URL", dsn, target)
			}
		default:
			t.Fatalf("Parse(%q) backend %q", dsn, target.Backend)
		}
		if len(dsn) > maxDSNLength || strings.IndexByte(dsn, 0) >= 0 {
			t.Fatalf("Parse(%q) accepted an oversized or NUL-holding DSN", dsn)
		}
	})
}

func assertMigrated(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 2 {
		t.Fatalf("SchemaVersion = %d, %v; want a migrated store", v, err)
	}
	o := store.Object{Kind: store.KindTeam, ID: "a", Body: []byte(`{}`), Source: store.SourceAPI}
	if err := s.ApplyChanges(ctx, []store.Change{{Object: o}}, nil); err != nil {
		t.Fatalf("ApplyChanges: %v", err)
	}
}

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{
		"sqlite:" + filepath.Join(dir, "a.db"),
		filepath.Join(dir, "b.db"),
		"sqlite:" + "//" + filepath.Join(dir, "c.db"),
		"sqlite::memory:",
	} {
		t.Run(dsn, func(t *testing.T) {
			s, err := Open(context.Background(), dsn)
			if err != nil {
				t.Fatalf("Open(%q): %v", dsn, err)
			}
			defer s.Close()
			assertMigrated(t, s)
		})
	}
	for _, name := range []string{"a.db", "b.db", "c.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("database file: %v", err)
		}
	}
}

func TestOpenPostgres(t *testing.T) {
	s, err := Open(context.Background(), pgtest.Schema(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	assertMigrated(t, s)
}

func TestOpenFails(t *testing.T) {
	cases := []string{
		"",
		"mysql://root@db/vigil",
		"sqlite:" + filepath.Join(t.TempDir(), "missing", "vigil.db"),
		"postgres://vigil:s3cret@127.0.0.1:1/vigil?sslmode=disable&connect_timeout=2",
	}
	for _, dsn := range cases {
		t.Run(dsn, func(t *testing.T) {
			s, err := Open(context.Background(), dsn)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", dsn)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}
