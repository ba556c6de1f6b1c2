package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-oncall/vigil/internal/postmortem"
)

const postmortemUsage = "Usage: vigil postmortem create|show|edit|item|export ID [flags]   (vigil postmortem <verb> --help)\n" +
	"ID is the incident's id: an incident has at most one post-mortem.\n"

func postmortemVerbs() verbs {
	return verbs{
		"create": postmortemVerb("create", "ID", runPostmortemCreate),
		"show":   postmortemVerb("show", "ID [--json]", runPostmortemShow),
		"edit": postmortemVerb("edit", "ID [--set SECTION=TEXT]... [--set-file SECTION=PATH]... [--status draft|in_review|published] [--version N]",
			runPostmortemEdit),
		"item":   postmortemVerb("item", "ID --title T --team TEAM --due DATE [--url URL]", runPostmortemItem),
		"export": postmortemVerb("export", "ID [-o FILE]", runPostmortemExport),
	}
}

// postmortemAction is what a verb of vigil postmortem does with the
// client and the incident's id, once its flags are parsed.
type postmortemAction func(ctx context.Context, c *client, id string, env Env) int

// postmortemVerb makes the verb name, which takes one incident id and the
// flags that flags declares.
func postmortemVerb(name, synopsis string, flags func(fs *flag.FlagSet) postmortemAction) func(context.Context, []string, Env) int {
	return func(ctx context.Context, args []string, env Env) int {
		fs := newFlags("postmortem "+name, synopsis, env)
		server := serverFlag(fs)
		act := flags(fs)
		id, c, code, done := oneIncident("postmortem "+name, fs, server, args, env)
		if done {
			return code
		}
		return act(ctx, c, id, env)
	}
}

// failed reports an error of vigil postmortem name: the server's refusal
// is a "no" (exit 1).
func failed(env Env, name string, err error) int {
	fmt.Fprintf(env.Stderr, "vigil postmortem %s: %v\n", name, err)
	return exitFail
}

// printPostmortem says in a line where a post-mortem stands.
func printPostmortem(w io.Writer, what string, pm postmortem.Postmortem) {
	fmt.Fprintf(w, "post-mortem of incident %d %s: %s, version %d: %s\n", pm.IncidentID, what, pm.Status, pm.Version, pm.Title)
}

func runPostmortemCreate(*flag.FlagSet) postmortemAction {
	return func(ctx context.Context, c *client, id string, env Env) int {
		var pm postmortem.Postmortem
		if err := c.do(ctx, "POST", "/api/v1/incidents/"+id+"/postmortem", map[string]any{}, &pm); err != nil {
			return failed(env, "create", err)
		}
		printPostmortem(env.Stdout, "drafted", pm)
		printRequirement(env.Stdout, pm)
		return exitOK
	}
}

// printRequirement says whether the policy asks for the post-mortem, why,
// and by when.
func printRequirement(w io.Writer, pm postmortem.Postmortem) {
	if !pm.Required {
		fmt.Fprintln(w, "required: no")
		return
	}
	fmt.Fprintf(w, "required: %s\n", strings.Join(pm.RequiredBecause, "; "))
	if pm.Due != nil {
		overdue := ""
		if pm.Overdue {
			overdue = " (overdue)"
		}
		fmt.Fprintf(w, "due: %s%s\n", pm.Due.Local().Format(time.RFC3339), overdue)
	}
}

func runPostmortemShow(fs *flag.FlagSet) postmortemAction {
	asJSON := fs.Bool("json", false, "print the post-mortem as the API answers it")
	return func(ctx context.Context, c *client, id string, env Env) int {
		var raw json.RawMessage
		if err := c.do(ctx, "GET", "/api/v1/postmortems/"+id, nil, &raw); err != nil {
			return failed(env, "show", err)
		}
		if *asJSON {
			printJSON(env, raw)
			return exitOK
		}
		var pm postmortem.Postmortem
		if err := json.Unmarshal(raw, &pm); err != nil {
			return failed(env, "show", fmt.Errorf("decode the post-mortem: %w", err))
		}
		printPostmortem(env.Stdout, "is", pm)
		fmt.Fprintf(env.Stdout, "owner team: %s; last changed %s by %s\n", pm.OwnerTeam, pm.UpdatedAt.Local().Format(time.RFC3339), pm.UpdatedBy)
		printRequirement(env.Stdout, pm)
		fmt.Fprintln(env.Stdout)
		if len(pm.ActionItems) == 0 {
			fmt.Fprintln(env.Stdout, "No action items.")
		} else {
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ITEM\tSTATUS\tTEAM\tDUE\tTITLE\tURL")
			for _, it := range pm.ActionItems {
				status := string(it.Status)
				if it.Overdue {
					status += " (overdue)"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", it.ID, status, it.OwnerTeam, it.Due.Local().Format("2006-01-02 15:04"), it.Title, it.URL)
			}
			tw.Flush()
		}
		fmt.Fprintf(env.Stdout, "\nThe text: vigil postmortem export %s\n", id)
		return exitOK
	}
}

func runPostmortemEdit(fs *flag.FlagSet) postmortemAction {
	var texts, files multiFlag
	sections := strings.Join(postmortem.SectionFields(), ", ")
	fs.Var(&texts, "set", "SECTION=TEXT: replace a section's Markdown (repeat for several); SECTION is one of "+sections)
	fs.Var(&files, "set-file", "SECTION=PATH: replace a section with a file's Markdown (- reads standard input)")
	status := fs.String("status", "", "move the review: draft, in_review or published (a draft is reviewed before it is published)")
	version := fs.Int64("version", 0, "the version the edit was made on (default: the stored one, read now); a stale one is refused")
	return func(ctx context.Context, c *client, id string, env Env) int {
		body := map[string]any{}
		for _, kv := range texts {
			name, text, ok := strings.Cut(kv, "=")
			if !ok || !slices.Contains(postmortem.SectionFields(), name) {
				fmt.Fprintf(env.Stderr, "vigil postmortem edit: --set %.40q: want SECTION=TEXT, SECTION one of %s\n", kv, sections)
				return exitError
			}
			body[name] = text
		}
		for _, kv := range files {
			name, path, ok := strings.Cut(kv, "=")
			if !ok || !slices.Contains(postmortem.SectionFields(), name) || path == "" {
				fmt.Fprintf(env.Stderr, "vigil postmortem edit: --set-file %.40q: want SECTION=PATH, SECTION one of %s\n", kv, sections)
				return exitError
			}
			text, err := readSection(path, env)
			if err != nil {
				fmt.Fprintf(env.Stderr, "vigil postmortem edit: %v\n", err)
				return exitError
			}
			body[name] = text
		}
		if *status != "" {
			body["status"] = *status
		}
		if len(body) == 0 {
			fmt.Fprintln(env.Stderr, "vigil postmortem edit: nothing to change: give --set, --set-file or --status")
			return exitError
		}
		if *version == 0 {
			var current postmortem.Postmortem
			if err := c.do(ctx, "GET", "/api/v1/postmortems/"+id, nil, &current); err != nil {
				return failed(env, "edit", err)
			}
			*version = current.Version
		}
		body["version"] = *version
		var pm postmortem.Postmortem
		if err := c.do(ctx, "PUT", "/api/v1/postmortems/"+id, body, &pm); err != nil {
			return failed(env, "edit", err)
		}
		printPostmortem(env.Stdout, "saved", pm)
		return exitOK
	}
}

// maxSectionFile bounds what --set-file reads: a section holds at most
// postmortem.MaxSection bytes, and the server says so beyond.
const maxSectionFile = postmortem.MaxSection + 1

func readSection(path string, env Env) (string, error) {
	var r io.Reader
	if path == "-" {
		if env.Stdin == nil {
			return "", fmt.Errorf("--set-file %s: no standard input", path)
		}
		r = env.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSectionFile))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return string(b), nil
}

func runPostmortemItem(fs *flag.FlagSet) postmortemAction {
	title := fs.String("title", "", "what is to be done (required)")
	team := fs.String("team", "", "the team that owns it (required)")
	due := fs.String("due", "", "by when: a date (2026-03-20, the end of that day in the team's zone) or an RFC 3339 time (required)")
	url := fs.String("url", "", "where it is tracked (an http(s) URL)")
	return func(ctx context.Context, c *client, id string, env Env) int {
		if *title == "" || *team == "" || *due == "" {
			fmt.Fprintln(env.Stderr, "vigil postmortem item: --title, --team and --due are required")
			return exitError
		}
		body := map[string]any{"title": *title, "owner_team": *team, "due": *due}
		if *url != "" {
			body["url"] = *url
		}
		var pm postmortem.Postmortem
		if err := c.do(ctx, "POST", "/api/v1/postmortems/"+id+"/action_items", body, &pm); err != nil {
			return failed(env, "item", err)
		}
		printPostmortem(env.Stdout, "has a new action item", pm)
		return exitOK
	}
}

func runPostmortemExport(fs *flag.FlagSet) postmortemAction {
	out := fs.String("o", "", "write the Markdown to this file (default: standard output)")
	return func(ctx context.Context, c *client, id string, env Env) int {
		var md []byte
		if err := c.do(ctx, "GET", "/api/v1/postmortems/"+id+"/markdown", nil, &md); err != nil {
			return failed(env, "export", err)
		}
		return writeOut(env, "postmortem export", *out, md, "wrote "+*out)
	}
}
