package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/vigil-oncall/vigil/internal/clock"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/routing"
)

// oncallQuery names what to ask about: kind is "service", "team",
// "schedule", or "" for every schedule.
type oncallQuery struct {
	kind, id string
}

func runOncall(ctx context.Context, args []string, env Env) int {
	if len(args) > 0 && args[0] == "cover" {
		return runVerb(ctx, "oncall cover", coverUsage, coverVerbs(), args[1:], env)
	}
	fs := newFlags("oncall", "[--schedule S | --team T | --service X] [--at TIME] [--server URL | --config FILE|DIR] [--json]\n       vigil oncall cover request|list|accept|cancel ...   (shift swaps: vigil oncall cover --help)", env)
	scheduleID := fs.String("schedule", "", "who is on call on this schedule")
	teamID := fs.String("team", "", "who a page to this team reaches")
	serviceID := fs.String("service", "", "who an alert on this service pages first")
	atText := fs.String("at", "", "an RFC 3339 instant such as 2026-02-03T09:00:00+01:00 (default: now)")
	server := serverFlag(fs)
	configPath := fs.String("config", "", "answer offline from configuration files (a file or a directory), without a server")
	asJSON := fs.Bool("json", false, "print JSON")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	var q oncallQuery
	for _, c := range []oncallQuery{{"schedule", *scheduleID}, {"team", *teamID}, {"service", *serviceID}} {
		if c.id == "" {
			continue
		}
		if q.kind != "" {
			fmt.Fprintln(env.Stderr, "vigil oncall: give at most one of --schedule, --team and --service")
			return exitError
		}
		q = c
	}
	if *server != "" && *configPath != "" {
		fmt.Fprintln(env.Stderr, "vigil oncall: give either --server or --config, not both")
		return exitError
	}
	var at time.Time
	if *atText != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, *atText); err != nil {
			fmt.Fprintf(env.Stderr, "vigil oncall: --at %q is not an RFC 3339 time such as 2026-02-03T09:00:00+01:00\n", *atText)
			return exitError
		}
	}

	var answers []routing.Answer
	if *configPath != "" {
		loaded, ok := loadConfig([]string{*configPath}, env)
		if !ok {
			return exitFail
		}
		if at.IsZero() {
			now, err := clock.FromEnv(env.Getenv)
			if err != nil {
				fmt.Fprintf(env.Stderr, "vigil oncall: %v\n", err)
				return exitError
			}
			at = now()
		}
		var err error
		if answers, err = oncallOffline(org.SnapshotOf(&loaded.Bundle), q, at); err != nil {
			fmt.Fprintf(env.Stderr, "vigil oncall: %v\n", err)
			return exitError
		}
	} else {
		c, err := newClient(*server, env)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil oncall: %v (or pass --config FILE|DIR to answer from the files)\n", err)
			return exitError
		}
		if answers, err = oncallOnline(ctx, c, q, at); err != nil {
			fmt.Fprintf(env.Stderr, "vigil oncall: %v\n", err)
			return exitError
		}
	}

	if *asJSON {
		var v any = answers
		if q.kind != "" {
			v = answers[0]
		}
		printJSON(env, v)
		return exitOK
	}
	printOncall(env, answers)
	return exitOK
}

// printOncall writes one line per user: id, name and why they are paged;
// notes go to stderr.
func printOncall(env Env, answers []routing.Answer) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, a := range answers {
		for _, u := range a.OnCall {
			name := u.Name
			if name == "" {
				name = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.ID, name, u.Reason)
		}
	}
	tw.Flush()
	for _, a := range answers {
		for _, n := range a.Notes {
			fmt.Fprintf(env.Stderr, "vigil oncall: %s\n", n)
		}
	}
}

// oncallOffline answers from configuration files alone.
func oncallOffline(snap *org.Snapshot, q oncallQuery, at time.Time) ([]routing.Answer, error) {
	oc := routing.NewOnCall()
	ask := func(q oncallQuery) (routing.Answer, error) {
		a, err := oc.Ask(snap, q.kind, q.id, at)
		if errors.Is(err, org.ErrNotFound) {
			return a, fmt.Errorf("unknown %s %q in the files", q.kind, q.id)
		}
		return a, err
	}
	return askOncall(q, ask, func() ([]string, error) {
		ids := make([]string, 0, len(snap.Bundle.Schedules))
		for _, s := range snap.Bundle.Schedules {
			ids = append(ids, s.ID)
		}
		sort.Strings(ids)
		return ids, nil
	})
}

// askOncall answers q, or, when q names nothing, every schedule that
// schedules lists, in its order.
func askOncall(q oncallQuery, ask func(oncallQuery) (routing.Answer, error), schedules func() ([]string, error)) ([]routing.Answer, error) {
	if q.kind != "" {
		a, err := ask(q)
		if err != nil {
			return nil, err
		}
		return []routing.Answer{a}, nil
	}
	ids, err := schedules()
	if err != nil {
		return nil, err
	}
	answers := make([]routing.Answer, 0, len(ids))
	for _, id := range ids {
		a, err := ask(oncallQuery{"schedule", id})
		if err != nil {
			return nil, err
		}
		answers = append(answers, a)
	}
	return answers, nil
}

// oncallOnline asks a server; a zero at leaves the instant to the server.
func oncallOnline(ctx context.Context, c *client, q oncallQuery, at time.Time) ([]routing.Answer, error) {
	ask := func(q oncallQuery) (routing.Answer, error) {
		v := url.Values{q.kind: {q.id}}
		if !at.IsZero() {
			v.Set("at", at.Format(time.RFC3339Nano))
		}
		var a routing.Answer
		err := c.do(ctx, "GET", "/api/v1/oncall?"+v.Encode(), nil, &a)
		return a, err
	}
	return askOncall(q, ask, func() ([]string, error) { return scheduleIDs(ctx, c) })
}

// scheduleIDs lists every schedule's id, following the pages.
func scheduleIDs(ctx context.Context, c *client) ([]string, error) {
	schedules, err := getAll[struct {
		ID string `json:"id"`
	}](ctx, c, "/api/v1/schedules", nil, "schedules")
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(schedules))
	for i, s := range schedules {
		ids[i] = s.ID
	}
	return ids, nil
}
