package ops

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/duration"
)

// Statuses of a run.
const (
	StatusPending   = "pending"   // requested; no runner has it yet
	StatusRunning   = "running"   // a runner claimed it and is running it
	StatusSucceeded = "succeeded" // a 2xx answer, or exit status 0, within the timeout
	StatusFailed    = "failed"    // anything else, with the reason in Error
)

// Run is one run of an operation on a service: who asked, when, with what,
// and how it went. Secrets never reach it: parameters and the request are
// kept masked, and the output with every secret that went out masked.
type Run struct {
	ID        int64  `json:"id"`
	Operation string `json:"operation"`
	Service   string `json:"service"`
	// Incident is the incident it was run from, 0 for none.
	Incident int64  `json:"incident,omitempty"`
	Status   string `json:"status"`
	Actor    string `json:"actor"`
	// Channel is where it was asked for: api, cli or web.
	Channel string            `json:"channel,omitempty"`
	Params  map[string]string `json:"params"`
	// Request is the rendered request or argument vector, secrets masked.
	Request     string     `json:"request,omitempty"`
	RequestedAt time.Time  `json:"requested_at"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	// Output is what the platform answered or the program printed,
	// bounded to MaxOutput.
	Output string `json:"output"`
	// Error says why a failed run failed.
	Error   string            `json:"error,omitempty"`
	Timeout duration.Duration `json:"timeout"`
	// Claim names the runner that holds a running run, and ClaimedUntil
	// is when that runner is presumed gone if the run is still running.
	Claim        string     `json:"claim,omitempty"`
	ClaimedUntil *time.Time `json:"claimed_until,omitempty"`
}

// Active reports whether the run is waiting or running: one run at a time
// per service and operation may be.
func (r *Run) Active() bool { return r.Status == StatusPending || r.Status == StatusRunning }

// Duration is how long a finished run ran; 0 before it finished.
func (r *Run) Duration() time.Duration {
	if r.StartedAt == nil || r.FinishedAt == nil {
		return 0
	}
	return r.FinishedAt.Sub(*r.StartedAt)
}

// Bounds of a run's life.
const (
	// StartWithin is how long a requested run may wait for a runner: one
	// that waited longer fails rather than run late, when whoever asked
	// has stopped waiting for it.
	StartWithin = 30 * time.Second
	// LeaseGrace is how long past its timeout a running run stays its
	// runner's before it counts as abandoned.
	LeaseGrace = time.Minute
	// MaxOutput bounds a run's output.
	MaxOutput = 64 << 10
)

// Claim hands a pending run to a runner.
func Claim(r *Run, claim string, now time.Time) {
	until := now.Add(r.Timeout.Std() + LeaseGrace)
	r.Status, r.Claim, r.StartedAt, r.ClaimedUntil = StatusRunning, claim, &now, &until
}

// Finish records how a run went: err nil is success.
func Finish(r *Run, output string, err error, now time.Time) {
	r.Status, r.FinishedAt, r.Output, r.ClaimedUntil = StatusSucceeded, &now, Bound(output, MaxOutput), nil
	if err != nil {
		r.Status, r.Error = StatusFailed, Bound(err.Error(), 2048)
	}
}

// Expire fails a run that no runner started in time; it is never run.
func Expire(r *Run, now time.Time) {
	Finish(r, "", fmt.Errorf("no runner started it within %s of the request; it was not run", StartWithin), now)
}

// Abandon fails a run whose runner stopped before it finished (a server
// that died mid-run): what became of it on the platform is unknown, and
// it is never run again on its own.
func Abandon(r *Run, now time.Time) {
	held := now
	if r.ClaimedUntil != nil {
		held = *r.ClaimedUntil
	}
	Finish(r, r.Output, fmt.Errorf("the server running it stopped before it finished (it held the run until %s); it was not run again: check the platform",
		held.UTC().Format(time.RFC3339)), now)
}

// Summary is a run as one line of an incident's timeline.
func Summary(r *Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s", r.Operation, r.Service)
	if params := formatParams(r.Params); params != "" {
		fmt.Fprintf(&b, " (%s)", params)
	}
	switch r.Status {
	case StatusSucceeded:
		fmt.Fprintf(&b, " succeeded in %s", r.Duration().Round(time.Millisecond))
	case StatusFailed:
		fmt.Fprintf(&b, " failed: %s", r.Error)
	default:
		fmt.Fprintf(&b, " %s", r.Status)
	}
	return b.String()
}

func formatParams(params map[string]string) string {
	parts := make([]string, 0, len(params))
	for _, k := range sortedKeys(params) {
		parts = append(parts, k+"="+params[k])
	}
	return strings.Join(parts, ", ")
}

// Bound cuts s to at most n bytes, never inside a character, saying so.
func Bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	note := "\n… (cut)"
	if n < len(note) {
		note = ""
	}
	cut := n - len(note)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + note
}
