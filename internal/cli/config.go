package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/slo"
)

func runValidate(_ context.Context, args []string, env Env) int {
	fs := newFlags("validate", "[-f] FILE|DIR...", env)
	loaded, paths, code, done := offlineConfig(fs, args, env)
	if done {
		return code
	}
	b := loaded.Bundle
	fmt.Fprintf(env.Stdout, "%s: valid (%d users, %d teams, %d schedules, %d escalation policies, %d services, %d SLOs)\n",
		strings.Join(paths, ", "), len(b.Users), len(b.Teams), len(b.Schedules), len(b.EscalationPolicies), len(b.Services), len(loaded.slos))
	return exitOK
}

// configPathArgs parses a command's flags and the configuration files and
// directories it is given, with -f (which may repeat) or as arguments;
// at least one is required.
func configPathArgs(fs *flag.FlagSet, args []string, env Env) (paths []string, code int, done bool) {
	var flagged multiFlag
	fs.Var(&flagged, "f", "a configuration file, or a directory of *.yaml files; repeat it, or give them as arguments, to merge several")
	rest, code, done := parseArgs(fs, args, env)
	if done {
		return nil, code, true
	}
	paths = append([]string(flagged), rest...)
	if len(paths) == 0 {
		fmt.Fprintf(env.Stderr, "%s: give a configuration FILE or DIR (as an argument or with -f)\n", fs.Name())
		return nil, exitError, true
	}
	return paths, exitOK, false
}

// offlineConfig parses the flags and files of a command that reads
// configuration files alone, and loads them, printing every problem; done
// reports that the command must return code.
func offlineConfig(fs *flag.FlagSet, args []string, env Env) (loaded *checkedConfig, paths []string, code int, done bool) {
	paths, code, done = configPathArgs(fs, args, env)
	if done {
		return nil, nil, code, true
	}
	loaded, ok := loadConfig(paths, env)
	if !ok {
		return nil, nil, exitFail, true
	}
	return loaded, paths, exitOK, false
}

// checkedConfig is configuration files with their OpenSLO documents
// parsed against the files' services.
type checkedConfig struct {
	*config.Loaded
	slos []slo.SLO
}

// checkConfig loads files and returns every problem in them, those of the
// OpenSLO documents included.
func checkConfig(paths ...string) (*checkedConfig, []config.Problem, error) {
	loaded, err := config.Load(paths...)
	if err != nil {
		return nil, nil, err
	}
	ids := map[string]bool{}
	for _, s := range loaded.Bundle.Services {
		ids[s.ID] = true
	}
	slos, sloProblems := slo.ParseDocuments(loaded.OpenSLO, func(id string) bool { return ids[id] })
	problems := append(loaded.Problems, sloProblems...)
	return &checkedConfig{Loaded: loaded, slos: slos}, problems, nil
}

// loadConfig loads and validates files, printing every problem; ok is
// false when there was any.
func loadConfig(paths []string, env Env) (*checkedConfig, bool) {
	loaded, problems, err := checkConfig(paths...)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil: %v\n", err)
		return nil, false
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(env.Stderr, p.String())
		}
		fmt.Fprintf(env.Stderr, "%d problem(s) found\n", len(problems))
		return nil, false
	}
	return loaded, true
}

func runApply(ctx context.Context, args []string, env Env) int {
	fs := newFlags("apply", "[-f] FILE|DIR... [--server URL] [--dry-run]", env)
	server := serverFlag(fs)
	dryRun := fs.Bool("dry-run", false, "print what would change, change nothing")
	paths, code, done := configPathArgs(fs, args, env)
	if done {
		return code
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil apply: %v\n", err)
		return exitError
	}
	loaded, ok := loadConfig(paths, env)
	if !ok {
		return exitFail
	}
	var res struct {
		DryRun  bool         `json:"dry_run"`
		Changes []org.Change `json:"changes"`
	}
	endpoint := "/api/v1/config/apply"
	if *dryRun {
		endpoint += "?dry_run=true"
	}
	if err := c.do(ctx, "POST", endpoint, loaded.Bundle, &res); err != nil {
		fmt.Fprintf(env.Stderr, "vigil apply: %v\n", err)
		if e, ok := err.(*apiError); ok && e.Status == 400 {
			return exitFail
		}
		return exitError
	}
	printChanges(env.Stdout, res.Changes, res.DryRun)
	return exitOK
}

// printChanges prints a diff: + created, ~ updated (with its fields), - deleted.
func printChanges(w io.Writer, changes []org.Change, dryRun bool) {
	if len(changes) == 0 {
		fmt.Fprintln(w, "no changes")
		return
	}
	signs := map[string]string{"create": "+", "update": "~", "delete": "-"}
	for _, c := range changes {
		fmt.Fprintf(w, "%s %s %s\n", signs[c.Action], c.Kind, c.ID)
		for _, f := range c.Fields {
			fmt.Fprintf(w, "    %s: %s -> %s\n", f.Path, jsonText(f.Old), jsonText(f.New))
		}
	}
	counts := map[string]int{}
	for _, c := range changes {
		counts[c.Action]++
	}
	verb := "applied"
	if dryRun {
		verb = "would apply (dry run)"
	}
	fmt.Fprintf(w, "%s: %d to create, %d to update, %d to delete\n", verb, counts["create"], counts["update"], counts["delete"])
}

func jsonText(v any) string {
	if v == nil {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// loadConfigQuiet loads files and folds any problems into one error.
func loadConfigQuiet(path string) (*config.Bundle, error) {
	loaded, problems, err := checkConfig(path)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.String()
		}
		return nil, fmt.Errorf("%d problem(s): %s", len(msgs), strings.Join(msgs, "; "))
	}
	return &loaded.Bundle, nil
}
