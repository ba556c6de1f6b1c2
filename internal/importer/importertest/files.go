package importertest

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/importer"
)

// Files is a source held in memory: file name (as under a Dir) to
// content. Tests and fuzz targets change one file of a fixture without
// touching the disk.
type Files map[string][]byte

// ReadFiles loads every file under dir.
func ReadFiles(t testing.TB, dir string) Files {
	t.Helper()
	files := Files{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// With returns a copy with files replaced; an empty content removes one.
func (f Files) With(changes map[string]string) Files {
	out := maps.Clone(f)
	for name, body := range changes {
		if body == "" {
			delete(out, name)
		} else {
			out[name] = []byte(body)
		}
	}
	return out
}

// Where names the source.
func (f Files) Where() string { return "memory" }

// Pages reads LIST.json, LIST-2.json... as a Dir does.
func (f Files) Pages(ctx context.Context, list string) ([][]byte, error) {
	if err := importer.CheckPath(list); err != nil {
		return nil, err
	}
	var pages [][]byte
	for n := 1; ; n++ {
		body, ok := f[importer.PageFile(list, n)]
		if !ok {
			return pages, ctx.Err()
		}
		pages = append(pages, body)
	}
}

// Object reads PATH.json.
func (f Files) Object(ctx context.Context, path string) ([]byte, bool, error) {
	if err := importer.CheckPath(path); err != nil {
		return nil, false, err
	}
	body, ok := f[path+".json"]
	return body, ok, ctx.Err()
}

// Write puts the files in a new temporary directory, for a Dir.
func (f Files) Write(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range f {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Has reports whether a name is one of the files, for fuzz targets that
// only change existing ones.
func (f Files) Has(name string) bool {
	_, ok := f[name]
	return ok && !strings.Contains(name, "..")
}

// Fuzz is a vendor's fuzz target: its fixture with one of the files names
// lists replaced by the fuzzer's bytes. Whatever they hold, the import (at Now)
// fails with an error or gives a configuration that validates.
func Fuzz(f *testing.F, dir string, names []string, run Importer) {
	fixture := ReadFiles(f, dir)
	for _, name := range names {
		f.Add(name, string(fixture[name]))
	}
	f.Fuzz(func(t *testing.T, name, body string) {
		if !fixture.Has(name) {
			return
		}
		res, err := run(context.Background(), fixture.With(map[string]string{name: body + " "}), importer.Options{Now: Now()})
		if err != nil {
			return
		}
		for _, p := range config.Validate(&res.Bundle) {
			t.Errorf("invalid configuration from %s = %q: %s", name, body, p)
		}
	})
}
