package ops

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/duration"
)

var t0 = time.Date(2026, 3, 2, 3, 4, 5, 0, time.UTC)

func TestRunLife(t *testing.T) {
	r := Run{Operation: "drain", Service: "payments-api", Status: StatusPending, Params: map[string]string{"region": "eu-1", "a": "b"},
		RequestedAt: t0, Timeout: duration.Duration(30 * time.Second)}
	if !r.Active() || r.Duration() != 0 {
		t.Fatalf("pending run: active %v, duration %s", r.Active(), r.Duration())
	}
	Claim(&r, "replica-1", t0.Add(time.Second))
	if r.Status != StatusRunning || r.Claim != "replica-1" || !r.StartedAt.Equal(t0.Add(time.Second)) || !r.ClaimedUntil.Equal(t0.Add(91*time.Second)) {
		t.Fatalf("claimed run = %+v", r)
	}
	done := r
	Finish(&done, "HTTP 200 OK", nil, t0.Add(2500*time.Millisecond))
	if done.Active() || done.Status != StatusSucceeded || done.ClaimedUntil != nil || done.Duration() != 1500*time.Millisecond {
		t.Errorf("finished run = %+v", done)
	}
	if got, want := Summary(&done), "drain on payments-api (a=b, region=eu-1) succeeded in 1.5s"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	failed := r
	Finish(&failed, "HTTP 500", errors.New("the platform answered 500 Internal Server Error"), t0.Add(2*time.Second))
	if got, want := Summary(&failed), "drain on payments-api (a=b, region=eu-1) failed: the platform answered 500 Internal Server Error"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	gone := r
	Abandon(&gone, t0.Add(2*time.Minute))
	if gone.Status != StatusFailed || !strings.Contains(gone.Error, "stopped before it finished (it held the run until 2026-03-02T03:05:36Z); it was not run again") {
		t.Errorf("abandoned run = %+v", gone)
	}
	late := Run{Operation: "drain", Service: "x", Status: StatusPending, RequestedAt: t0}
	Expire(&late, t0.Add(time.Minute))
	if late.Status != StatusFailed || late.StartedAt != nil || !strings.Contains(late.Error, "no runner started it within 30s") {
		t.Errorf("expired run = %+v", late)
	}
}

func TestBound(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{strings.Repeat("x", 20), 12, "xx\n… (cut)"},
		{"ééééé", 10, "ééééé"},
		{"ééééé", 13, "ééééé"},
		{"ééééééé", 13, "é\n… (cut)"}, // never half a character
		{strings.Repeat("é", 10), 14, "éé\n… (cut)"},
		{"ééééé", 5, "éé"}, // no room for the note
	} {
		got := Bound(c.in, c.n)
		if got != c.want || len(got) > c.n || !utf8.ValidString(got) {
			t.Errorf("Bound(%q, %d) = %q (%d bytes), want %q", c.in, c.n, got, len(got), c.want)
		}
	}
}
