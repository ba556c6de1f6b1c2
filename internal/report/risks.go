package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/ceiling"
)

// Kinds of risk.
const (
	RiskBudget      = "slo_budget"       // a critical service's SLO budget runs out before its window ends
	RiskNoSLO       = "no_slo"           // a critical service with no SLO
	RiskScheduleGap = "schedule_gap"     // a critical service's first response has gaps ahead
	RiskOnePerson   = "one_person"       // a critical service's first response is one person
	RiskRepeats     = "repeat_incidents" // the same incident again and again
	RiskActionItems = "overdue_action_items"
	RiskPostmortems = "missing_postmortems" // a required post-mortem not written, or not published by its due time
	// The availability ceiling's findings (package ceiling), through
	// transitive hard edges.
	RiskAboveCeiling      = "above_ceiling"      // an objective above what the hard dependencies allow
	RiskExtraNine         = "extra_nine"         // a critical service's hard dependency lacks the extra nine
	RiskUnknownDependency = "unknown_dependency" // a hard dependency of a service with an SLO has none
)

// Finding is one item of the risks or the unclear-value report: what it
// is about, why it is listed, and the evidence.
type Finding struct {
	Rank     int    `json:"rank"`
	Kind     string `json:"kind"`
	Service  string `json:"service,omitempty"`
	Team     string `json:"team,omitempty"`
	Critical bool   `json:"critical"`
	// Score orders the risks: higher first.
	Score    float64  `json:"score"`
	Summary  string   `json:"summary"`
	Evidence []string `json:"evidence"`
}

// Risk is one of the biggest reliability risks, with its evidence.
type Risk = Finding

// SLOState is an SLO as it stands at the report's instant.
type SLOState struct {
	Name            string  `json:"name"`
	Service         string  `json:"service"`
	Objective       float64 `json:"objective"`
	BudgetRemaining float64 `json:"budget_remaining"`
	BurnRate        float64 `json:"burn_rate"`
	// TimeToExhaustion is how long the budget lasts at the current burn;
	// nil when not burning.
	TimeToExhaustion *time.Duration `json:"-"`
	// WindowLeft is how long the window runs on: to the end of a calendar
	// period, or a rolling window's whole length.
	WindowLeft time.Duration `json:"-"`
}

// ScheduleOutlook is who will be on call on a schedule in the days ahead.
type ScheduleOutlook struct {
	Schedule string    `json:"schedule"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	People   []string  `json:"people"`
	Gaps     []Stretch `json:"gaps"`
}

// ActionItem is a post-mortem's follow-up.
type ActionItem struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	OwnerTeam string    `json:"owner_team"`
	Due       time.Time `json:"due"`
	Service   string    `json:"service,omitempty"`
	Incident  int64     `json:"incident,omitempty"`
}

// PostmortemDue is an incident whose post-mortem the policy requires and
// that is not published yet.
type PostmortemDue struct {
	Incident  int64  `json:"incident"`
	Title     string `json:"title"`
	Service   string `json:"service,omitempty"`
	OwnerTeam string `json:"owner_team"`
	// Status is the post-mortem's status, or "missing" when none was
	// written.
	Status string `json:"status"`
	// Due is nil while the incident is open.
	Due     *time.Time `json:"due"`
	Because []string   `json:"because"`
}

// RiskInput is the evidence the built-in sources of risk read.
type RiskInput struct {
	// At is the instant the risks are "now" for; schedules are looked at
	// from At for Outlook's span.
	At        time.Time
	Period    Period
	SLOs      []SLOState
	Schedules []ScheduleOutlook
	// Incidents opened in Period.
	Incidents []Incident
	// ActionItems are the open ones, overdue or not.
	ActionItems []ActionItem
	// Postmortems are the required post-mortems of incidents opened in
	// Period that are not published.
	Postmortems []PostmortemDue
}

// RiskSource turns one kind of evidence into risks. The report runs the
// built-in ones (BuiltinRiskSources) and any others it is given: a new
// kind of evidence is one more source.
type RiskSource interface {
	Risks(o *Org, in RiskInput) []Risk
}

// RiskSourceFunc adapts a function to RiskSource.
type RiskSourceFunc func(o *Org, in RiskInput) []Risk

// Risks calls f.
func (f RiskSourceFunc) Risks(o *Org, in RiskInput) []Risk { return f(o, in) }

// BuiltinRiskSources read the SLOs, the schedules ahead, repeated
// incidents, overdue action items, the availability ceilings the SLO
// targets of hard dependencies allow, and required post-mortems missing
// or overdue.
var BuiltinRiskSources = []RiskSource{
	RiskSourceFunc(budgetRisks), RiskSourceFunc(noSLORisks), RiskSourceFunc(scheduleRisks),
	RiskSourceFunc(repeatRisks), RiskSourceFunc(actionItemRisks), RiskSourceFunc(ceilingRisks),
	RiskSourceFunc(postmortemRisks),
}

// Risks is the risks report.
type Risks struct {
	Heading
	At     time.Time `json:"at"`
	Risks  []Risk    `json:"risks"`
	Method []string  `json:"method"`
}

// MaxRisks bounds the list.
const MaxRisks = 50

// RepeatThreshold is how many incidents with one title on one service in
// the period make a repeat.
const RepeatThreshold = 3

// ReportRisks ranks "the biggest reliability risks right now" from every
// source, each with its evidence.
func ReportRisks(o *Org, f Filter, in RiskInput, sources ...RiskSource) Risks {
	rep := Risks{Heading: heading(in.Period, f), At: in.At}
	var findings []Finding
	for _, src := range sources {
		findings = append(findings, src.Risks(o, in)...)
	}
	rep.Risks = o.rank(f, findings, MaxRisks)
	rep.Method = []string{
		"Ranked by a score: a critical service's SLO budget running out before its window ends first (sooner scores higher), then gaps in a critical service's first response in the days ahead, objectives above the availability ceiling their hard dependencies allow, one-person first response, hard dependencies of critical services without one more nine than the service promises, overdue post-mortem action items and overdue post-mortems (older scores higher), hard dependencies without an SLO, critical services without an SLO, required post-mortems not yet written, and incidents repeating on a service (more scores higher; critical services weigh more).",
		"Availability ceilings are as in \"The Calculus of Service Availability\" (Treynor, Dahlin, Rau, Beyer, 2017): the product of the SLO targets of everything a service needs through hard edges, transitively; a hard dependency without an SLO is unknown, not perfect. Each comes with the fixes the paper suggests.",
		"Critical: revenue-critical, or a hard dependency of a revenue-critical service. SLO figures are as the SLO engine has them now; schedules are looked at from now, as configured; repeats are incidents with the same title on one service in the period, " + fmt.Sprint(RepeatThreshold) + " or more.",
	}
	return rep
}

func criticalServices(o *Org) []Service {
	var out []Service
	for _, s := range o.Services {
		if s.Critical {
			out = append(out, s)
		}
	}
	return out
}

func because(s Service) string {
	if len(s.Because) <= 1 {
		return s.ID + " is revenue-critical"
	}
	return "critical through " + strings.Join(s.Because, " -> ")
}

func budgetRisks(o *Org, in RiskInput) []Risk {
	var out []Risk
	for _, st := range in.SLOs {
		s := o.Service(st.Service)
		if s == nil || !s.Critical || st.TimeToExhaustion == nil || *st.TimeToExhaustion >= st.WindowLeft {
			continue
		}
		left := *st.TimeToExhaustion
		// Sooner is worse: a budget already spent scores 100.
		score := 90 + 10*(1-left.Hours()/math.Max(st.WindowLeft.Hours(), 1))
		out = append(out, Risk{Kind: RiskBudget, Service: st.Service, Score: round2(score),
			Summary: fmt.Sprintf("SLO %s of critical service %s runs out of error budget in %s, before its window ends", st.Name, st.Service, roughly(left)),
			Evidence: []string{
				fmt.Sprintf("budget remaining %.1f%% of the window's, burning at %.2fx the sustainable rate", st.BudgetRemaining*100, st.BurnRate),
				fmt.Sprintf("objective %g; the window runs on for %s", st.Objective, roughly(st.WindowLeft)),
				because(*s),
			}})
	}
	return out
}

func noSLORisks(o *Org, in RiskInput) []Risk {
	has := map[string]bool{}
	for _, st := range in.SLOs {
		has[st.Service] = true
	}
	var out []Risk
	for _, s := range criticalServices(o) {
		if has[s.ID] {
			continue
		}
		out = append(out, Risk{Kind: RiskNoSLO, Service: s.ID, Score: 60,
			Summary:  fmt.Sprintf("critical service %s has no SLO: nobody knows how reliable it is, and its budget pages no one", s.ID),
			Evidence: []string{because(s)}})
	}
	return out
}

func scheduleRisks(o *Org, in RiskInput) []Risk {
	outlook := map[string]ScheduleOutlook{}
	for _, s := range in.Schedules {
		outlook[s.Schedule] = s
	}
	var out []Risk
	for _, s := range criticalServices(o) {
		team := o.Team(s.Owner)
		if team == nil {
			continue
		}
		if len(team.FirstResponse) == 0 {
			out = append(out, Risk{Kind: RiskScheduleGap, Service: s.ID, Score: 85,
				Summary:  fmt.Sprintf("critical service %s: team %s pages no schedule first", s.ID, team.ID),
				Evidence: []string{because(s), "its escalation policy's first step targets no schedule, so nobody has guaranteed response"}})
			continue
		}
		var gaps []Stretch
		people := map[string]bool{}
		var span ScheduleOutlook
		for _, id := range team.FirstResponse {
			sc, ok := outlook[id]
			if !ok {
				continue
			}
			span = sc
			gaps = append(gaps, sc.Gaps...)
			for _, p := range sc.People {
				people[p] = true
			}
		}
		if span.Schedule == "" {
			continue
		}
		schedules := strings.Join(team.FirstResponse, ", ")
		if len(gaps) > 0 {
			var total float64
			for _, g := range gaps {
				total += g.Hours
			}
			first := slices.MinFunc(gaps, func(a, b Stretch) int { return a.Start.Compare(b.Start) })
			out = append(out, Risk{Kind: RiskScheduleGap, Service: s.ID, Score: round2(80 + math.Min(total/24, 5)),
				Summary: fmt.Sprintf("critical service %s has %s without anyone on call on %s in the next %s", s.ID, roughly(time.Duration(total*float64(time.Hour))), schedules, roughly(span.To.Sub(span.From))),
				Evidence: []string{because(s), fmt.Sprintf("first gap %s to %s (%g h)", first.Start.Format(time.RFC3339), first.End.Format(time.RFC3339), first.Hours),
					fmt.Sprintf("%d gap(s) in all", len(gaps))}})
		}
		if len(people) == 1 {
			var who string
			for p := range people {
				who = p
			}
			out = append(out, Risk{Kind: RiskOnePerson, Service: s.ID, Score: 70,
				Summary:  fmt.Sprintf("critical service %s rests on one person: %s is the only one on call on %s in the next %s", s.ID, who, schedules, roughly(span.To.Sub(span.From))),
				Evidence: []string{because(s), "no rotation: one illness or holiday and nobody answers"}})
		}
	}
	return out
}

func repeatRisks(o *Org, in RiskInput) []Risk {
	type key struct{ service, title string }
	counts := map[key][]Incident{}
	for _, inc := range in.Incidents {
		if in.Period.Contains(inc.CreatedAt) {
			k := key{inc.Service, inc.Title}
			counts[k] = append(counts[k], inc)
		}
	}
	var out []Risk
	for k, incs := range counts {
		if len(incs) < RepeatThreshold {
			continue
		}
		score := 40 + math.Min(float64(len(incs)), 20)
		if s := o.Service(k.service); s != nil && s.Critical {
			score += 15
		}
		ids := make([]string, 0, 5)
		for _, inc := range incs[:min(len(incs), 5)] {
			ids = append(ids, fmt.Sprintf("#%d", inc.ID))
		}
		out = append(out, Risk{Kind: RiskRepeats, Service: k.service, Score: round2(score),
			Summary:  fmt.Sprintf("%s: %q happened %d times in the period", k.service, k.title, len(incs)),
			Evidence: []string{"incidents " + strings.Join(ids, ", "), "the same failure keeps coming back: its cause is not fixed"}})
	}
	return out
}

func actionItemRisks(o *Org, in RiskInput) []Risk {
	var out []Risk
	for _, item := range in.ActionItems {
		if !item.Due.Before(in.At) {
			continue
		}
		late := in.At.Sub(item.Due)
		evidence := []string{fmt.Sprintf("due %s, %s ago", item.Due.Format(time.DateOnly), roughly(late))}
		if item.Incident != 0 {
			evidence = append(evidence, fmt.Sprintf("from the post-mortem of incident #%d", item.Incident))
		}
		out = append(out, Risk{Kind: RiskActionItems, Service: item.Service, Team: item.OwnerTeam,
			Score:    round2(55 + math.Min(late.Hours()/24/7, 10)),
			Summary:  fmt.Sprintf("overdue action item %s of team %s: %s", item.ID, item.OwnerTeam, item.Title),
			Evidence: evidence})
	}
	return out
}

// postmortemRisks lists the required post-mortems that are overdue
// (missing or unpublished past their due time), and those not even begun
// while not yet due; one being written on time is no risk.
func postmortemRisks(o *Org, in RiskInput) []Risk {
	var out []Risk
	for _, p := range in.Postmortems {
		evidence := []string{"required: " + strings.Join(p.Because, "; ")}
		what := "not written"
		if p.Status != "missing" {
			what = "still " + strings.ReplaceAll(p.Status, "_", " ")
		}
		r := Risk{Kind: RiskPostmortems, Service: p.Service, Team: p.OwnerTeam}
		switch {
		case p.Due != nil && p.Due.Before(in.At):
			late := in.At.Sub(*p.Due)
			evidence = append(evidence, fmt.Sprintf("due %s, %s ago", p.Due.Format(time.DateOnly), roughly(late)))
			r.Score = round2(54 + math.Min(late.Hours()/24/7, 10))
			r.Summary = fmt.Sprintf("overdue post-mortem of incident #%d (%s), %s", p.Incident, p.Title, what)
		case p.Status == "missing":
			if p.Due != nil {
				evidence = append(evidence, "due "+p.Due.Format(time.DateOnly))
			}
			r.Score = 44
			r.Summary = fmt.Sprintf("post-mortem of incident #%d (%s) required and not written", p.Incident, p.Title)
		default:
			continue
		}
		r.Evidence = evidence
		out = append(out, r)
	}
	return out
}

// ceilingRisks lists the findings of package ceiling over the org's
// hard edges and the SLOs' targets: objectives above their ceiling
// (errors) weigh more than a missing extra nine or an unknown dependency.
func ceilingRisks(o *Org, in RiskInput) []Risk {
	if o.graph == nil {
		return nil
	}
	objectives := make([]ceiling.Objective, 0, len(in.SLOs))
	for _, st := range in.SLOs {
		objectives = append(objectives, ceiling.Objective{SLO: st.Name, Service: st.Service, Target: st.Objective})
	}
	var out []Risk
	for _, f := range ceiling.New(o.graph, objectives).Findings() {
		s := o.Service(f.Service)
		critical := s != nil && s.Critical
		r := Risk{Service: f.Service, Summary: f.Message}
		switch f.Kind {
		case ceiling.KindAboveCeiling:
			r.Kind, r.Score = RiskAboveCeiling, 66
		case ceiling.KindExtraNine:
			r.Kind, r.Score = RiskExtraNine, 58
		case ceiling.KindNoSLO:
			r.Kind, r.Score = RiskUnknownDependency, 52
		default:
			continue
		}
		if critical {
			r.Score += 10
			r.Evidence = append(r.Evidence, because(*s))
		}
		r.Evidence = append(r.Evidence, "hard dependencies concerned: "+strings.Join(f.Dependencies, ", "))
		for _, fix := range f.Suggestions {
			r.Evidence = append(r.Evidence, "fix: "+fix)
		}
		out = append(out, r)
	}
	return out
}

// roughly spells a duration as people read it: "3 d 4 h", "45 min".
func roughly(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		days := int(d.Hours() / 24)
		if h := int(d.Hours()) - days*24; h > 0 {
			return fmt.Sprintf("%d d %d h", days, h)
		}
		return fmt.Sprintf("%d d", days)
	case d >= time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	default:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
}
