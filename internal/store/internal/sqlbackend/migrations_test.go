package sqlbackend

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseMigrationName(t *testing.T) {
	cases := []struct {
		name    string
		want    int
		wantErr bool
	}{
		{name: "0001_init.sql", want: 1},
		{name: "0002_audit_details.sql", want: 2},
		{name: "0042_x.sql", want: 42},
		{name: "9999_last_2.sql", want: 9999},
		{name: "0000_zero.sql", wantErr: true},
		{name: "0001_init.SQL", wantErr: true},
		{name: "0001_init", wantErr: true},
		{name: "0001_.sql", wantErr: true},
		{name: "0001.sql", wantErr: true},
		{name: "001_init.sql", wantErr: true},
		{name: "00001_init.sql", wantErr: true},
		{name: "0001-init.sql", wantErr: true},
		{name: "0001_Init.sql", wantErr: true},
		{name: "0001_in it.sql", wantErr: true},
		{name: "0001_../../etc.sql", wantErr: true},
		{name: "+001_init.sql", wantErr: true},
		{name: "-001_init.sql", wantErr: true},
		{name: "٠٠٠١_init.sql", wantErr: true}, // Arabic-Indic digits
		{name: "0001_init.sql.sql", wantErr: true},
		{name: ".sql", wantErr: true},
		{name: "", wantErr: true},
		{name: "0001_" + strings.Repeat("a", 10000) + ".sql", want: 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%.40s", c.name), func(t *testing.T) {
			got, err := ParseMigrationName(c.name)
			if (err != nil) != c.wantErr || got != c.want {
				t.Errorf("ParseMigrationName(%q) = %d, %v; want %d, error %v", c.name, got, err, c.want, c.wantErr)
			}
		})
	}
}

func FuzzParseMigrationName(f *testing.F) {
	for _, seed := range []string{"0001_init.sql", "0000_x.sql", "9999_z.sql", "12345_x.sql", "0001_.sql", "abcd_x.sql", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		version, err := ParseMigrationName(name)
		if err != nil {
			return
		}
		if version < 1 || version > 9999 {
			t.Fatalf("ParseMigrationName(%q) = %d, outside 1..9999", name, version)
		}
		if prefix := fmt.Sprintf("%04d_", version); !strings.HasPrefix(name, prefix) {
			t.Fatalf("ParseMigrationName(%q) = %d, but the name does not start with %q", name, version, prefix)
		}
	})
}

func TestLoadMigrations(t *testing.T) {
	file := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
	cases := []struct {
		name     string
		fsys     fstest.MapFS
		want     []int
		wantErr  string
		wantSQL1 string
	}{
		{
			name: "in order, other files ignored",
			fsys: fstest.MapFS{
				"m/0002_b.sql":   file("CREATE TABLE b (x int);"),
				"m/0001_a.sql":   file("CREATE TABLE a (x int);"),
				"m/README.md":    file("notes"),
				"m/sub/x.sql":    file("ignored: in a subdirectory"),
				"other/0003.sql": file("not in the directory"),
			},
			want:     []int{1, 2},
			wantSQL1: "CREATE TABLE a (x int);",
		},
		{name: "gap", fsys: fstest.MapFS{"m/0001_a.sql": file("x"), "m/0003_c.sql": file("x")}, wantErr: "expected version 2"},
		{name: "duplicate", fsys: fstest.MapFS{"m/0001_a.sql": file("x"), "m/0001_b.sql": file("x")}, wantErr: "expected version 2"},
		{name: "not starting at 1", fsys: fstest.MapFS{"m/0002_b.sql": file("x")}, wantErr: "expected version 1"},
		{name: "bad name", fsys: fstest.MapFS{"m/0001_a.sql": file("x"), "m/2_b.sql": file("x")}, wantErr: "0001_description.sql"},
		{name: "empty file", fsys: fstest.MapFS{"m/0001_a.sql": file(" \n\t")}, wantErr: "empty"},
		{name: "oversized file", fsys: fstest.MapFS{"m/0001_a.sql": file(strings.Repeat("-", maxMigrationSize+1))}, wantErr: "larger than"},
		{name: "no migrations", fsys: fstest.MapFS{"m/README.md": file("x")}, wantErr: "no .sql files"},
		{name: "missing directory", fsys: fstest.MapFS{}, wantErr: "read migrations"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LoadMigrations(c.fsys, "m")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("LoadMigrations = %v, %v; want an error containing %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadMigrations: %v", err)
			}
			var versions []int
			for _, m := range got {
				versions = append(versions, m.Version)
			}
			if fmt.Sprint(versions) != fmt.Sprint(c.want) {
				t.Errorf("versions = %v, want %v", versions, c.want)
			}
			if got[0].SQL != c.wantSQL1 || got[0].Name != "0001_a.sql" {
				t.Errorf("first migration = %q %q", got[0].Name, got[0].SQL)
			}
		})
	}
}

func TestPending(t *testing.T) {
	migrations := []Migration{{Version: 1}, {Version: 2}, {Version: 3}}
	cases := []struct {
		applied  int
		want     []int
		tooNew   bool
		wantFail bool
	}{
		{applied: 0, want: []int{1, 2, 3}},
		{applied: 2, want: []int{3}},
		{applied: 3, want: nil},
		{applied: 4, tooNew: true},
		{applied: -1, wantFail: true},
	}
	for _, c := range cases {
		got, err := Pending(migrations, c.applied)
		switch {
		case c.tooNew:
			if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 4") || !strings.Contains(err.Error(), "up to 3") {
				t.Errorf("Pending(applied %d) error = %v, want ErrSchemaTooNew naming 4 and 3", c.applied, err)
			}
		case c.wantFail:
			if err == nil {
				t.Errorf("Pending(applied %d) succeeded", c.applied)
			}
		default:
			var versions []int
			for _, m := range got {
				versions = append(versions, m.Version)
			}
			if err != nil || fmt.Sprint(versions) != fmt.Sprint(c.want) {
				t.Errorf("Pending(applied %d) = %v, %v; want %v", c.applied, versions, err, c.want)
			}
		}
	}
}
