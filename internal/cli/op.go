package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-oncall/vigil/internal/ops"
)

const opUsage = "Usage: vigil op list [--service S] | vigil op run OP --service S [--incident N] [--param k=v ...] [--dry-run] [--yes]   (vigil op <verb> --help)\n"

func opVerbs() verbs {
	return verbs{"list": runOpList, "run": runOpRun}
}

func runOpList(ctx context.Context, args []string, env Env) int {
	fs := newFlags("op list", "[--service S] [--json]", env)
	server := serverFlag(fs)
	service := fs.String("service", "", "only the operations this service offers, with its parameter values")
	asJSON := fs.Bool("json", false, "print JSON")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil op list: %v\n", err)
		return exitError
	}
	all, err := listOperations(ctx, c, *service)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil op list: %v\n", err)
		return exitError
	}
	if *asJSON {
		printJSON(env, all)
		return exitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATION\tPARAMETERS\tCONFIRM\tTIMEOUT\tDESCRIPTION")
	for _, op := range all {
		params := make([]string, 0, len(op.Params))
		for _, p := range op.Params {
			s := p.Name
			if p.Default != "" {
				s += "=" + p.Default
			}
			if p.Required {
				s += " (required)"
			}
			params = append(params, s)
		}
		confirm := "no"
		if op.Confirm {
			confirm = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", op.ID, strings.Join(params, ", "), confirm, op.RunTimeout(), op.Description)
	}
	tw.Flush()
	return exitOK
}

func listOperations(ctx context.Context, c *client, service string) ([]ops.Operation, error) {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	var page struct {
		Operations []ops.Operation `json:"operations"`
	}
	if err := c.do(ctx, "GET", "/api/v1/operations?"+q.Encode(), nil, &page); err != nil {
		return nil, err
	}
	return page.Operations, nil
}

// runAnswer is the server's answer to a run or a dry run.
type runAnswer struct {
	Run     ops.Run  `json:"run"`
	Request ops.Call `json:"request"`
}

// runFollow is how often a run that outlasted its request is read again.
const runFollow = time.Second

func runOpRun(ctx context.Context, args []string, env Env) int {
	fs := newFlags("op run", "OP --service S [--incident N] [--param k=v ...] [--dry-run] [--yes]", env)
	server := serverFlag(fs)
	service := fs.String("service", "", "the service to run it on (required)")
	incident := fs.Int64("incident", 0, "the incident it is run from: the run goes on its timeline")
	var params multiFlag
	fs.Var(&params, "param", "a parameter as NAME=VALUE (repeatable)")
	dryRun := fs.Bool("dry-run", false, "print the request it would send, secrets masked, and send nothing")
	yes := fs.Bool("yes", false, "run without asking, where the operation asks for confirmation")
	asJSON := fs.Bool("json", false, "print the run as JSON")
	rest, code, done := parseArgs(fs, args, env)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "vigil op run: "+format+"\n", a...)
		return exitError
	}
	if len(rest) != 1 {
		return fail("give one operation, such as: vigil op run drain --service payments-api")
	}
	if *service == "" {
		return fail("--service is required")
	}
	values := map[string]string{}
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return fail("--param %q: want NAME=VALUE", p)
		}
		values[k] = v
	}
	c, err := newClient(*server, env)
	if err != nil {
		return fail("%v", err)
	}
	op := rest[0]
	path := "/api/v1/services/" + url.PathEscape(*service) + "/operations/" + url.PathEscape(op)
	body := map[string]any{"params": values, "channel": "cli"}
	if *incident != 0 {
		body["incident"] = *incident
	}
	if *dryRun || !*yes {
		confirm, err := needsConfirm(ctx, c, *service, op)
		if err != nil {
			return fail("%v", err)
		}
		if *dryRun || confirm {
			body["dry_run"] = true
			var dry runAnswer
			if err := c.do(ctx, "POST", path, body, &dry); err != nil {
				return fail("%v", err)
			}
			delete(body, "dry_run")
			if *dryRun {
				return printRun(env, dry, *asJSON, true)
			}
			fmt.Fprintf(env.Stderr, "%s on %s will send:\n%s", op, *service, dry.Request)
			if !askYes(env.Stdin, env.Stderr, "Run it? [y/N] ") {
				fmt.Fprintln(env.Stderr, "vigil op run: not run (pass --yes to run without asking)")
				return exitFail
			}
		}
	}
	var answer runAnswer
	if err := c.do(ctx, "POST", path, body, &answer); err != nil {
		return fail("%v", err)
	}
	for answer.Run.Active() {
		select {
		case <-ctx.Done():
			return fail("stopped waiting for run %d, which is %s", answer.Run.ID, answer.Run.Status)
		case <-time.After(runFollow):
		}
		if err := c.do(ctx, "GET", "/api/v1/operations/runs/"+strconv.FormatInt(answer.Run.ID, 10), nil, &answer); err != nil {
			return fail("%v", err)
		}
	}
	return printRun(env, answer, *asJSON, false)
}

// needsConfirm reports whether the service's operation asks before
// running; the server refuses what it does not offer.
func needsConfirm(ctx context.Context, c *client, service, op string) (bool, error) {
	all, err := listOperations(ctx, c, service)
	if err != nil {
		return false, err
	}
	found := ops.Find(all, op)
	return found != nil && found.Confirm, nil
}

// askYes asks a question and reads one line: only y or yes agree.
func askYes(in io.Reader, out io.Writer, question string) bool {
	fmt.Fprint(out, question)
	if in == nil {
		return false
	}
	line, _ := bufio.NewReader(in).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}

// printRun prints a finished run (or a dry run's request) and exits 0 when
// it succeeded, 1 when it failed.
func printRun(env Env, a runAnswer, asJSON, dry bool) int {
	if asJSON {
		printJSON(env, a)
	} else if dry {
		fmt.Fprintf(env.Stdout, "dry run of %s on %s: would send\n%s", a.Run.Operation, a.Run.Service, a.Request)
	} else {
		fmt.Fprintf(env.Stdout, "run %d: %s\n", a.Run.ID, ops.Summary(&a.Run))
		if a.Run.Output != "" {
			fmt.Fprintf(env.Stdout, "%s\n", strings.TrimRight(a.Run.Output, "\n"))
		}
	}
	if !dry && a.Run.Status != ops.StatusSucceeded {
		return exitFail
	}
	return exitOK
}
