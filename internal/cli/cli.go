// Package cli implements the vigil command line: the server and the client
// commands that talk to it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
)

// Env is what a command may touch of its process.
type Env struct {
	Stdin          io.Reader // nil reads as empty
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Version        string
}

// exit codes shared by the commands.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and the answer is "no" (invalid config, gate denied)
	exitError = 2 // the command could not run (bad flags, server unreachable)
)

// command is one vigil command: either it runs itself, or it has verbs
// (vigil incident ack) and a usage that lists them.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env Env) int
	usage   string
	verbs   verbs
}

func commands() map[string]command {
	return map[string]command{
		"version":    {summary: "print the version", run: runVersion},
		"serve":      {summary: "run the server", run: runServe},
		"validate":   {summary: "check configuration files and report every problem", run: runValidate},
		"lint":       {summary: "check what SLOs promise against their hard dependencies (offline)", run: runLint},
		"apply":      {summary: "make a server's configuration match the files", run: runApply},
		"listen":     {summary: "print the webhooks posted to an address: a stand-in for everyone's phone", run: runListen},
		"incident":   {summary: "list, acknowledge and resolve incidents", usage: incidentUsage, verbs: incidentVerbs()},
		"notify":     {summary: "test a contact method, verify a phone number", usage: notifyUsage, verbs: notifyVerbs()},
		"oncall":     {summary: "who is on call for a schedule, team or service", run: runOncall},
		"bench":      {summary: "measure a running server: events/s accepted, trigger-to-page latency", run: runBench},
		"gate":       {summary: "ask the release gate whether a service may release; override it", usage: gateUsage, verbs: gateVerbs()},
		"slo":        {summary: "SLO status, and Prometheus rules from SLO files", usage: sloUsage, verbs: sloVerbs()},
		"user":       {summary: "set a user's password for the web UI", usage: userUsage, verbs: userVerbs()},
		"import":     {summary: "import users, schedules, policies and services from another on-call tool", run: runImport},
		"postmortem": {summary: "draft, edit, review and export an incident's post-mortem", usage: postmortemUsage, verbs: postmortemVerbs()},
		"op":         {summary: "list and run operations (drain, roll back, restart...) on a service", usage: opUsage, verbs: opVerbs()},
		"report":     {summary: "on-call reports: interruptions, response, cost, coverage, toil, risks, unclear-value", run: runReport},
		"events":     {summary: "list the events of org-wide integrations that rules suppressed or left unrouted", usage: eventsUsage, verbs: eventsVerbs()},
		"export":     {summary: "export a server's alert history for vigil simulate", usage: exportUsage, verbs: exportVerbs()},
		"simulate":   {summary: "replay an alert history against alternative organisations and compare them (offline)", run: runSimulate},
	}
}

// Run executes one vigil command and returns the process exit code.
func Run(ctx context.Context, args []string, env Env) int {
	cmds := commands()
	if len(args) == 0 || isHelp(args[0]) {
		usage(env.Stdout, cmds)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "vigil: unknown command %q\n\n", args[0])
		usage(env.Stderr, cmds)
		return exitError
	}
	if c.verbs != nil {
		return runVerb(ctx, args[0], c.usage, c.verbs, args[1:], env)
	}
	return c.run(ctx, args[1:], env)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Vigil: on-call and incident response.")
	fmt.Fprintln(w, "\nUsage: vigil <command> [flags]   (vigil <command> --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}

// isHelp reports whether arg asks for help instead of naming a command.
func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help" || arg == "-help"
}

// verbs are the subcommands of a command such as vigil incident.
type verbs map[string]func(context.Context, []string, Env) int

// runVerb runs the verb args[0] names. As with vigil itself, usage goes to
// stdout, and it succeeds only when help was asked for; an unknown verb
// fails with the list of verbs.
func runVerb(ctx context.Context, name, usage string, vs verbs, args []string, env Env) int {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(env.Stdout, usage)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	run, ok := vs[args[0]]
	if !ok {
		names := make([]string, 0, len(vs))
		for n := range vs {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(env.Stderr, "vigil %s: unknown verb %q (%s)\n", name, args[0], strings.Join(names, ", "))
		return exitError
	}
	return run(ctx, args[1:], env)
}

// newFlags returns a flag set for "vigil name"; parseFlags and parseArgs
// print its usage.
func newFlags(name, synopsis string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("vigil "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: vigil %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, which must all be flags; done reports that the
// command must return code (after --help or a bad flag).
func parseFlags(fs *flag.FlagSet, args []string, env Env) (code int, done bool) {
	rest, code, done := parseArgs(fs, args, env)
	if !done && len(rest) > 0 {
		fmt.Fprintf(env.Stderr, "%s: unexpected arguments: %s\n", fs.Name(), strings.Join(rest, " "))
		return exitError, true
	}
	return code, done
}

// parseArgs parses flags and arguments in any order ("ack 12 --note x" and
// "ack --note x 12" alike; everything after "--" is an argument) and
// returns the arguments. Usage is printed once: on stdout with exit 0 when
// help was asked for, on stderr with exit 2 after a bad flag.
func parseArgs(fs *flag.FlagSet, args []string, env Env) (positional []string, code int, done bool) {
	printUsage := fs.Usage
	// The flag package prints usage itself on -h and on errors, on the
	// flag set's output; it is printed below instead, once, where it belongs.
	fs.Usage = func() {}
	defer func() { fs.Usage = printUsage }()
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.SetOutput(env.Stdout)
			printUsage()
			fs.SetOutput(env.Stderr)
			return nil, exitOK, true
		case err != nil:
			printUsage()
			return nil, exitError, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, exitOK, false
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), exitOK, false
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func runVersion(_ context.Context, args []string, env Env) int {
	fs := newFlags("version", "", env)
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	fmt.Fprintf(env.Stdout, "vigil %s (%s, %s/%s)\n", env.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
