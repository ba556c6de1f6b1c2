// Package vigiltest helps tests that run the vigil binary as a real
// process: it builds ./cmd/vigil once per test binary.
package vigiltest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Build compiles ./cmd/vigil into a fresh temporary directory, runs the
// tests, removes the directory and exits: call it from TestMain.
func Build(m *testing.M, prefix string) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary is the test binary's one build; a test binary is one process, so
// this is the only state, set once by Build.
var binary struct {
	dir  string
	once sync.Once
	err  error
}

// Binary returns the path of the vigil binary, building it on first use.
func Binary(t testing.TB) string {
	t.Helper()
	if binary.dir == "" {
		t.Fatal("vigiltest.Binary needs vigiltest.Build in TestMain")
	}
	bin := filepath.Join(binary.dir, "vigil")
	binary.once.Do(func() {
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			binary.err = fmt.Errorf("find the module root: %w", err)
			return
		}
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/vigil")
		cmd.Dir = strings.TrimSpace(string(root))
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build ./cmd/vigil: %w\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return bin
}
