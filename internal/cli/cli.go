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

type command struct {
	summary string
	run     func(ctx context.Context, args []string, env Env) int
}

func commands() map[string]command {
	return map[string]command{
		"version":  {"print the version", runVersion},
		"serve":    {"run the server", runServe},
		"validate": {"check configuration files and report every problem", runValidate},
		"apply":    {"make a server's configuration match the files", runApply},
		"incident": {"list, acknowledge and resolve incidents", runIncident},
		"notify":   {"test a contact method, verify a phone number", runNotify},
		"oncall":   {"who is on call for a schedule, team or service", runOncall},
		"bench":    {"measure a running server: events/s accepted, trigger-to-page latency", runBench},
		"gate":     {"ask the release gate whether a service may release; override it", runGate},
		"slo":      {"SLO status, and Prometheus rules from SLO files", runSLO},
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
func isHelp(arg string) bool { return arg == "help" || arg == "-h" || arg == "--help" }

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

// newFlags returns a flag set that writes its usage to stdout on --help.
func newFlags(name, synopsis string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("vigil "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: vigil %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; done reports that the command must return code
// (after --help or a flag error).
func parseFlags(fs *flag.FlagSet, args []string, env Env) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(env.Stdout)
		fs.Usage()
		return exitOK, true
	case err != nil:
		return exitError, true
	case fs.NArg() > 0:
		fmt.Fprintf(env.Stderr, "vigil: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return exitError, true
	}
	return 0, false
}

func runVersion(_ context.Context, args []string, env Env) int {
	fs := newFlags("version", "", env)
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	fmt.Fprintf(env.Stdout, "vigil %s (%s, %s/%s)\n", env.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
