package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Table is a report's figures as rows of text, for the command line
// (aligned columns or CSV).
type Table struct {
	Title   string
	Columns []string
	Rows    [][]string
}

// Tabular is a report that can show itself as tables.
type Tabular interface {
	Tables() []Table
}

// Decode reads a report's JSON (as the API answers it) into its type.
func Decode(name string, data []byte) (Tabular, error) {
	var rep Tabular
	switch name {
	case NameInterruptions:
		rep = &Interruptions{}
	case NameResponse:
		rep = &Response{}
	case NameCost:
		rep = &CostReport{}
	case NameCoverage:
		rep = &Coverage{}
	case NameToil:
		rep = &Toil{}
	case NameRisks:
		rep = &Risks{}
	case NameUnclearValue:
		rep = &UnclearValue{}
	default:
		return nil, fmt.Errorf("unknown report %q (use %s)", name, strings.Join(Names, ", "))
	}
	if err := json.Unmarshal(data, rep); err != nil {
		return nil, fmt.Errorf("decode the %s report: %w", name, err)
	}
	return rep, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

func secs(t *Times, pick func(Times) float64) string {
	if t == nil {
		return "-"
	}
	return roughly(time.Duration(pick(*t)) * time.Second)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func countCells(c Counts) []string {
	return []string{itoa(c.Business), itoa(c.Off), itoa(c.Sleep), itoa(c.Total), itoa(c.Holiday)}
}

var countColumns = []string{"BUSINESS", "OFF", "SLEEP", "TOTAL", "HOLIDAY"}

// Tables shows people, teams and weeks.
func (r *Interruptions) Tables() []Table {
	people := Table{Title: "Interruptions per person", Columns: append([]string{"USER"}, countColumns...)}
	for _, p := range r.People {
		people.Rows = append(people.Rows, append([]string{p.User}, countCells(p.Counts)...))
	}
	teams := Table{Title: "Interruptions per team", Columns: append([]string{"TEAM", "MEMBERS"}, countColumns...)}
	for _, t := range r.Teams {
		teams.Rows = append(teams.Rows, append([]string{t.Team, itoa(t.Members)}, countCells(t.Counts)...))
	}
	weeks := Table{Title: "Interruptions per week", Columns: append([]string{"WEEK"}, countColumns...)}
	for _, w := range r.Weeks {
		weeks.Rows = append(weeks.Rows, append([]string{w.Week}, countCells(w.Counts)...))
	}
	return []Table{people, teams, weeks}
}

var responseColumns = []string{"INCIDENTS", "ACKED", "MTTA MEDIAN", "MTTA P90", "MTTA MEAN", "MTTR MEDIAN", "MTTR P90", "MTTR MEAN",
	"ESCALATED", "ACK OWNER", "ACK IRT", "PER WEEK"}

func responseCells(r ResponseRow) []string {
	return []string{itoa(r.Incidents), itoa(r.Acknowledged),
		secs(r.MTTA, func(t Times) float64 { return t.Median }), secs(r.MTTA, func(t Times) float64 { return t.P90 }), secs(r.MTTA, func(t Times) float64 { return t.Mean }),
		secs(r.MTTR, func(t Times) float64 { return t.Median }), secs(r.MTTR, func(t Times) float64 { return t.P90 }), secs(r.MTTR, func(t Times) float64 { return t.Mean }),
		pct(r.EscalationRate), pct(r.AcknowledgedBy.Owner), pct(r.AcknowledgedBy.IRT), num(r.PerWeek)}
}

// Tables shows services, teams and the total.
func (r *Response) Tables() []Table {
	services, teams := serviceAndTeamTables("Response", responseColumns, r.Services, r.Total, r.Teams, responseCells)
	return []Table{services, teams}
}

// serviceAndTeam is a row of figures of a service (with its team) or of a
// team.
type serviceAndTeam interface {
	names() (service, team string)
}

func (r ResponseRow) names() (service, team string) { return r.Service, r.Team }
func (r ToilRow) names() (service, team string)     { return r.Service, r.Team }

// serviceAndTeamTables are the figures of what per service, the total last
// (as "(all)"), and per team, in columns.
func serviceAndTeamTables[R serviceAndTeam](what string, columns []string, services []R, total R, teams []R, cells func(R) []string) (perService, perTeam Table) {
	perService = Table{Title: what + " per service", Columns: append([]string{"SERVICE", "TEAM"}, columns...)}
	for _, s := range services {
		service, team := s.names()
		perService.Rows = append(perService.Rows, append([]string{service, orDash(team)}, cells(s)...))
	}
	perService.Rows = append(perService.Rows, append([]string{"(all)", ""}, cells(total)...))
	perTeam = Table{Title: what + " per team", Columns: append([]string{"TEAM"}, columns...)}
	for _, t := range teams {
		_, team := t.names()
		perTeam.Rows = append(perTeam.Rows, append([]string{team}, cells(t)...))
	}
	return perService, perTeam
}

var costColumns = []string{"STANDBY H", "HOLIDAY H", "PAGES", "SLEEP PAGES", "RESPONSE H", "STANDBY", "PAGES COST", "RESPONSE", "TOTAL"}

func costCells(standby, holiday float64, in Counts, response map[string]float64, m Money) []string {
	var resp float64
	for _, h := range response {
		resp += h
	}
	return []string{num(standby), num(holiday), itoa(in.Total), itoa(in.Sleep), num(round2(resp)),
		num(m.Standby), num(m.Interruptions), num(m.Response), num(m.Total)}
}

// Tables shows people, teams and the total, in the report's currency.
func (r *CostReport) Tables() []Table {
	title := "Cost per person"
	if r.Rates.Currency != "" {
		title += " (" + r.Rates.Currency + ")"
	}
	people := Table{Title: title, Columns: append([]string{"USER"}, costColumns...)}
	for _, p := range r.People {
		people.Rows = append(people.Rows, append([]string{p.User}, costCells(p.StandbyHours, p.HolidayStandbyHours, p.Interruptions, p.ResponseHours, p.Cost)...))
	}
	teams := Table{Title: strings.Replace(title, "person", "team", 1), Columns: append([]string{"TEAM"}, costColumns...)}
	for _, t := range r.Teams {
		teams.Rows = append(teams.Rows, append([]string{t.Team}, costCells(t.StandbyHours, t.HolidayStandbyHours, t.Interruptions, t.ResponseHours, t.Cost)...))
	}
	teams.Rows = append(teams.Rows, append([]string{"(everyone)"}, costCells(r.Total.StandbyHours, r.Total.HolidayStandbyHours, r.Total.Interruptions, r.Total.ResponseHours, r.Total.Cost)...))
	return []Table{people, teams}
}

// Tables shows teams and people.
func (r *Coverage) Tables() []Table {
	teams := Table{Title: "Guaranteed response per team", Columns: []string{"TEAM", "SCHEDULES", "GUARANTEED H", "GAP H", "COVERAGE", "OVERLAP H", "24/7", "CRITICAL", "VERDICT", "FOLLOW THE SUN"}}
	for _, t := range r.Teams {
		always := "no"
		if t.AlwaysCovered {
			always = "yes"
		}
		teams.Rows = append(teams.Rows, []string{t.Team, orDash(strings.Join(t.Schedules, " ")), num(t.GuaranteedHours), num(t.GapHours), pct(t.Coverage),
			num(t.OverlapHours), always, itoa(len(t.CriticalServices)), t.Verdict, pct(t.FollowTheSunShare)})
	}
	people := Table{Title: "Hours on call per person, in their own time zone", Columns: []string{"USER", "TIME ZONE", "ON CALL H", "BUSINESS H", "OFF H", "NIGHT H"}}
	for _, p := range r.People {
		people.Rows = append(people.Rows, []string{p.User, p.TimeZone, num(p.OnCallHours), num(p.BusinessHours), num(p.OffHours), num(p.NightHours)})
	}
	return []Table{teams, people}
}

var toilColumns = []string{"INCIDENTS", "ACKED BY HAND", "RESOLVED BY HAND", "ACKED, SELF-RESOLVED", "CLOSED, NO NOTE", "REPEAT ALERTS", "OPERATIONS", "MANUAL ACTIONS"}

func toilCells(r ToilRow) []string {
	return []string{itoa(r.Incidents), itoa(r.AcknowledgedByHand), itoa(r.ResolvedByHand), itoa(r.SelfResolvedAcknowledged),
		itoa(r.ClosedWithoutNote), itoa(r.RepeatAlerts), itoa(r.Operations), itoa(r.ManualActions)}
}

// Tables shows services, teams and the top repeating keys.
func (r *Toil) Tables() []Table {
	services, teams := serviceAndTeamTables("Toil", toilColumns, r.Services, r.Total, r.Teams, toilCells)
	repeats := Table{Title: "Alerts that keep repeating", Columns: []string{"SERVICE", "DEDUP KEY", "ALERTS", "TRIGGERS", "REPEATS"}}
	for _, k := range r.Repeats {
		repeats.Rows = append(repeats.Rows, []string{k.Service, k.DedupKey, itoa(k.Alerts), itoa(k.Triggers), itoa(k.Repeats)})
	}
	return []Table{services, teams, repeats}
}

func findingTable(title string, findings []Finding) Table {
	t := Table{Title: title, Columns: []string{"RANK", "KIND", "SERVICE", "TEAM", "SCORE", "SUMMARY", "EVIDENCE"}}
	for _, f := range findings {
		t.Rows = append(t.Rows, []string{itoa(f.Rank), f.Kind, orDash(f.Service), orDash(f.Team), num(f.Score), f.Summary, strings.Join(f.Evidence, "; ")})
	}
	return t
}

// Tables shows the ranked risks.
func (r *Risks) Tables() []Table {
	return []Table{findingTable("The biggest reliability risks now", r.Risks)}
}

// Tables shows the signals and each team's services per person.
func (r *UnclearValue) Tables() []Table {
	teams := Table{Title: "Services per person", Columns: []string{"TEAM", "SERVICES", "MEMBERS", "PER PERSON"}}
	for _, t := range r.Teams {
		teams.Rows = append(teams.Rows, []string{t.Team, itoa(t.Services), itoa(t.Members), num(t.ServicesPerPerson)})
	}
	return []Table{findingTable("Signs of unclear business value", r.Signals), teams}
}
