package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/ceiling"
)

// lintReport is what vigil lint --format json prints.
type lintReport struct {
	Errors   int               `json:"errors"`
	Warnings int               `json:"warnings"`
	Findings []ceiling.Finding `json:"findings"`
	Ceilings []ceiling.Ceiling `json:"ceilings"`
}

// runLint checks, offline, what the configuration promises against what
// it rests on: every availability ceiling and the extra-nine rule.
func runLint(_ context.Context, args []string, env Env) int {
	fs := newFlags("lint", "[-f] FILE|DIR... [--format text|json]", env)
	asJSON := false
	fs.Func("format", "text (the default) or json", func(v string) error {
		if v != "text" && v != "json" {
			return fmt.Errorf("want text or json")
		}
		asJSON = v == "json"
		return nil
	})
	loaded, paths, code, done := offlineConfig(fs, args, env)
	if done {
		return code
	}
	m := ceiling.New(catalog.NewGraph(loaded.Bundle.Services), ceiling.ObjectivesOf(loaded.slos, nil))
	rep := lintReport{Findings: m.Findings(), Ceilings: m.All()}
	if rep.Ceilings == nil {
		rep.Ceilings = []ceiling.Ceiling{}
	}
	if rep.Findings == nil {
		rep.Findings = []ceiling.Finding{}
	}
	for _, f := range rep.Findings {
		if f.Level == ceiling.Error {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep) // plain values always encode
	} else {
		printLint(env.Stdout, strings.Join(paths, ", "), rep, sloPlaces(loaded))
	}
	if rep.Errors > 0 {
		return exitFail
	}
	return exitOK
}

// sloPlaces says where each SLO document starts: "slos.yaml:5".
func sloPlaces(c *checkedConfig) map[string]string {
	out := map[string]string{}
	for _, s := range c.slos {
		if s.File != "" {
			out[s.Name] = fmt.Sprintf("%s:%d", s.File, s.Line)
		}
	}
	return out
}

func printLint(w io.Writer, what string, rep lintReport, places map[string]string) {
	for _, f := range rep.Findings {
		place := ""
		if p := places[f.SLO]; p != "" {
			place = p + ": "
		}
		fmt.Fprintf(w, "%s%s: %s: %s\n", place, f.Level, f.Service, f.Message)
		for _, s := range f.Suggestions {
			fmt.Fprintf(w, "    fix: %s\n", s)
		}
	}
	for _, c := range rep.Ceilings {
		fmt.Fprintf(w, "%s\n", ceilingLine(c))
	}
	fmt.Fprintf(w, "%s: %d error(s), %d warning(s)\n", what, rep.Errors, rep.Warnings)
}

// ceilingLine sums up one service's ceiling: "checkout: objective 99.9%,
// ceiling 99.85% (3 hard dependencies)".
func ceilingLine(c ceiling.Ceiling) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ceiling: %s", c.Service)
	if len(c.Objectives) > 0 {
		fmt.Fprintf(&b, " promises %s", ceiling.Percent(c.Objectives[0].Target))
	}
	switch {
	case c.Ceiling != nil:
		fmt.Fprintf(&b, ", ceiling %s", ceiling.PercentDown(*c.Ceiling))
	case c.AtMost < 1:
		fmt.Fprintf(&b, ", ceiling unknown, at most %s", ceiling.PercentDown(c.AtMost))
	default:
		b.WriteString(", ceiling unknown")
	}
	switch len(c.Dependencies) {
	case 0:
		b.WriteString(" (no hard dependencies")
	case 1:
		b.WriteString(" (1 hard dependency")
	default:
		fmt.Fprintf(&b, " (%d hard dependencies", len(c.Dependencies))
	}
	if len(c.Unknown) > 0 {
		fmt.Fprintf(&b, "; without an SLO: %s", strings.Join(c.Unknown, ", "))
	}
	b.WriteString(")")
	if c.AboveCeiling {
		b.WriteString(": ABOVE ITS CEILING")
	}
	return b.String()
}
