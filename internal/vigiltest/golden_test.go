package vigiltest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// recordTB keeps what a check reports instead of failing the test; its
// Fatal ends only the goroutine the check runs on, as testing's does.
type recordTB struct {
	testing.TB
	reports []string
}

func (r *recordTB) Helper() {}

func (r *recordTB) Errorf(format string, a ...any) {
	r.reports = append(r.reports, fmt.Sprintf(format, a...))
}

func (r *recordTB) Fatalf(format string, a ...any) {
	r.reports = append(r.reports, fmt.Sprintf(format, a...))
	runtime.Goexit()
}

func (r *recordTB) Fatal(a ...any) {
	r.reports = append(r.reports, fmt.Sprint(a...))
	runtime.Goexit()
}

func TestGolden(t *testing.T) {
	if *update {
		t.Skip("-update rewrites instead of comparing")
	}
	tests := []struct {
		name, got  string
		wantReport string // "" when the output matches
	}{
		{"example", "line one\nline two\n", ""},
		{"example", "line one\nline 2\n", "from line 2 on"},
		{"example", "line one\n", "from line 2 on"},
		{"example", "line one\nline two\nline three\n", "from line 3 on"},
		{"missing", "x", "run the test with -update"},
	}
	for _, tt := range tests {
		r := &recordTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Golden(r, tt.name, []byte(tt.got))
		}()
		<-done
		switch {
		case tt.wantReport == "" && len(r.reports) > 0:
			t.Errorf("%s %q: reported %q, want a match", tt.name, tt.got, r.reports)
		case tt.wantReport != "" && (len(r.reports) != 1 || !strings.Contains(r.reports[0], tt.wantReport)):
			t.Errorf("%s %q: reported %q, want one report with %q", tt.name, tt.got, r.reports, tt.wantReport)
		}
	}
}
