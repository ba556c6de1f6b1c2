package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable prints the result as a two-column table.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", name, fmt.Sprintf(format, args...))
	}
	row("requests sent", "%d", r.Sent)
	row("answered 2xx", "%d", r.OK)
	row("answered other", "%s", r.statusText())
	row("errors", "%d%s", r.Errors, firstError(r.FirstError))
	row("elapsed", "%s", r.Elapsed.Round(time.Millisecond))
	row("accepted events/s", "%.0f median of %d whole seconds, %.0f overall", r.MedianPerSecond(), len(r.PerSecond), r.Rate())
	row("request latency", "%s", r.Latency)
	if p := r.Pages; p != nil {
		row("pages received", "%d of %d expected (%d repeats)", p.Received, p.Expected, p.Repeats)
		row("trigger-to-page latency", "%s", p.Latency)
	}
	return tw.Flush()
}

func (r *Result) statusText() string {
	if len(r.Status) == 0 {
		return "0"
	}
	codes := make([]int, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d×%d", r.Status[c], c)
	}
	return strings.Join(parts, ", ")
}

func firstError(e string) string {
	if e == "" {
		return ""
	}
	return " (first: " + e + ")"
}

// String prints p50, p90, p99 and max in milliseconds.
func (s Summary) String() string {
	if s.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (n=%d)", ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), s.Count)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// jsonSummary is a Summary in milliseconds.
type jsonSummary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func (s Summary) inMillis() jsonSummary {
	f := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return jsonSummary{Count: s.Count, P50: f(s.P50), P90: f(s.P90), P99: f(s.P99), Max: f(s.Max)}
}

type jsonPages struct {
	Expected int         `json:"expected"`
	Received int         `json:"received"`
	Repeats  int         `json:"repeats"`
	Latency  jsonSummary `json:"latency"`
}

// WriteJSON prints the result as one JSON object, for scripts.
func (r *Result) WriteJSON(w io.Writer) error {
	status := map[string]int64{}
	for c, n := range r.Status {
		status[fmt.Sprint(c)] = n
	}
	out := struct {
		Sent            int64            `json:"sent"`
		OK              int64            `json:"ok"`
		Status          map[string]int64 `json:"status"`
		Errors          int64            `json:"errors"`
		FirstError      string           `json:"first_error,omitempty"`
		ElapsedSeconds  float64          `json:"elapsed_s"`
		PerSecond       []int64          `json:"per_second"`
		MedianPerSecond float64          `json:"median_per_second"`
		Rate            float64          `json:"rate"`
		Latency         jsonSummary      `json:"latency"`
		Pages           *jsonPages       `json:"pages,omitempty"`
	}{
		Sent: r.Sent, OK: r.OK, Status: status, Errors: r.Errors, FirstError: r.FirstError,
		ElapsedSeconds: r.Elapsed.Seconds(), PerSecond: r.PerSecond,
		MedianPerSecond: r.MedianPerSecond(), Rate: r.Rate(), Latency: r.Latency.inMillis(),
	}
	if out.PerSecond == nil {
		out.PerSecond = []int64{}
	}
	if p := r.Pages; p != nil {
		out.Pages = &jsonPages{p.Expected, p.Received, p.Repeats, p.Latency.inMillis()}
	}
	enc := json.NewEncoder(w)
	return enc.Encode(out)
}
