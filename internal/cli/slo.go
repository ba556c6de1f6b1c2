package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-oncall/vigil/internal/slo"
)

const gateUsage = `Usage: vigil gate check --service ID [--at TIME] [--change-type T]
       vigil gate override --service ID --reason TEXT --expires 2h
check exits 0 when releases may go ahead, 1 when they are denied, 2 on error.
`

func gateVerbs() verbs { return verbs{"check": runGateCheck, "override": runGateOverride} }

// gateDecision is the gate's answer as the CLI reads it.
type gateDecision struct {
	Decision string `json:"decision"`
	Reasons  []struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"reasons"`
	Override *struct {
		ID        int64     `json:"id"`
		Reason    string    `json:"reason"`
		CreatedBy string    `json:"created_by"`
		ExpiresAt time.Time `json:"expires_at"`
	} `json:"override"`
	DecisionID int64     `json:"decision_id"`
	Service    string    `json:"service"`
	At         time.Time `json:"at"`
}

func runGateCheck(ctx context.Context, args []string, env Env) int {
	fs := newFlags("gate check", "--service ID [--at TIME] [--change-type T] [--server URL]", env)
	service := fs.String("service", "", "service id (required)")
	at := fs.String("at", "", "when the release would happen, RFC 3339 (default now)")
	changeType := fs.String("change-type", "", "kind of change, such as security or p0: SLO policies may exempt it from a budget freeze")
	server := serverFlag(fs)
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	if *service == "" {
		fmt.Fprintln(env.Stderr, "vigil gate check: --service is required")
		return exitError
	}
	if *at != "" {
		if _, err := time.Parse(time.RFC3339, *at); err != nil {
			fmt.Fprintf(env.Stderr, "vigil gate check: --at %q: want an RFC 3339 time such as 2026-12-24T15:00:00Z\n", *at)
			return exitError
		}
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil gate check: %v\n", err)
		return exitError
	}
	q := url.Values{"service": {*service}}
	if *at != "" {
		q.Set("at", *at)
	}
	if *changeType != "" {
		q.Set("change_type", *changeType)
	}
	var d gateDecision
	if err := c.do(ctx, "GET", "/api/v1/gate?"+q.Encode(), nil, &d); err != nil {
		fmt.Fprintf(env.Stderr, "vigil gate check: %v\n", err)
		return exitError
	}
	printGate(env.Stdout, d)
	switch d.Decision {
	case "allow":
		return exitOK
	case "deny":
		return exitFail
	}
	fmt.Fprintf(env.Stderr, "vigil gate check: unexpected decision %q\n", d.Decision)
	return exitError
}

// printGate prints the decision and every reason, one a line:
// "deny: freeze: freeze friday-afternoons (...): no Friday deploys".
func printGate(w io.Writer, d gateDecision) {
	switch {
	case d.Decision == "allow" && d.Override != nil:
		fmt.Fprintf(w, "allow: overridden until %s by %s: %s (decision %d)\n",
			d.Override.ExpiresAt.Format(time.RFC3339), d.Override.CreatedBy, d.Override.Reason, d.DecisionID)
		for _, r := range d.Reasons {
			fmt.Fprintf(w, "overridden: %s: %s\n", r.Kind, r.Message)
		}
	case d.Decision == "allow":
		fmt.Fprintf(w, "allow: releases of %s may go ahead (decision %d)\n", d.Service, d.DecisionID)
	default:
		for _, r := range d.Reasons {
			fmt.Fprintf(w, "%s: %s: %s\n", d.Decision, r.Kind, r.Message)
		}
		fmt.Fprintf(w, "(decision %d)\n", d.DecisionID)
	}
}

func runGateOverride(ctx context.Context, args []string, env Env) int {
	fs := newFlags("gate override", "--service ID --reason TEXT --expires DURATION [--server URL]", env)
	service := fs.String("service", "", "service id (required)")
	reason := fs.String("reason", "", "why releases must pass (required; audited)")
	expires := fs.String("expires", "", "how long the override lasts, such as 2h (required; at most 7d)")
	server := serverFlag(fs)
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	if *service == "" || strings.TrimSpace(*reason) == "" || *expires == "" {
		fmt.Fprintln(env.Stderr, "vigil gate override: --service, --reason and --expires are required")
		return exitError
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil gate override: %v\n", err)
		return exitError
	}
	var o struct {
		ID        int64     `json:"id"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	body := map[string]string{"service": *service, "reason": *reason, "expires_in": *expires}
	if err := c.do(ctx, "POST", "/api/v1/gate/overrides", body, &o); err != nil {
		fmt.Fprintf(env.Stderr, "vigil gate override: %v\n", err)
		var apiErr *apiError
		if errors.As(err, &apiErr) && (apiErr.Status == 400 || apiErr.Status == 403) {
			return exitFail
		}
		return exitError
	}
	fmt.Fprintf(env.Stdout, "override %d: releases of %s pass until %s: %s\n", o.ID, *service, o.ExpiresAt.Format(time.RFC3339), *reason)
	return exitOK
}

const sloUsage = `Usage: vigil slo status [--service ID] [NAME]
       vigil slo rules [-f] FILE|DIR... [-o FILE]
`

func sloVerbs() verbs { return verbs{"status": runSLOStatus, "rules": runSLORules} }

// sloStatus is an SLO as GET /api/v1/slos answers it.
type sloStatus struct {
	Name    string  `json:"name"`
	Service string  `json:"service"`
	SLI     sloSLI  `json:"sli"`
	Obj     float64 `json:"objective"`
	Window  struct {
		Rolling  bool   `json:"rolling"`
		Duration string `json:"duration"`
	} `json:"window"`
	Status struct {
		NoData           bool     `json:"no_data"`
		SLI              *float64 `json:"sli"`
		Good             float64  `json:"good"`
		Total            float64  `json:"total"`
		BudgetRemaining  float64  `json:"budget_remaining"`
		BurnRate1h       float64  `json:"burn_rate_1h"`
		TimeToExhaustion *string  `json:"time_to_exhaustion"`
		Frozen           bool     `json:"frozen"`
		Exemptions       []string `json:"exemptions"`
		Firing           *struct {
			Tier     string  `json:"tier"`
			Severity string  `json:"severity"`
			BurnRate float64 `json:"burn_rate"`
		} `json:"firing"`
		Tiers []struct {
			Name          string  `json:"name"`
			Severity      string  `json:"severity"`
			Factor        float64 `json:"factor"`
			Long          string  `json:"long"`
			Short         string  `json:"short"`
			LongBurnRate  float64 `json:"long_burn_rate"`
			ShortBurnRate float64 `json:"short_burn_rate"`
			Met           bool    `json:"met"`
			Suppressed    bool    `json:"suppressed"`
			Disabled      bool    `json:"disabled"`
		} `json:"tiers"`
	} `json:"status"`
	PullError string `json:"pull_error"`
	Incidents []struct {
		ID              int64   `json:"id"`
		Title           string  `json:"title"`
		Severity        string  `json:"severity"`
		BudgetShare     float64 `json:"budget_share"`
		NeedsPostmortem bool    `json:"needs_postmortem"`
	} `json:"incidents"`
}

type sloSLI struct {
	Kind   string `json:"kind"`
	Source string `json:"source"`
}

func runSLOStatus(ctx context.Context, args []string, env Env) int {
	fs := newFlags("slo status", "[--service ID] [--server URL] [NAME]", env)
	service := fs.String("service", "", "only the SLOs of this service")
	server := serverFlag(fs)
	names, code, done := parseArgs(fs, args, env)
	if done {
		return code
	}
	name := ""
	switch len(names) {
	case 0:
	case 1:
		name = names[0]
	default:
		fmt.Fprintf(env.Stderr, "vigil slo status: give at most one SLO name, got %s\n", strings.Join(names, " "))
		return exitError
	}
	c, err := newClient(*server, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil slo status: %v\n", err)
		return exitError
	}
	if name != "" {
		var s sloStatus
		if err := c.do(ctx, "GET", "/api/v1/slos/"+url.PathEscape(name), nil, &s); err != nil {
			fmt.Fprintf(env.Stderr, "vigil slo status: %v\n", err)
			return exitError
		}
		printSLODetail(env.Stdout, s)
		return exitOK
	}
	q := url.Values{}
	if *service != "" {
		q.Set("service", *service)
	}
	all, err := getAll[sloStatus](ctx, c, "/api/v1/slos", q, "slos")
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil slo status: %v\n", err)
		return exitError
	}
	if len(all) == 0 {
		fmt.Fprintln(env.Stdout, "no SLOs")
		return exitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSERVICE\tSLI\tOBJECTIVE\tBUDGET LEFT\tBURN 1H\tFIRING\tFROZEN")
	for _, s := range all {
		firing := "-"
		if s.Status.Firing != nil {
			firing = s.Status.Firing.Tier
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\n", s.Name, s.Service, sliText(s), percent(s.Obj, 3),
			budgetText(s), s.Status.BurnRate1h, firing, yesNo(s.Status.Frozen))
	}
	tw.Flush()
	return exitOK
}

func sliText(s sloStatus) string {
	if s.Status.SLI == nil {
		return "no data"
	}
	return percent(*s.Status.SLI, 3)
}

// budgetText is the budget left as the API and the web UI give it: with no
// data yet, the whole budget is left, and it says so.
func budgetText(s sloStatus) string {
	if s.Status.NoData {
		return percent(s.Status.BudgetRemaining, 1) + " (no data)"
	}
	return percent(s.Status.BudgetRemaining, 1)
}

func percent(f float64, digits int) string { return fmt.Sprintf("%.*f%%", digits, 100*f) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func printSLODetail(w io.Writer, s sloStatus) {
	window := s.Window.Duration
	if s.Window.Rolling {
		window += " rolling"
	} else {
		window += " calendar"
	}
	fmt.Fprintf(w, "SLO %s on %s: objective %s over %s, SLI %s (%s)\n", s.Name, s.Service, percent(s.Obj, 3), window, s.SLI.Kind, s.SLI.Source)
	fmt.Fprintf(w, "SLI now:      %s (%.0f good of %.0f)\n", sliText(s), s.Status.Good, s.Status.Total)
	fmt.Fprintf(w, "budget left:  %s\n", budgetText(s))
	exhaustion := "not burning"
	if s.Status.TimeToExhaustion != nil {
		exhaustion = "budget exhausted in " + *s.Status.TimeToExhaustion
	}
	fmt.Fprintf(w, "burn 1h:      %.2f (%s)\n", s.Status.BurnRate1h, exhaustion)
	frozen := "no"
	if s.Status.Frozen {
		frozen = "yes: releases of " + s.Service + " are denied"
		if len(s.Status.Exemptions) > 0 {
			frozen += ", except " + strings.Join(s.Status.Exemptions, ", ")
		}
	}
	fmt.Fprintf(w, "frozen:       %s\n", frozen)
	if s.PullError != "" {
		fmt.Fprintf(w, "pull error:   %s\n", s.PullError)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tSEVERITY\tFACTOR\tLONG\tSHORT\tBURN LONG\tBURN SHORT\tSTATE")
	for _, t := range s.Status.Tiers {
		state := "-"
		switch {
		case t.Disabled:
			state = "disabled"
		case t.Met && t.Suppressed:
			state = "met (suppressed)"
		case t.Met:
			state = "FIRING"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4g\t%s\t%s\t%.2f\t%.2f\t%s\n", t.Name, t.Severity, t.Factor, t.Long, t.Short, t.LongBurnRate, t.ShortBurnRate, state)
	}
	tw.Flush()
	for _, inc := range s.Incidents {
		if inc.NeedsPostmortem {
			fmt.Fprintf(w, "post-mortem needed: incident %d (%s, %s) consumed %s of the budget\n", inc.ID, inc.Severity, inc.Title, percent(inc.BudgetShare, 1))
		}
	}
}

func runSLORules(_ context.Context, args []string, env Env) int {
	fs := newFlags("slo rules", "[-f] FILE|DIR... [-o FILE]", env)
	out := fs.String("o", "", "write the rules to this file (default standard output)")
	loaded, _, code, done := offlineConfig(fs, args, env)
	if done {
		return code
	}
	rules, err := slo.Rules(loaded.slos)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil slo rules: %v\n", err)
		return exitFail
	}
	return writeOut(env, "slo rules", *out, rules, fmt.Sprintf("wrote %s (%d SLOs)", *out, len(loaded.slos)))
}

// writeOut writes data to the file path, or to standard output when path
// is ""; cmd names the command in an error, and wrote is said on standard
// error once the file is written.
func writeOut(env Env, cmd, path string, data []byte, wrote string) int {
	if path == "" {
		_, _ = env.Stdout.Write(data)
		return exitOK
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fmt.Fprintf(env.Stderr, "vigil %s: %v\n", cmd, err)
		return exitError
	}
	fmt.Fprintln(env.Stderr, wrote)
	return exitOK
}
