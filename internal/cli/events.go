package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

const eventsUsage = `Usage: vigil events suppressed|unrouted [--from TIME] [--to TIME] [--limit N] [--json]

Events of the org-wide integrations that no rule of org.event_rules routed:
  suppressed   those a rule suppressed (kept and counted, never paged)
  unrouted     those no rule routed (without org.unrouted_service each paged the global IRT)
`

func eventsVerbs() verbs {
	return verbs{"suppressed": eventsList("suppressed"), "unrouted": eventsList("unrouted")}
}

// ruledEvent is an entry of the suppressed or unrouted list as the CLI
// reads it.
type ruledEvent struct {
	ID          int64             `json:"id"`
	RecordedAt  time.Time         `json:"recorded_at"`
	Integration string            `json:"integration"`
	Reason      string            `json:"reason"`
	Service     string            `json:"service"`
	Labels      map[string]string `json:"labels"`
	Event       struct {
		DedupKey string `json:"dedup_key"`
		Summary  string `json:"summary"`
		Severity string `json:"severity"`
	} `json:"event"`
	Change *struct {
		Summary string `json:"summary"`
	} `json:"change"`
}

// eventsList lists the events of one list, newest first.
func eventsList(kind string) func(context.Context, []string, Env) int {
	return func(ctx context.Context, args []string, env Env) int {
		name := "events " + kind
		fs := newFlags(name, "[--from TIME] [--to TIME] [--limit N] [--json] [--server URL]\n\nTIME is RFC 3339 or a date (midnight UTC); the period bounds when the events were recorded.", env)
		server := serverFlag(fs)
		from := fs.String("from", "", "only events recorded at or after this time")
		to := fs.String("to", "", "only events recorded before this time")
		limit := fs.Int("limit", 100, "at most this many (1 to 1000)")
		asJSON := fs.Bool("json", false, "print JSON")
		if code, done := parseFlags(fs, args, env); done {
			return code
		}
		if *limit < 1 || *limit > 1000 {
			fmt.Fprintf(env.Stderr, "vigil %s: --limit %d: want 1 to 1000\n", name, *limit)
			return exitError
		}
		q := url.Values{"limit": {strconv.Itoa(*limit)}}
		if !periodQuery(name, *from, *to, q, env) {
			return exitError
		}
		c, err := newClient(*server, env)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil %s: %v\n", name, err)
			return exitError
		}
		events, code, done := listPage(ctx, c, env, name, "/api/v1/events/"+kind+"?"+q.Encode(), "events", *asJSON)
		if done {
			return code
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tRECORDED\tINTEGRATION\tEVENT\tLABELS\tWHY\tSERVICE")
		for _, raw := range events {
			var e ruledEvent
			if err := json.Unmarshal(raw, &e); err != nil {
				fmt.Fprintf(env.Stderr, "vigil %s: %v\n", name, err)
				return exitError
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.RecordedAt.Local().Format("2006-01-02 15:04"), e.Integration,
				e.what(), labelList(e.Labels), e.Reason, orDash(e.Service))
		}
		tw.Flush()
		return exitOK
	}
}

// what names the event: a change by its summary, an alert event by its
// summary (else its dedup key) and severity.
func (e ruledEvent) what() string {
	if e.Change != nil {
		return "change: " + e.Change.Summary
	}
	s := e.Event.Summary
	if s == "" {
		s = e.Event.DedupKey
	}
	if e.Event.Severity != "" {
		s += " (" + e.Event.Severity + ")"
	}
	return s
}

// labelList is labels as name=value, sorted by name, comma-separated.
func labelList(labels map[string]string) string {
	l := make([]string, 0, len(labels))
	for k, v := range labels {
		l = append(l, k+"="+v)
	}
	sort.Strings(l)
	return orDash(strings.Join(l, ","))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
