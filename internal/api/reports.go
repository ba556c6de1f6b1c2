package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/holiday"
	"github.com/vigil-oncall/vigil/internal/learning"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/store"
)

// defaultReportPeriod is how far back a report looks when from is not
// given.
const defaultReportPeriod = 30 * 24 * time.Hour

// riskOutlook is how far ahead the risks report looks at schedules.
const riskOutlook = 14 * 24 * time.Hour

// reportRoutes serve GET /api/v1/reports/{name}?from=&to=&team= for each
// report: over [from, to) (default: the 30 days to now), for the whole org
// or one team. The store answers the history; package report computes.
func (s *Server) reportRoutes() []route {
	var rs []route
	for _, name := range report.Names {
		rs = append(rs, route{"GET", "/api/v1/reports/" + name, anyToken, s.reportHandler(name)})
	}
	return rs
}

func (s *Server) reportHandler(name string) handlerFunc {
	build := reportBuilders[name]
	return func(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
		now := s.now()
		period, err := reportPeriod(r, now)
		if err != nil {
			return err
		}
		snap := s.org.Snapshot()
		f := report.Filter{Team: r.URL.Query().Get("team")}
		if f.Team != "" && snap.Team(f.Team) == nil {
			return notFound("team %.64q not found", f.Team)
		}
		in := reportInput{s: s, snap: snap, org: report.NewOrg(snap.Bundle, snap.Graph, snap.Hours(), holiday.IsHoliday),
			period: period, filter: f, now: now}
		rep, err := build(r.Context(), in)
		if err != nil {
			return fmt.Errorf("%s report: %w", name, err)
		}
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
}

// reportPeriod reads from and to: RFC 3339 instants, or dates (midnight
// UTC). to defaults to now, from to 30 days before to.
func reportPeriod(r *http.Request, now time.Time) (report.Period, error) {
	var p report.Period
	var err error
	if p.To, err = reportTime(r, "to", now); err != nil {
		return p, err
	}
	if p.From, err = reportTime(r, "from", p.To.Add(-defaultReportPeriod)); err != nil {
		return p, err
	}
	if err := p.Check(); err != nil {
		return p, badRequest("%v", err)
	}
	return p, nil
}

func reportTime(r *http.Request, name string, def time.Time) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badRequest("%s %.64q is not an RFC 3339 time such as 2026-02-03T09:00:00Z, nor a date such as 2026-02-03", name, v)
	}
	return t, nil
}

// reportInput is what a report is built from: the server's store and
// engines, the configuration, the period and the team asked about.
type reportInput struct {
	s      *Server
	snap   *org.Snapshot
	org    *report.Org
	period report.Period
	filter report.Filter
	now    time.Time
}

var reportBuilders = map[string]func(context.Context, reportInput) (any, error){
	report.NameInterruptions: func(ctx context.Context, in reportInput) (any, error) {
		pages, err := in.s.store.ReportPages(ctx, in.period.From, in.period.To)
		return report.ReportInterruptions(in.org, in.period, in.filter, pages), err
	},
	report.NameResponse: func(ctx context.Context, in reportInput) (any, error) {
		incidents, err := in.opened(ctx)
		return report.ReportResponse(in.org, in.period, in.filter, incidents), err
	},
	report.NameCost: func(ctx context.Context, in reportInput) (any, error) {
		pages, err := in.s.store.ReportPages(ctx, in.period.From, in.period.To)
		if err != nil {
			return nil, err
		}
		shifts, err := in.s.store.ReportShifts(ctx, in.period.From, in.period.To)
		if err != nil {
			return nil, err
		}
		// Response time counts the part of each incident inside the
		// period, up to now for those still open.
		active := in.elapsed()
		incidents, err := in.s.store.ReportIncidents(ctx, store.ReportIncidentQuery{From: active.From, To: active.To, Active: true, Engagements: true})
		if err != nil {
			return nil, err
		}
		rep := report.ReportCost(in.org, active, in.filter, pages, shifts, incidents)
		rep.From, rep.To = in.period.From, in.period.To
		return rep, nil
	},
	report.NameCoverage: func(ctx context.Context, in reportInput) (any, error) {
		shifts, err := in.s.store.ReportShifts(ctx, in.period.From, in.period.To)
		return report.ReportCoverage(in.org, in.period, in.filter, shifts), err
	},
	report.NameToil: func(ctx context.Context, in reportInput) (any, error) {
		incidents, err := in.opened(ctx)
		if err != nil {
			return nil, err
		}
		keys, err := in.s.store.ReportRepeats(ctx, in.period.From, in.period.To)
		if err != nil {
			return nil, err
		}
		var ops []report.ManualOperation
		if src, ok := in.s.store.(store.ReportOperations); ok {
			if ops, err = src.ReportOperations(ctx, in.period.From, in.period.To); err != nil {
				return nil, err
			}
		}
		return report.ReportToil(in.org, in.period, in.filter, incidents, keys, ops), nil
	},
	report.NameRisks: func(ctx context.Context, in reportInput) (any, error) {
		incidents, slos, err := in.openedAndSLOs(ctx)
		if err != nil {
			return nil, err
		}
		risk := report.RiskInput{At: in.now, Period: in.period, SLOs: slos, Schedules: in.outlook(), Incidents: incidents}
		if src, ok := in.s.store.(store.ReportActionItems); ok {
			if risk.ActionItems, err = src.ReportActionItems(ctx); err != nil {
				return nil, err
			}
		}
		if risk.Postmortems, err = in.postmortemsDue(ctx); err != nil {
			return nil, err
		}
		return report.ReportRisks(in.org, in.filter, risk, append(report.BuiltinRiskSources, in.s.riskSources...)...), nil
	},
	report.NameUnclearValue: func(ctx context.Context, in reportInput) (any, error) {
		incidents, slos, err := in.openedAndSLOs(ctx)
		if err != nil {
			return nil, err
		}
		alerts, err := in.s.store.ReportSLOAlerts(ctx, in.period.From, in.period.To)
		if err != nil {
			return nil, err
		}
		// An incident waits unacknowledged until now, not until a period's
		// end still to come.
		rep := report.ReportUnclearValue(in.org, in.elapsed(), in.filter, incidents, slos, alerts)
		rep.From, rep.To = in.period.From, in.period.To
		return rep, nil
	},
}

// postmortemsDue are the required post-mortems of the period's incidents
// that are not published.
func (in reportInput) postmortemsDue(ctx context.Context) ([]report.PostmortemDue, error) {
	reqs, err := in.s.postmortems.Required(ctx, learning.RequiredQuery{From: in.period.From, To: in.period.To, Unfinished: true})
	if err != nil {
		return nil, fmt.Errorf("required post-mortems: %w", err)
	}
	out := make([]report.PostmortemDue, 0, len(reqs))
	for _, r := range reqs {
		d := report.PostmortemDue{Incident: r.IncidentID, Title: r.Title, OwnerTeam: r.OwnerTeam, Status: r.Postmortem, Due: r.Due, Because: r.RequiredBecause}
		if len(r.Services) > 0 {
			d.Service = r.Services[0]
		}
		out = append(out, d)
	}
	return out, nil
}

// elapsed is the part of the period up to now.
func (in reportInput) elapsed() report.Period {
	p := in.period
	if in.now.Before(p.To) && in.now.After(p.From) {
		p.To = in.now
	}
	return p
}

// opened are the incidents opened in the period.
func (in reportInput) opened(ctx context.Context) ([]report.Incident, error) {
	return in.s.store.ReportIncidents(ctx, store.ReportIncidentQuery{From: in.period.From, To: in.period.To})
}

// sloStates are the configured SLOs as the engine has them now; without
// an engine, their objectives alone.
// openedAndSLOs is opened and sloStates, for the reports that weigh
// incidents against the SLOs.
func (in reportInput) openedAndSLOs(ctx context.Context) ([]report.Incident, []report.SLOState, error) {
	incidents, err := in.opened(ctx)
	if err != nil {
		return nil, nil, err
	}
	slos, err := in.sloStates(ctx)
	return incidents, slos, err
}

func (in reportInput) sloStates(ctx context.Context) ([]report.SLOState, error) {
	statuses := map[string]slo.Status{}
	if in.s.slo != nil {
		views, err := in.s.slo.Statuses(ctx, in.now)
		if err != nil {
			return nil, fmt.Errorf("SLO statuses: %w", err)
		}
		for _, v := range views {
			statuses[v.SLO.Name] = v.Status
		}
	}
	var out []report.SLOState
	for _, def := range in.snap.SLOs() {
		st := report.SLOState{Name: def.Name, Service: def.Service, Objective: def.Objective, BudgetRemaining: 1}
		if status, ok := statuses[def.Name]; ok && !status.NoData {
			st.BudgetRemaining, st.BurnRate = status.BudgetRemaining, status.BurnRate
			if status.TimeToExhaustion != nil {
				d := status.TimeToExhaustion.Std()
				st.TimeToExhaustion = &d
			}
		}
		st.WindowLeft = def.Window.Duration.Std()
		if !def.Window.Rolling {
			_, end := def.Window.Period(in.now)
			st.WindowLeft = end.Sub(in.now)
		}
		out = append(out, st)
	}
	return out, nil
}

// outlook is who is on call, and where nobody is, on each team's
// first-response schedules for the days ahead, as configured now.
func (in reportInput) outlook() []report.ScheduleOutlook {
	from, to := in.now, in.now.Add(riskOutlook)
	seen := map[string]bool{}
	var out []report.ScheduleOutlook
	for _, t := range in.org.Teams {
		for _, id := range t.FirstResponse {
			if seen[id] {
				continue
			}
			seen[id] = true
			e, err := in.s.oncall.Engine(in.snap, id)
			if err != nil {
				continue // a schedule that does not compile shows as no outlook
			}
			cov, err := schedule.Coverage(e, from, to, nil, in.snap.Hours(), nil)
			if err != nil {
				continue
			}
			o := report.ScheduleOutlook{Schedule: id, From: from, To: to, People: []string{}, Gaps: []report.Stretch{}}
			for _, p := range cov.People {
				o.People = append(o.People, p.User)
			}
			for _, g := range cov.Gaps {
				o.Gaps = append(o.Gaps, report.Stretch{Start: g.Start, End: g.End, Hours: g.End.Sub(g.Start).Hours()})
			}
			out = append(out, o)
		}
	}
	return out
}
