package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Limits on what an import reads, far above any real account, so that a
// hostile directory or server cannot exhaust memory.
const (
	MaxResponse = 32 << 20  // one saved response (a page or an object)
	MaxTotal    = 256 << 20 // everything read in one import
	MaxPages    = 1000      // pages of one list
)

// ErrTooLarge is returned when a response or the whole import passes the
// limits above.
var ErrTooLarge = errors.New("larger than an import reads")

// Source gives an importer the vendor's REST API responses: saved as files
// in a directory (Dir), or fetched live (API).
type Source interface {
	// Pages returns the pages of a list in order: "users" is users.json,
	// then users-2.json, users-3.json... Missing is not an error: a list
	// that is not there has no pages.
	Pages(ctx context.Context, list string) ([][]byte, error)
	// Object returns one detail response, such as "schedules/PS9PAY1"
	// (the file schedules/PS9PAY1.json, or GET /schedules/PS9PAY1); found
	// is false when there is none.
	Object(ctx context.Context, path string) (body []byte, found bool, err error)
	// Where names the source for messages and the report.
	Where() string
}

// CheckPath refuses a list or object path that could reach outside the
// source: each segment is letters, digits, '-', '_' or '.', and not "." or
// "..". Importers build paths from ids found in the files, so a hostile id
// must not become "../../etc/passwd".
func CheckPath(path string) error {
	if path == "" || len(path) > 512 {
		return fmt.Errorf("path %.80q: empty or too long", path)
	}
	for _, seg := range strings.Split(path, "/") {
		ok := seg != "" && seg != "." && seg != ".."
		for i := 0; ok && i < len(seg); i++ {
			c := seg[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		}
		if !ok {
			return fmt.Errorf("path %.80q: each part may hold only letters, digits, '-', '_' and '.'", path)
		}
	}
	return nil
}

// SafeID reports whether an id read from a file can name an object path.
func SafeID(id string) bool {
	return id != "" && len(id) <= 128 && CheckPath(id) == nil && !strings.Contains(id, "/")
}

// PageFile names the file of page n (from 1) of a list: LIST.json, then
// LIST-2.json, LIST-3.json...
func PageFile(list string, n int) string {
	if n > 1 {
		return list + "-" + strconv.Itoa(n) + ".json"
	}
	return list + ".json"
}

// Dir reads responses saved as files: list pages as LIST.json, LIST-2.json
// ..., objects as PATH.json.
type Dir struct {
	Root string
	read int64 // bytes read so far, against MaxTotal
	seen map[string]bool
}

// NewDir returns a source reading the directory root.
func NewDir(root string) (*Dir, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", root, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	return &Dir{Root: root, seen: map[string]bool{}}, nil
}

// Where is the directory.
func (d *Dir) Where() string { return d.Root }

// Pages reads LIST.json, LIST-2.json... until one is missing.
func (d *Dir) Pages(ctx context.Context, list string) ([][]byte, error) {
	if err := CheckPath(list); err != nil {
		return nil, err
	}
	var pages [][]byte
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		body, found, err := d.file(PageFile(list, n))
		if err != nil {
			return nil, err
		}
		if !found {
			return pages, nil
		}
		if n > MaxPages {
			return nil, fmt.Errorf("%s: more than %d pages", list, MaxPages)
		}
		pages = append(pages, body)
	}
}

// Object reads PATH.json.
func (d *Dir) Object(ctx context.Context, path string) ([]byte, bool, error) {
	if err := CheckPath(path); err != nil {
		return nil, false, err
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	return d.file(path + ".json")
}

func (d *Dir) file(name string) ([]byte, bool, error) {
	p := filepath.Join(d.Root, filepath.FromSlash(name))
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, false, fmt.Errorf("read %s: not a regular file", name)
	}
	body, err := io.ReadAll(io.LimitReader(f, MaxResponse+1))
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", name, err)
	}
	if len(body) > MaxResponse {
		return nil, false, fmt.Errorf("read %s: %w (%d MiB at most)", name, ErrTooLarge, MaxResponse>>20)
	}
	if d.read += int64(len(body)); d.read > MaxTotal {
		return nil, false, fmt.Errorf("read %s: the files together are %w (%d MiB at most)", name, ErrTooLarge, MaxTotal>>20)
	}
	d.seen[filepath.ToSlash(name)] = true
	return body, true, nil
}

// Unread lists the *.json files under the directory that the import did
// not read, so that the report can name them: a file nobody looked at is
// something dropped silently.
func (d *Dir) Unread() []string {
	var out []string
	_ = filepath.WalkDir(d.Root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		rel, err := filepath.Rel(d.Root, p)
		if err == nil && !d.seen[filepath.ToSlash(rel)] {
			out = append(out, filepath.ToSlash(rel))
		}
		if len(out) >= 200 {
			return fs.SkipAll
		}
		return nil
	})
	return out
}
