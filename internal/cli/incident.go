package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// incidentSummary is what the CLI reads of an incident.
type incidentSummary struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Status    string    `json:"status"`
	Severity  string    `json:"severity"`
	Urgency   string    `json:"urgency"`
	Major     bool      `json:"major"`
	Services  []string  `json:"services"`
	CreatedAt time.Time `json:"created_at"`
	// Unchanged answers an action that already held, as Message says.
	Unchanged bool   `json:"unchanged"`
	Message   string `json:"message"`
}

const incidentUsage = "Usage: vigil incident list|ack|resolve|declare|page|role|update|major|merge [flags]   (vigil incident <verb> --help)\n"

func incidentVerbs() verbs {
	return verbs{
		"list":    runIncidentList,
		"ack":     incidentVerb("ack", "acknowledge"),
		"resolve": incidentVerb("resolve", "resolve"),
		"declare": runIncidentDeclare,
		"page": incidentPost("page", "page", "ID (--user U | --team T) [--message M]",
			postField{"user", "page this user"}, postField{"team", "page this team's on-call"}, postField{"message", "what the responders are asked to do"}),
		"role": incidentPost("role", "roles", "ID --role commander|comms|scribe --user U",
			postField{"role", "commander, comms or scribe"}, postField{"user", "who takes the role (a handover when someone held it)"}),
		"update": incidentPost("update", "updates", "ID --message M [--audience internal|stakeholders]",
			postField{"message", "the status update"}, postField{"audience", "internal (the responders, default) or stakeholders (the subscribers)"}),
		"major": incidentPost("major", "major", "ID [--reason R]", postField{"reason", "why the incident is major (on the timeline)"}),
		"merge": incidentPost("merge", "merge", "ID --incident OTHER", postField{"incident", "the incident to merge into this one"}),
	}
}

func runIncidentList(ctx context.Context, args []string, env Env) int {
	fs := newFlags("incident list", "[--status S,...] [--service ID] [--json]", env)
	server := serverFlag(fs)
	status := fs.String("status", "", "triggered, acknowledged, resolved, comma-separated (default: open)")
	service := fs.String("service", "", "only incidents on this service")
	limit := fs.Int("limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil incident list: %v\n", err)
		return exitError
	}
	q := url.Values{}
	if *status != "" {
		q.Set("status", *status)
	}
	if *service != "" {
		q.Set("service", *service)
	}
	q.Set("limit", strconv.Itoa(*limit))
	err = printList(ctx, c, "/api/v1/incidents?"+q.Encode(), "incidents", *asJSON, env, "ID\tSTATUS\tSEVERITY\tURGENCY\tSERVICES\tOPENED\tTITLE",
		func(inc incidentSummary) string {
			sev := inc.Severity
			if inc.Major {
				sev += " major"
			}
			return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s", inc.ID, inc.Status, sev, inc.Urgency,
				strings.Join(inc.Services, ","), inc.CreatedAt.Local().Format("2006-01-02 15:04"), inc.Title)
		})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil incident list: %v\n", err)
		return exitError
	}
	return exitOK
}

// incidentVerb acts on one or more incidents by id.
func incidentVerb(name, verb string) func(context.Context, []string, Env) int {
	return func(ctx context.Context, args []string, env Env) int {
		fs := newFlags("incident "+name, "ID [ID...]", env)
		server := serverFlag(fs)
		note := fs.String("note", "", "a note for the timeline (resolve)")
		ids, code, done := parseArgs(fs, args, env)
		if done {
			return code
		}
		if len(ids) == 0 {
			fmt.Fprintf(env.Stderr, "vigil incident %s: give at least one incident id\n", name)
			return exitError
		}
		if !checkIDs("incident "+name, ids, env) {
			return exitError
		}
		c, err := newClient(*server, env)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil incident %s: %v\n", name, err)
			return exitError
		}
		code = exitOK
		for _, id := range ids {
			var inc incidentSummary
			body := map[string]string{"channel": "cli"}
			if *note != "" {
				body["note"] = *note
			}
			if err := c.do(ctx, "POST", "/api/v1/incidents/"+id+"/"+verb, body, &inc); err != nil {
				fmt.Fprintf(env.Stderr, "vigil incident %s %s: %v\n", name, id, err)
				code = exitFail
				continue
			}
			if inc.Unchanged {
				fmt.Fprintf(env.Stdout, "incident %d was already %s: %s\n", inc.ID, inc.Status, inc.Title)
				continue
			}
			fmt.Fprintf(env.Stdout, "incident %d %s: %s\n", inc.ID, inc.Status, inc.Title)
		}
		return code
	}
}

// oneIncident parses the arguments of "vigil cmd", which takes one
// incident id, and makes the client of the server given; done reports
// that the command ends there with code. server is read after parsing.
func oneIncident(cmd string, fs *flag.FlagSet, server *string, args []string, env Env) (id string, c *client, code int, done bool) {
	ids, code, done := parseArgs(fs, args, env)
	if done {
		return "", nil, code, true
	}
	if len(ids) != 1 {
		fmt.Fprintf(env.Stderr, "vigil %s: give one incident id\n", cmd)
		return "", nil, exitError, true
	}
	if !checkIDs(cmd, ids, env) {
		return "", nil, exitError, true
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil %s: %v\n", cmd, err)
		return "", nil, exitError, true
	}
	return ids[0], c, exitOK, false
}

// checkIDs reports, and refuses, arguments that are not incident ids.
func checkIDs(name string, ids []string, env Env) bool {
	for _, id := range ids {
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
			fmt.Fprintf(env.Stderr, "vigil %s: %q is not an incident id (a positive number)\n", name, id)
			return false
		}
	}
	return true
}

func runIncidentDeclare(ctx context.Context, args []string, env Env) int {
	fs := newFlags("incident declare", "--service ID [--service ID...] --title T [--severity SEV1..SEV4] [--major] [--message M]", env)
	server := serverFlag(fs)
	var services multiFlag
	fs.Var(&services, "service", "affected service (repeat for several; the first is where it opens)")
	title := fs.String("title", "", "what is wrong (required)")
	severity := fs.String("severity", "SEV2", "SEV1 (major), SEV2, SEV3 or SEV4")
	major := fs.Bool("major", false, "a major incident: pages the global IRT, which takes command")
	message := fs.String("message", "", "a first note for the timeline")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	if len(services) == 0 || *title == "" {
		fmt.Fprintln(env.Stderr, "vigil incident declare: --service and --title are required")
		return exitError
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil incident declare: %v\n", err)
		return exitError
	}
	var inc incidentSummary
	body := map[string]any{"services": []string(services), "title": *title, "severity": *severity, "major": *major, "message": *message, "channel": "cli"}
	if err := c.do(ctx, "POST", "/api/v1/incidents", body, &inc); err != nil {
		fmt.Fprintf(env.Stderr, "vigil incident declare: %v\n", err)
		return exitFail
	}
	major2 := ""
	if inc.Major {
		major2 = " (major)"
	}
	fmt.Fprintf(env.Stdout, "incident %d declared%s: %s %s on %s\n", inc.ID, major2, inc.Severity, inc.Title, strings.Join(inc.Services, ", "))
	return exitOK
}

// postField is a string flag of an incidentPost verb, sent as the JSON
// field of the same name.
type postField struct{ name, help string }

// incidentPost makes the verb name that POSTs its flags to
// /api/v1/incidents/{id}/{path}.
func incidentPost(name, path, synopsis string, fields ...postField) func(context.Context, []string, Env) int {
	return func(ctx context.Context, args []string, env Env) int {
		fs := newFlags("incident "+name, synopsis, env)
		server := serverFlag(fs)
		values := map[string]*string{}
		for _, f := range fields {
			values[f.name] = fs.String(f.name, "", f.help)
		}
		id, c, code, done := oneIncident("incident "+name, fs, server, args, env)
		if done {
			return code
		}
		body := map[string]any{"channel": "cli"}
		for k, v := range values {
			if *v == "" {
				continue
			}
			if k == "incident" {
				n, err := strconv.ParseInt(*v, 10, 64)
				if err != nil {
					fmt.Fprintf(env.Stderr, "vigil incident %s: --incident must be a number\n", name)
					return exitError
				}
				body[k] = n
				continue
			}
			body[k] = *v
		}
		var inc incidentSummary
		if err := c.do(ctx, "POST", "/api/v1/incidents/"+id+"/"+path, body, &inc); err != nil {
			fmt.Fprintf(env.Stderr, "vigil incident %s: %v\n", name, err)
			return exitFail
		}
		fmt.Fprintf(env.Stdout, "incident %d %s: %s\n", inc.ID, inc.Status, inc.Title)
		return exitOK
	}
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// listPage reads one page of a list from the server: the items under key.
// With asJSON it prints them as a JSON array and is done; it is done, with
// the exit code, on an error too (said on standard error as command cmd).
func listPage(ctx context.Context, c *client, env Env, cmd, path, key string, asJSON bool) (items []json.RawMessage, code int, done bool) {
	items, err := getList(ctx, c, path, key)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil %s: %v\n", cmd, err)
		return nil, exitError, true
	}
	if asJSON {
		printJSON(env, items)
		return items, exitOK, true
	}
	return items, exitOK, false
}
