package vigiltest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update is the -update flag of every test binary that imports this
// package: `go test ./internal/notify/... -update` rewrites the golden
// files from what the code makes now, for a reviewer to read in the diff.
var update = flag.Bool("update", false, "rewrite golden files (testdata/*.golden) with the output the code makes now")

// Golden compares got, a whole output, with the file testdata/name.golden
// of the package under test. With -update it writes got to the file
// instead. A mismatch shows both, and where they first differ.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run the test with -update to write it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	at := 0
	for at < len(got) && at < len(want) && got[at] == want[at] {
		at++
	}
	line := 1 + bytes.Count(want[:at], []byte("\n"))
	t.Errorf("output differs from %s from line %d on (run with -update if the change is meant)\n--- got\n%s\n--- want\n%s", path, line, got, want)
}
