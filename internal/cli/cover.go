package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/cover"
)

const coverUsage = "Usage: vigil oncall cover request|list|accept|cancel [flags]   (vigil oncall cover <verb> --help)\n"

func coverVerbs() verbs {
	return verbs{
		"request": runCoverRequest,
		"list":    runCoverList,
		"accept":  coverAction("accept", "accept", "you cover for the requester: the first to accept gets the shifts"),
		"cancel":  coverAction("cancel", "cancel", "withdraw your open request"),
	}
}

// coverFail prints err and picks the exit code: 1 when the server said
// no (the request is taken, or not yours to take), 2 when it could not run.
func coverFail(env Env, verb string, err error) int {
	fmt.Fprintf(env.Stderr, "vigil oncall cover %s: %v\n", verb, err)
	var apiErr *apiError
	if errors.As(err, &apiErr) && (apiErr.Status == 409 || apiErr.Status == 403) {
		return exitFail
	}
	return exitError
}

func runCoverRequest(ctx context.Context, args []string, env Env) int {
	fs := newFlags("oncall cover request", "--schedule S --from TIME --to TIME [--open] [--message M] [--user U]", env)
	server := serverFlag(fs)
	schedule := fs.String("schedule", "", "the schedule you are on call on (required)")
	from := fs.String("from", "", "the span's start, RFC 3339 (required)")
	to := fs.String("to", "", "the span's end, RFC 3339, exclusive (required)")
	open := fs.Bool("open", false, "ask everyone, not only your teammates")
	message := fs.String("message", "", "a note for those asked")
	user := fs.String("user", "", "ask for this user (admins; default: the token's user)")
	asJSON := fs.Bool("json", false, "print JSON")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	body := map[string]any{"schedule": *schedule, "open": *open}
	if *schedule == "" {
		fmt.Fprintln(env.Stderr, "vigil oncall cover request: --schedule is required")
		return exitError
	}
	for _, t := range []struct{ flag, value, field string }{{"from", *from, "start"}, {"to", *to, "end"}} {
		at, err := time.Parse(time.RFC3339, t.value)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil oncall cover request: --%s %q is not an RFC 3339 time such as 2026-02-03T09:00:00+01:00\n", t.flag, t.value)
			return exitError
		}
		body[t.field] = at
	}
	if *message != "" {
		body["message"] = *message
	}
	if *user != "" {
		body["requester"] = *user
	}
	c, err := newClient(*server, env)
	if err != nil {
		return coverFail(env, "request", err)
	}
	var r cover.Request
	var raw json.RawMessage
	if err := c.do(ctx, "POST", "/api/v1/cover_requests", body, &raw); err != nil {
		return coverFail(env, "request", err)
	}
	if *asJSON {
		fmt.Fprintln(env.Stdout, string(raw))
		return exitOK
	}
	_ = json.Unmarshal(raw, &r)
	who := "your teammates"
	if r.Open {
		who = "everyone"
	}
	fmt.Fprintf(env.Stdout, "cover request %d: %s on %s from %s to %s; %s (%s) are told in their business hours\n", r.ID, r.Requester, r.Schedule,
		r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339), who, strings.Join(r.Candidates, ", "))
	return exitOK
}

func runCoverList(ctx context.Context, args []string, env Env) int {
	fs := newFlags("oncall cover list", "[--schedule S] [--status open,accepted,cancelled,expired] [--user U] [--json]", env)
	server := serverFlag(fs)
	schedule := fs.String("schedule", "", "only this schedule's requests")
	status := fs.String("status", "", "open, accepted, cancelled, expired, comma-separated (default: all)")
	user := fs.String("user", "", "only requests this user made or accepted")
	limit := fs.Int("limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	c, err := newClient(*server, env)
	if err != nil {
		return coverFail(env, "list", err)
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	for k, v := range map[string]string{"schedule": *schedule, "status": *status, "user": *user} {
		if v != "" {
			q.Set(k, v)
		}
	}
	err = printList(ctx, c, "/api/v1/cover_requests?"+q.Encode(), "cover_requests", *asJSON, env, "ID\tSTATUS\tSCHEDULE\tREQUESTER\tFROM\tTO\tCOVERED BY\tASKED",
		func(r cover.Request) string {
			asked := strings.Join(r.Candidates, ",")
			if r.Open {
				asked = "everyone"
			}
			return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r.ID, r.Status, r.Schedule, r.Requester,
				r.Start.Local().Format("2006-01-02 15:04"), r.End.Local().Format("2006-01-02 15:04"), r.AcceptedBy, asked)
		})
	if err != nil {
		return coverFail(env, "list", err)
	}
	return exitOK
}

// coverAction accepts or withdraws one request by id.
func coverAction(name, verb, summary string) func(context.Context, []string, Env) int {
	return func(ctx context.Context, args []string, env Env) int {
		synopsis := "ID   (" + summary + ")"
		fs := newFlags("oncall cover "+name, synopsis, env)
		server := serverFlag(fs)
		var user *string
		if verb == "accept" {
			user = fs.String("user", "", "accept for this user (admins; default: the token's user)")
		}
		ids, code, done := parseArgs(fs, args, env)
		if done {
			return code
		}
		if len(ids) != 1 {
			fmt.Fprintf(env.Stderr, "vigil oncall cover %s: give one cover request id\n", name)
			return exitError
		}
		id, err := strconv.ParseInt(ids[0], 10, 64)
		if err != nil || id <= 0 {
			fmt.Fprintf(env.Stderr, "vigil oncall cover %s: %q is not a cover request id (a positive number)\n", name, ids[0])
			return exitError
		}
		c, err := newClient(*server, env)
		if err != nil {
			return coverFail(env, name, err)
		}
		var body any
		if user != nil && *user != "" {
			body = map[string]string{"user": *user}
		}
		var r cover.Request
		if err := c.do(ctx, "POST", fmt.Sprintf("/api/v1/cover_requests/%d/%s", id, verb), body, &r); err != nil {
			return coverFail(env, name, err)
		}
		if r.Status == "accepted" {
			fmt.Fprintf(env.Stdout, "cover request %d accepted: %s covers for %s on %s from %s to %s (override %s)\n", r.ID, r.AcceptedBy, r.Requester,
				r.Schedule, r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339), r.OverrideID)
		} else {
			fmt.Fprintf(env.Stdout, "cover request %d %s\n", r.ID, r.Status)
		}
		return exitOK
	}
}
