package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/holiday"
	"github.com/vigil-oncall/vigil/internal/hours"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// The org of the tests: payments (Berlin, DE) with alice in Berlin and
// kenji in Tokyo owns checkout (revenue-critical) and ledger (its hard
// dependency); search (New York, US) with sam owns four services; the
// global IRT is gina in New York.
func testBundle() *config.Bundle {
	return &config.Bundle{
		Org: catalog.Org{Costs: &catalog.Costs{Currency: "EUR", StandbyPerHour: 2.5, PerInterruption: 15, OffHoursMultiplier: 1.5,
			SleepMultiplier: 3, HolidayMultiplier: 2, ResponsePerHour: map[string]float64{"commander": 120, "responder": 80, "comms": 60, "scribe": 60}}},
		Users: []catalog.User{
			{ID: "alice", Name: "Alice", TimeZone: "Europe/Berlin"},
			{ID: "kenji", Name: "Kenji", TimeZone: "Asia/Tokyo"},
			{ID: "sam", TimeZone: "America/New_York"},
			{ID: "gina", TimeZone: "America/New_York"},
		},
		Teams: []catalog.Team{
			{ID: "payments", Kind: "dev", TimeZone: "Europe/Berlin", Country: "DE", Members: []string{"alice", "kenji"},
				Schedule: "payments-primary", EscalationPolicy: "payments-default"},
			{ID: "search", Kind: "dev", TimeZone: "America/New_York", Country: "US", Members: []string{"sam"}},
			{ID: "irt", Kind: "global-irt", Country: "US", Members: []string{"gina"}, Schedule: "irt-oncall", EscalationPolicy: "irt"},
		},
		Schedules: []schedule.Schedule{{ID: "payments-primary"}, {ID: "irt-oncall"}, {ID: "unpaged"}},
		EscalationPolicies: []escalation.Policy{
			{ID: "payments-default", Steps: []escalation.Step{
				{Targets: []escalation.Target{{Schedule: "payments-primary"}}},
				{Targets: []escalation.Target{{User: "gina"}}},
			}},
			{ID: "irt", Steps: []escalation.Step{{Targets: []escalation.Target{{Team: "irt"}}}}},
		},
		Services: []catalog.Service{
			{ID: "checkout", Owner: "payments", RevenueCritical: true, DependsOn: []catalog.Dependency{{Service: "ledger", Kind: "hard"}}},
			{ID: "ledger", Owner: "payments"},
			{ID: "search-api", Owner: "search"},
			{ID: "search-index", Owner: "search"},
			{ID: "search-ui", Owner: "search"},
			{ID: "search-batch", Owner: "search"},
		},
	}
}

func testOrg(t *testing.T) *Org {
	t.Helper()
	b := testBundle()
	return NewOrg(b, catalog.NewGraph(b.Services), hours.Default, holiday.IsHoliday)
}

var at = vigiltest.Instant

func ptr(t time.Time) *time.Time { return &t }

// asJSON compares through JSON, so that a failure shows what the API
// would answer.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNewOrg(t *testing.T) {
	o := testOrg(t)
	if p := o.Person("kenji"); p == nil || p.Country != "DE" || strings.Join(p.Teams, ",") != "payments" {
		t.Errorf("kenji = %+v", p)
	}
	pay := o.Team("payments")
	if strings.Join(pay.FirstResponse, ",") != "payments-primary" || strings.Join(pay.Services, ",") != "checkout,ledger" {
		t.Errorf("payments = %+v", pay)
	}
	irt := o.Team("irt")
	if strings.Join(irt.FirstResponse, ",") != "irt-oncall" || strings.Join(irt.Services, ",") != "checkout,ledger" {
		t.Errorf("the global IRT covers the critical services: %+v", irt)
	}
	if !o.PagingSchedules["payments-primary"] || !o.PagingSchedules["irt-oncall"] || o.PagingSchedules["unpaged"] {
		t.Errorf("paging schedules = %v", o.PagingSchedules)
	}
	if s := o.Service("ledger"); !s.Critical || strings.Join(s.Because, ",") != "checkout,ledger" {
		t.Errorf("ledger = %+v", s)
	}
	if s := o.Service("checkout"); strings.Join(s.HardDependencies, ",") != "ledger" {
		t.Errorf("checkout = %+v", s)
	}
}

func TestPeriod(t *testing.T) {
	p := Period{From: at(t, "2026-03-04T12:00:00Z"), To: at(t, "2026-03-17T00:00:00Z")}
	var weeks []string
	for _, w := range p.Weeks() {
		weeks = append(weeks, w.Format(time.DateOnly))
	}
	if got := strings.Join(weeks, " "); got != "2026-03-02 2026-03-09 2026-03-16" {
		t.Errorf("weeks = %s", got)
	}
	for _, bad := range []Period{{}, {From: p.To, To: p.From}, {From: p.From, To: p.From}, {From: p.From, To: p.From.Add(MaxPeriod + time.Hour)}} {
		if bad.Check() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := p.Check(); err != nil {
		t.Error(err)
	}
}

// The hand-worked pages of TestInterruptions.
func testPages(t *testing.T) []Page {
	return []Page{
		// Tuesday 18:00 UTC: 03:00 Wednesday in Tokyo (sleep), 19:00 in Berlin (off).
		{Incident: 1, User: "kenji", At: at(t, "2026-03-03T18:00:00Z"), TimeZone: "Asia/Tokyo"},
		{Incident: 1, User: "alice", At: at(t, "2026-03-03T18:00:00Z"), TimeZone: "Europe/Berlin"},
		// The same incident paging kenji again counts once, at the first.
		{Incident: 1, User: "kenji", At: at(t, "2026-03-03T18:05:00Z"), TimeZone: "Asia/Tokyo"},
		// Kenji still lived in Berlin: 10:00 there is business hours, though
		// it was 18:00 in Tokyo.
		{Incident: 2, User: "kenji", At: at(t, "2026-03-04T09:00:00Z"), TimeZone: "Europe/Berlin"},
		// The spring-forward Sunday: 08:30 CEST, off (07:30 on winter time would be sleep).
		{Incident: 3, User: "alice", At: at(t, "2026-03-29T06:30:00Z"), TimeZone: "Europe/Berlin"},
		// The fall-back Sunday: 07:30 CET, sleep (08:30 on summer time would be off).
		{Incident: 4, User: "alice", At: at(t, "2026-10-25T06:30:00Z"), TimeZone: "Europe/Berlin"},
		// Christmas Day, a Friday: business by the clock, and a German holiday.
		{Incident: 5, User: "alice", At: at(t, "2026-12-25T10:00:00+01:00"), TimeZone: "Europe/Berlin"},
		// Before the period.
		{Incident: 6, User: "sam", At: at(t, "2026-02-27T12:00:00Z"), TimeZone: "America/New_York"},
	}
}

func TestInterruptions(t *testing.T) {
	o := testOrg(t)
	period := Period{From: at(t, "2026-03-01T00:00:00Z"), To: at(t, "2027-01-01T00:00:00Z")}
	rep := ReportInterruptions(o, period, Filter{}, testPages(t))
	people := map[string]Counts{}
	for _, p := range rep.People {
		people[p.User] = p.Counts
	}
	want := map[string]Counts{
		"alice": {Business: 1, Off: 2, Sleep: 1, Total: 4, Holiday: 1},
		"kenji": {Business: 1, Sleep: 1, Total: 2},
		"sam":   {},
		"gina":  {},
	}
	if fmt.Sprint(people) != fmt.Sprint(want) {
		t.Errorf("people:\n got %v\nwant %v", people, want)
	}
	if rep.People[0].User != "alice" || rep.People[0].Name != "Alice" {
		t.Errorf("the most interrupted first: %+v", rep.People[0])
	}
	teams := map[string]Counts{}
	for _, tm := range rep.Teams {
		teams[tm.Team] = tm.Counts
	}
	wantTeams := map[string]Counts{"payments": {Business: 2, Off: 2, Sleep: 2, Total: 6, Holiday: 1}, "search": {}, "irt": {}}
	if fmt.Sprint(teams) != fmt.Sprint(wantTeams) {
		t.Errorf("teams:\n got %v\nwant %v", teams, wantTeams)
	}
	if len(rep.Weeks) != 45 || rep.Weeks[0].Week != "2026-02-23" || rep.Weeks[1] != (WeekInterruptions{Week: "2026-03-02", Counts: Counts{Business: 1, Off: 1, Sleep: 1, Total: 3}}) {
		t.Errorf("weeks: %d, first two %+v", len(rep.Weeks), rep.Weeks[:2])
	}
	if rep.Hours != (HoursView{Business: "08:00-18:00 mon tue wed thu fri", Night: "22:00-08:00"}) {
		t.Errorf("hours = %+v", rep.Hours)
	}
	// The contract's shape: people with user, business, off, sleep, total.
	var shape struct {
		People []map[string]any `json:"people"`
		Teams  []map[string]any `json:"teams"`
	}
	if err := json.Unmarshal([]byte(asJSON(t, rep)), &shape); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"user", "business", "off", "sleep", "total"} {
		if _, ok := shape.People[0][k]; !ok {
			t.Errorf("people[0] has no %q: %v", k, shape.People[0])
		}
	}
	for _, k := range []string{"team", "business", "off", "sleep", "total"} {
		if _, ok := shape.Teams[0][k]; !ok {
			t.Errorf("teams[0] has no %q: %v", k, shape.Teams[0])
		}
	}

	one := ReportInterruptions(o, period, Filter{Team: "search"}, testPages(t))
	if len(one.People) != 1 || one.People[0].User != "sam" || len(one.Teams) != 1 || one.Teams[0].Team != "search" {
		t.Errorf("team search: %s", asJSON(t, one))
	}
}

// The same page is sleep for a Tokyo user and business for nobody: the
// bucket follows the zone recorded with each page, not the server's.
func TestBucketIsThePersonsOwn(t *testing.T) {
	o := testOrg(t)
	page := Page{Incident: 9, User: "kenji", At: at(t, "2026-03-03T18:00:00Z"), TimeZone: "Asia/Tokyo"}
	if in := o.Bucket(page); in.Bucket != hours.Sleep || in.Holiday {
		t.Errorf("03:00 in Tokyo: %+v", in)
	}
	page.TimeZone = "Not/AZone"
	if in := o.Bucket(page); in.Bucket != hours.Off {
		t.Errorf("an unknown zone reads as UTC (18:00, off): %+v", in)
	}
}

func TestCost(t *testing.T) {
	o := testOrg(t)
	period := Period{From: at(t, "2026-03-01T00:00:00Z"), To: at(t, "2027-01-01T00:00:00Z")}
	shifts := []Shift{
		// 48 hours, of which Christmas Day (24 h) is a German holiday; 24
		// December is not one.
		{Schedule: "payments-primary", User: "alice", Start: at(t, "2026-12-24T00:00:00+01:00"), End: at(t, "2026-12-26T00:00:00+01:00")},
		// Overlapping the first on another paging schedule: counted once.
		{Schedule: "irt-oncall", User: "alice", Start: at(t, "2026-12-24T00:00:00+01:00"), End: at(t, "2026-12-24T12:00:00+01:00")},
		// Not a schedule that pages.
		{Schedule: "unpaged", User: "alice", Start: at(t, "2026-06-01T00:00:00Z"), End: at(t, "2026-06-02T00:00:00Z")},
		// Partly before the period.
		{Schedule: "irt-oncall", User: "gina", Start: at(t, "2026-02-28T00:00:00Z"), End: at(t, "2026-03-02T00:00:00Z")},
	}
	incidents := []Incident{{
		ID: 1, Service: "checkout", CreatedAt: at(t, "2026-03-03T18:00:00Z"), ResolvedAt: ptr(at(t, "2026-03-03T19:00:00Z")),
		Engagements: []Engagement{
			{At: at(t, "2026-03-03T18:10:00Z"), User: "alice", Role: RoleResponder},
			{At: at(t, "2026-03-03T18:20:00Z"), User: "gina", Role: "commander"},
			{At: at(t, "2026-03-03T18:40:00Z"), User: "alice", Role: "commander"},
		},
	}}
	rep := ReportCost(o, period, Filter{}, testPages(t), shifts, incidents)
	people := map[string]PersonCost{}
	for _, p := range rep.People {
		people[p.User] = p
	}
	alice := people["alice"]
	// Standby 2.5 × (24 + 24 × 2) = 180. Interruptions: off 22.5 + off 22.5
	// + sleep 45 + business on a holiday 30 = 120. Response: responder 30
	// min × 80 + commander 20 min × 120 = 80.
	if alice.StandbyHours != 48 || alice.HolidayStandbyHours != 24 || alice.Cost != (Money{Standby: 180, Interruptions: 120, Response: 80, Total: 380}) {
		t.Errorf("alice = %s", asJSON(t, alice))
	}
	if alice.ResponseHours["responder"] != 0.5 || alice.ResponseHours["commander"] != 0.33 {
		t.Errorf("alice's response hours = %v", alice.ResponseHours)
	}
	// Gina: 24 hours of standby in the period (60), commander 20 min (40)
	// and responder 20 min (26.67).
	gina := people["gina"]
	if gina.StandbyHours != 24 || gina.Cost != (Money{Standby: 60, Response: 66.67, Total: 126.67}) {
		t.Errorf("gina = %s", asJSON(t, gina))
	}
	// Kenji: a sleep page (45) and a business page (15).
	if k := people["kenji"]; k.Cost != (Money{Interruptions: 60, Total: 60}) || k.Interruptions.Total != 2 {
		t.Errorf("kenji = %s", asJSON(t, k))
	}
	if rep.People[0].User != "alice" {
		t.Errorf("the most expensive first: %s", rep.People[0].User)
	}
	teams := map[string]Money{}
	for _, tm := range rep.Teams {
		teams[tm.Team] = tm.Cost
	}
	if teams["payments"] != (Money{Standby: 180, Interruptions: 180, Response: 80, Total: 440}) || teams["irt"].Total != 126.67 {
		t.Errorf("teams = %v", teams)
	}
	if rep.Total.Cost.Total != 566.67 || rep.Total.Members != 4 {
		t.Errorf("total = %s", asJSON(t, rep.Total))
	}
	if len(rep.Method) < 4 || !strings.Contains(strings.Join(rep.Method, " "), "2.5 per hour") {
		t.Errorf("the report says how it computed: %q", rep.Method)
	}
}

func TestRatesCost(t *testing.T) {
	r := RatesOf(&catalog.Costs{StandbyPerHour: 2, PerInterruption: 10, SleepMultiplier: 3, ResponsePerHour: map[string]float64{"scribe": 30}})
	if r.OffHours != 1 || r.Holiday != 1 || r.Sleep != 3 {
		t.Fatalf("unset multipliers are 1: %+v", r)
	}
	q := Quantities{Standby: 10 * time.Hour, HolidayStandby: 2 * time.Hour,
		Interruptions: Counts{Business: 1, Off: 1, Sleep: 1, Total: 3}, HolidayInterruptions: Counts{Sleep: 1, Total: 1}}
	q.AddResponse("scribe", 90*time.Minute)
	// 2 × 10; 10 + 10 + 30 + 30; 45.
	if got := r.Cost(q); got != (Money{Standby: 20, Interruptions: 80, Response: 45, Total: 145}) {
		t.Errorf("Cost = %+v", got)
	}
	if got := RatesOf(nil).Cost(q); got != (Money{}) {
		t.Errorf("no costs configured: %+v", got)
	}
}

func TestStandbyOnHolidays(t *testing.T) {
	o := testOrg(t)
	tests := []struct {
		user, from, to string
		all, holiday   float64
	}{
		{"alice", "2026-12-25T06:00:00+01:00", "2026-12-25T18:00:00+01:00", 12, 12},
		{"alice", "2026-12-24T20:00:00+01:00", "2026-12-25T02:00:00+01:00", 6, 2},
		// Kenji is in Tokyo: Christmas Day there is 24-25 December 15:00-15:00 UTC.
		{"kenji", "2026-12-24T12:00:00Z", "2026-12-24T18:00:00Z", 6, 3},
		// Nobody knows someone who is not configured.
		{"nobody", "2026-12-25T00:00:00Z", "2026-12-26T00:00:00Z", 24, 0},
		{"alice", "2026-12-25T00:00:00Z", "2026-12-24T00:00:00Z", 0, 0},
	}
	for _, tt := range tests {
		all, holiday := o.Standby(tt.user, at(t, tt.from), at(t, tt.to))
		if all.Hours() != tt.all || holiday.Hours() != tt.holiday {
			t.Errorf("Standby(%s, %s, %s) = %v, %v; want %gh, %gh", tt.user, tt.from, tt.to, all, holiday, tt.all, tt.holiday)
		}
	}
}

func TestResponses(t *testing.T) {
	o := testOrg(t)
	period := Period{From: at(t, "2026-03-03T18:30:00Z"), To: at(t, "2026-03-03T20:00:00Z")}
	inc := Incident{ID: 1, CreatedAt: at(t, "2026-03-03T18:00:00Z"), Engagements: []Engagement{
		{At: at(t, "2026-03-03T18:00:00Z"), User: "gina", Role: "commander"},
		{At: at(t, "2026-03-03T18:00:00Z"), User: "gina", Role: "scribe"},
		{At: at(t, "2026-03-03T18:10:00Z"), User: "alice", Role: RoleResponder},
	}}
	// Open until the period's end; clipped to its start. Gina holds two
	// roles and is paid the dearer.
	got := o.Responses(inc, period)
	if fmt.Sprint(got) != "map[alice:map[responder:1h30m0s] gina:map[commander:1h30m0s]]" {
		t.Errorf("Responses = %v", got)
	}
	inc.ResolvedAt = ptr(at(t, "2026-03-03T18:00:00Z"))
	if got := o.Responses(inc, period); len(got) != 0 {
		t.Errorf("resolved before the period: %v", got)
	}
}

func responseIncidents(t *testing.T) []Incident {
	return []Incident{
		{ID: 1, Title: "checkout down", Service: "checkout", CreatedAt: at(t, "2026-03-03T18:00:00Z"),
			AcknowledgedAt: ptr(at(t, "2026-03-03T18:10:00Z")), AcknowledgedBy: "user:alice",
			ResolvedAt: ptr(at(t, "2026-03-03T19:00:00Z")), ResolvedBy: "user:alice", Notes: 1},
		{ID: 2, Title: "ledger slow", Service: "checkout", Services: []string{"checkout", "ledger"}, CreatedAt: at(t, "2026-03-10T10:00:00Z"),
			AcknowledgedAt: ptr(at(t, "2026-03-10T10:30:00Z")), AcknowledgedBy: "user:gina",
			ResolvedAt: ptr(at(t, "2026-03-10T12:00:00Z")), ResolvedBy: "user:gina", Escalated: true},
		{ID: 3, Title: "search slow", Service: "search-api", CreatedAt: at(t, "2026-03-11T10:00:00Z"),
			ResolvedAt: ptr(at(t, "2026-03-11T13:00:00Z")), ResolvedBy: "integration:am-search"},
		{ID: 4, Title: "checkout down", Service: "checkout", CreatedAt: at(t, "2026-03-12T09:00:00Z"),
			AcknowledgedAt: ptr(at(t, "2026-03-12T09:05:00Z")), AcknowledgedBy: "integration:am-pay",
			ResolvedAt: ptr(at(t, "2026-03-12T09:20:00Z")), ResolvedBy: "integration:am-pay"},
		{ID: 5, Title: "outside", Service: "checkout", CreatedAt: at(t, "2026-04-12T09:00:00Z")},
	}
}

func TestResponse(t *testing.T) {
	o := testOrg(t)
	period := Period{From: at(t, "2026-03-02T00:00:00Z"), To: at(t, "2026-03-16T00:00:00Z")}
	rep := ReportResponse(o, period, Filter{}, responseIncidents(t))
	services := map[string]ResponseRow{}
	for _, r := range rep.Services {
		services[r.Service] = r
	}
	co := services["checkout"]
	if co.Incidents != 3 || co.Acknowledged != 3 || co.Resolved != 3 || !co.Critical || co.Team != "payments" {
		t.Errorf("checkout = %s", asJSON(t, co))
	}
	// TTA 600, 1800, 300 s; TTR 3600, 7200, 1200 s.
	if *co.MTTA != (Times{Median: 600, P90: 1560, Mean: 900}) || *co.MTTR != (Times{Median: 3600, P90: 6480, Mean: 4000}) {
		t.Errorf("checkout MTTA %+v, MTTR %+v", *co.MTTA, *co.MTTR)
	}
	if co.EscalationRate != 0.3333 || co.AcknowledgedBy != (AckShares{Owner: 0.3333, IRT: 0.3333, Source: 0.3333}) || co.PerWeek != 1.5 {
		t.Errorf("checkout = %s", asJSON(t, co))
	}
	if s := services["search-api"]; s.Incidents != 1 || s.Acknowledged != 0 || s.Resolved != 1 || s.MTTA != nil || s.MTTR != nil {
		t.Errorf("search-api = %s", asJSON(t, s))
	}
	if l := services["ledger"]; l.Incidents != 1 || l.AcknowledgedBy.IRT != 1 {
		t.Errorf("ledger = %s", asJSON(t, l))
	}
	teams := map[string]ResponseRow{}
	for _, r := range rep.Teams {
		teams[r.Team] = r
	}
	if teams["payments"].Incidents != 3 || teams["search"].Incidents != 1 || teams["irt"].Incidents != 0 {
		t.Errorf("teams = %s", asJSON(t, rep.Teams))
	}
	if rep.Total.Incidents != 4 || rep.Total.Acknowledged != 3 || rep.Total.Escalated != 1 {
		t.Errorf("total = %s", asJSON(t, rep.Total))
	}
	if asJSON(t, rep.Weeks) != `[{"week":"2026-03-02","incidents":1,"escalated":0},{"week":"2026-03-09","incidents":3,"escalated":1}]` {
		t.Errorf("weeks = %s", asJSON(t, rep.Weeks))
	}
	if len(ReportResponse(o, period, Filter{Team: "search"}, responseIncidents(t)).Services) != 1 {
		t.Error("team search shows its own services only")
	}
}

func TestCoverage(t *testing.T) {
	o := testOrg(t)
	period := Period{From: at(t, "2026-03-02T00:00:00Z"), To: at(t, "2026-03-09T00:00:00Z")}
	shifts := []Shift{
		{Schedule: "payments-primary", User: "alice", Start: at(t, "2026-03-02T00:00:00Z"), End: at(t, "2026-03-05T00:00:00Z")},
		{Schedule: "payments-primary", User: "kenji", Start: at(t, "2026-03-05T00:00:00Z"), End: at(t, "2026-03-07T00:00:00Z")},
		{Schedule: "irt-oncall", User: "gina", Start: at(t, "2026-02-20T00:00:00Z"), End: at(t, "2026-03-20T00:00:00Z")},
	}
	rep := ReportCoverage(o, period, Filter{}, shifts)
	teams := map[string]TeamCoverage{}
	for _, tm := range rep.Teams {
		teams[tm.Team] = tm
	}
	pay := teams["payments"]
	// 120 h covered, Saturday and Sunday not; alice's 30 business hours
	// (07:00-17:00 UTC Monday to Wednesday) and kenji's 19 (Thursday
	// 09:00-18:00 and Friday 08:00-18:00 in Tokyo) of 120.
	if pay.GuaranteedHours != 120 || pay.GapHours != 48 || pay.Coverage != 0.7143 || pay.AlwaysCovered || !pay.Needs24x7 ||
		pay.Verdict != VerdictNeededGaps || pay.FollowTheSunShare != 0.4083 || pay.OverlapHours != 0 {
		t.Errorf("payments = %s", asJSON(t, pay))
	}
	if asJSON(t, pay.Gaps) != `[{"start":"2026-03-07T00:00:00Z","end":"2026-03-09T00:00:00Z","hours":48}]` {
		t.Errorf("gaps = %s", asJSON(t, pay.Gaps))
	}
	if irt := teams["irt"]; !irt.AlwaysCovered || irt.Verdict != VerdictNeededHeld || irt.GuaranteedHours != 168 {
		t.Errorf("irt = %s", asJSON(t, irt))
	}
	if s := teams["search"]; s.Verdict != VerdictNotNeeded || s.GuaranteedHours != 0 || len(s.Schedules) != 0 {
		t.Errorf("search = %s", asJSON(t, s))
	}
	people := map[string]PersonCoverage{}
	for _, p := range rep.People {
		people[p.User] = p
	}
	// Alice, Monday 01:00 to Thursday 01:00 in Berlin: nights 7 + 10 + 10 + 3.
	if a := people["alice"]; a != (PersonCoverage{User: "alice", Name: "Alice", TimeZone: "Europe/Berlin", OnCallHours: 72, BusinessHours: 30, OffHours: 12, NightHours: 30}) {
		t.Errorf("alice = %+v", a)
	}
	// New York springs forward on 8 March: that night has 9 hours.
	if g := people["gina"]; g.OnCallHours != 168 || g.NightHours != 69 {
		t.Errorf("gina = %+v", g)
	}
}

func TestCoverageOverlapsAndDST(t *testing.T) {
	o := testOrg(t)
	// The spring-forward week in Berlin.
	period := Period{From: at(t, "2026-03-28T12:00:00Z"), To: at(t, "2026-03-29T12:00:00Z")}
	shifts := []Shift{
		{Schedule: "payments-primary", User: "alice", Start: period.From, End: period.To},
		{Schedule: "payments-primary", User: "kenji", Start: at(t, "2026-03-29T00:00:00Z"), End: at(t, "2026-03-29T02:00:00Z")},
		// The same person twice is no overlap.
		{Schedule: "payments-primary", User: "alice", Start: at(t, "2026-03-29T04:00:00Z"), End: at(t, "2026-03-29T05:00:00Z")},
	}
	rep := ReportCoverage(o, period, Filter{Team: "payments"}, shifts)
	if len(rep.Teams) != 1 || rep.Teams[0].OverlapHours != 2 || !rep.Teams[0].AlwaysCovered {
		t.Errorf("teams = %s", asJSON(t, rep.Teams))
	}
	for _, p := range rep.People {
		// Saturday 13:00 CET to Sunday 14:00 CEST: 9 hours of night.
		if p.User == "alice" && (p.NightHours != 9 || p.OnCallHours != 24) {
			t.Errorf("alice on the DST night: %+v", p)
		}
	}
}

func TestToil(t *testing.T) {
	o := testOrg(t)
	period := Period{From: at(t, "2026-03-02T00:00:00Z"), To: at(t, "2026-03-16T00:00:00Z")}
	incidents := append(responseIncidents(t),
		// Acknowledged by hand, then resolved by its source.
		Incident{ID: 6, Service: "ledger", CreatedAt: at(t, "2026-03-05T09:00:00Z"), AcknowledgedAt: ptr(at(t, "2026-03-05T09:01:00Z")),
			AcknowledgedBy: "user:kenji", ResolvedAt: ptr(at(t, "2026-03-05T09:03:00Z")), ResolvedBy: "integration:am-pay"},
		// A token acting by hand counts as a person.
		Incident{ID: 7, Service: "ledger", CreatedAt: at(t, "2026-03-05T10:00:00Z"), ResolvedAt: ptr(at(t, "2026-03-05T10:03:00Z")), ResolvedBy: "token:ci"},
	)
	keys := []RepeatKey{
		{Service: "search-api", DedupKey: "disk-full", Alerts: 3, Triggers: 12},
		{Service: "ledger", DedupKey: "once", Alerts: 1, Triggers: 1},
	}
	ops := []ManualOperation{
		{Service: "checkout", Operation: "rollback", Actor: "user:alice", At: at(t, "2026-03-03T18:30:00Z")},
		{Service: "checkout", Operation: "restart", Actor: "system", At: at(t, "2026-03-03T18:31:00Z")},
	}
	rep := ReportToil(o, period, Filter{}, incidents, keys, ops)
	services := map[string]ToilRow{}
	for _, r := range rep.Services {
		services[r.Service] = r
	}
	want := map[string]ToilRow{
		// 1: acked and resolved by hand with a note; 2: by hand, no note (gina); 4: by the source.
		"checkout":   {Service: "checkout", Team: "payments", Incidents: 3, AcknowledgedByHand: 2, ResolvedByHand: 2, ClosedWithoutNote: 1, Operations: 1, ManualActions: 5},
		"ledger":     {Service: "ledger", Team: "payments", Incidents: 2, AcknowledgedByHand: 1, ResolvedByHand: 1, SelfResolvedAcknowledged: 1, ClosedWithoutNote: 1, ManualActions: 2},
		"search-api": {Service: "search-api", Team: "search", Incidents: 1, RepeatAlerts: 11},
	}
	if asJSON(t, services) != asJSON(t, want) {
		t.Errorf("services:\n got %s\nwant %s", asJSON(t, services), asJSON(t, want))
	}
	if rep.Total.ManualActions != 7 || rep.Total.RepeatAlerts != 11 || rep.Total.Incidents != 6 {
		t.Errorf("total = %s", asJSON(t, rep.Total))
	}
	if len(rep.Repeats) != 1 || rep.Repeats[0].Repeats != 11 || rep.Repeats[0].DedupKey != "disk-full" {
		t.Errorf("repeats = %s", asJSON(t, rep.Repeats))
	}
	// Repeats weigh as much as manual actions: search comes first.
	if rep.Teams[0].Team != "search" || rep.Teams[1].Team != "payments" || rep.Teams[1].ManualActions != 7 {
		t.Errorf("teams = %s", asJSON(t, rep.Teams))
	}
}

func TestRisks(t *testing.T) {
	o := testOrg(t)
	now := at(t, "2026-03-16T00:00:00Z")
	period := Period{From: at(t, "2026-03-02T00:00:00Z"), To: now}
	twoDays, tenDays := 48*time.Hour, 240*time.Hour
	in := RiskInput{
		At: now, Period: period,
		SLOs: []SLOState{
			{Name: "checkout-availability", Service: "checkout", Objective: 0.999, BudgetRemaining: 0.2, BurnRate: 4, TimeToExhaustion: &twoDays, WindowLeft: tenDays},
			{Name: "search-latency", Service: "search-api", Objective: 0.99, BudgetRemaining: 0.9, BurnRate: 0.5, TimeToExhaustion: &tenDays, WindowLeft: twoDays},
		},
		Schedules: []ScheduleOutlook{{Schedule: "payments-primary", From: now, To: now.Add(14 * 24 * time.Hour), People: []string{"alice"},
			Gaps: []Stretch{{Start: at(t, "2026-03-21T00:00:00Z"), End: at(t, "2026-03-23T00:00:00Z"), Hours: 48}}}},
		Incidents: []Incident{
			{ID: 11, Title: "index stale", Service: "search-index", CreatedAt: at(t, "2026-03-03T00:00:00Z")},
			{ID: 12, Title: "index stale", Service: "search-index", CreatedAt: at(t, "2026-03-04T00:00:00Z")},
			{ID: 13, Title: "index stale", Service: "search-index", CreatedAt: at(t, "2026-03-05T00:00:00Z")},
			{ID: 14, Title: "index stale", Service: "search-index", CreatedAt: at(t, "2026-02-05T00:00:00Z")},
		},
		ActionItems: []ActionItem{
			{ID: "ai-1", Title: "add a fallback for ledger", OwnerTeam: "payments", Due: at(t, "2026-03-02T00:00:00Z"), Incident: 1},
			{ID: "ai-2", Title: "not due yet", OwnerTeam: "payments", Due: at(t, "2026-04-02T00:00:00Z")},
		},
		Postmortems: []PostmortemDue{
			// 15 days late: two weeks over 7 days a week.
			{Incident: 11, Title: "index stale", Service: "search-index", OwnerTeam: "search", Status: "missing",
				Due: ptr(at(t, "2026-03-01T00:00:00Z")), Because: []string{"severity SEV2"}},
			{Incident: 12, Title: "index stale", Service: "search-index", OwnerTeam: "search", Status: "draft",
				Due: ptr(at(t, "2026-03-09T00:00:00Z")), Because: []string{"severity SEV2"}},
			// Not due yet: missing is a risk, a draft on time is not.
			{Incident: 13, Title: "index stale", Service: "search-index", OwnerTeam: "search", Status: "missing",
				Due: ptr(at(t, "2026-03-20T00:00:00Z")), Because: []string{"major incident"}},
			{Incident: 15, Title: "ledger slow", Service: "ledger", OwnerTeam: "payments", Status: "in_review",
				Due: ptr(at(t, "2026-03-20T00:00:00Z")), Because: []string{"severity SEV1"}},
		},
	}
	rep := ReportRisks(o, Filter{}, in, BuiltinRiskSources...)
	var got []string
	for _, r := range rep.Risks {
		got = append(got, fmt.Sprintf("%d %s %s %s %g", r.Rank, r.Kind, r.Service, r.Team, r.Score))
	}
	want := []string{
		"1 slo_budget checkout payments 98",
		"2 schedule_gap checkout payments 82",
		"3 schedule_gap ledger payments 82",
		"4 one_person checkout payments 70",
		"5 one_person ledger payments 70",
		"6 unknown_dependency checkout payments 62",
		"7 no_slo ledger payments 60",
		"8 overdue_action_items  payments 57",
		"9 missing_postmortems search-index search 56.14",
		"10 missing_postmortems search-index search 55",
		"11 missing_postmortems search-index search 44",
		"12 repeat_incidents search-index search 43",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("risks:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range rep.Risks {
		if r.Summary == "" || len(r.Evidence) == 0 {
			t.Errorf("risk without its evidence: %+v", r)
		}
	}
	if !rep.Risks[0].Critical || !strings.Contains(rep.Risks[0].Summary, "2 d") {
		t.Errorf("first risk: %+v", rep.Risks[0])
	}

	// A source given besides the built-in ones joins the ranking.
	extra := RiskSourceFunc(func(o *Org, in RiskInput) []Risk {
		return []Risk{{Kind: "ceiling", Service: "checkout", Score: 99, Summary: "above its ceiling", Evidence: []string{"ledger"}}}
	})
	rep = ReportRisks(o, Filter{Team: "search"}, in, append(BuiltinRiskSources, extra)...)
	if len(rep.Risks) != 4 || rep.Risks[0].Kind != RiskPostmortems || rep.Risks[3].Kind != RiskRepeats {
		t.Errorf("team search: %s", asJSON(t, rep.Risks))
	}
	rep = ReportRisks(o, Filter{}, in, extra)
	if len(rep.Risks) != 1 || rep.Risks[0].Rank != 1 || rep.Risks[0].Team != "payments" || !rep.Risks[0].Critical {
		t.Errorf("extra source: %s", asJSON(t, rep.Risks))
	}
}

func TestUnclearValue(t *testing.T) {
	o := testOrg(t)
	period := Period{From: at(t, "2026-03-02T00:00:00Z"), To: at(t, "2026-03-30T00:00:00Z")}
	incidents := []Incident{
		// Unnoticed for 3 hours on a non-critical service.
		{ID: 3, Title: "search slow", Service: "search-api", CreatedAt: at(t, "2026-03-11T10:00:00Z"), ResolvedAt: ptr(at(t, "2026-03-11T13:00:00Z"))},
		// Acknowledged within the hour.
		{ID: 4, Title: "ui", Service: "search-ui", CreatedAt: at(t, "2026-03-11T10:00:00Z"), AcknowledgedAt: ptr(at(t, "2026-03-11T10:30:00Z"))},
		// Critical: not this signal's business.
		{ID: 5, Title: "ledger", Service: "ledger", CreatedAt: at(t, "2026-03-11T10:00:00Z")},
		// Open at the period's end, unacknowledged for 4 hours.
		{ID: 6, Title: "batch stuck", Service: "search-batch", CreatedAt: at(t, "2026-03-29T20:00:00Z")},
		// Checkout's SLO pages, but one incident hurt customers.
		{ID: 7, Title: "checkout errors", Service: "checkout", CreatedAt: at(t, "2026-03-12T10:00:00Z"), CustomerImpact: true},
	}
	alerts := []AlertSpan{
		{SLO: "search-latency", Service: "search-api", Start: at(t, "2026-03-03T00:00:00Z"), End: ptr(at(t, "2026-03-04T00:00:00Z"))},
		{SLO: "search-latency", Service: "search-api", Start: at(t, "2026-03-15T00:00:00Z"), End: ptr(at(t, "2026-03-17T00:00:00Z"))},
		{SLO: "checkout-availability", Service: "checkout", Start: at(t, "2026-03-03T00:00:00Z")},
		// One week only.
		{SLO: "index-fresh", Service: "search-index", Start: at(t, "2026-03-03T00:00:00Z"), End: ptr(at(t, "2026-03-04T00:00:00Z"))},
	}
	slos := []SLOState{{Name: "index-fresh", Service: "search-index", BudgetRemaining: 0.5}, {Name: "ui", Service: "search-ui", BudgetRemaining: -0.1}}
	rep := ReportUnclearValue(o, period, Filter{}, incidents, slos, alerts)
	var got []string
	for _, s := range rep.Signals {
		got = append(got, fmt.Sprintf("%s %s %s %g", s.Kind, s.Service, s.Team, s.Score))
	}
	want := []string{
		"slo_without_impact search-api search 53", // weeks of 2 March, 9 and 16 March
		"slo_without_impact search-ui search 50",  // its budget is spent
		"unnoticed_incidents search-api search 41",
		"unnoticed_incidents search-batch search 41",
		"services_per_person  search 34",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("signals:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if asJSON(t, rep.Teams) != `[{"team":"search","services":4,"members":1,"services_per_person":4},{"team":"irt","services":2,"members":1,"services_per_person":2},{"team":"payments","services":2,"members":2,"services_per_person":1}]` {
		t.Errorf("teams = %s", asJSON(t, rep.Teams))
	}
}

func TestSummarise(t *testing.T) {
	if summarise(nil) != nil {
		t.Error("no durations, no summary")
	}
	got := summarise([]time.Duration{10 * time.Second})
	if *got != (Times{Median: 10, P90: 10, Mean: 10}) {
		t.Errorf("one value: %+v", *got)
	}
	if share(1, 3) != 0.3333 || share(1, 0) != 0 || math.IsNaN(share(0, 0)) {
		t.Error("share")
	}
}

// Every report decodes from its JSON and shows itself as tables with as
// many cells as columns.
func TestTables(t *testing.T) {
	o := testOrg(t)
	period := Period{From: at(t, "2026-03-02T00:00:00Z"), To: at(t, "2026-03-16T00:00:00Z")}
	reports := map[string]any{
		NameInterruptions: ReportInterruptions(o, period, Filter{}, testPages(t)),
		NameResponse:      ReportResponse(o, period, Filter{}, responseIncidents(t)),
		NameCost:          ReportCost(o, period, Filter{}, testPages(t), nil, responseIncidents(t)),
		NameCoverage:      ReportCoverage(o, period, Filter{}, nil),
		NameToil:          ReportToil(o, period, Filter{}, responseIncidents(t), []RepeatKey{{Service: "ledger", DedupKey: "k", Alerts: 2, Triggers: 3}}, nil),
		NameRisks:         ReportRisks(o, Filter{}, RiskInput{At: period.To, Period: period}, BuiltinRiskSources...),
		NameUnclearValue:  ReportUnclearValue(o, period, Filter{}, responseIncidents(t), nil, nil),
	}
	for _, name := range Names {
		rep, err := Decode(name, []byte(asJSON(t, reports[name])))
		if err != nil {
			t.Fatal(err)
		}
		tables := rep.Tables()
		if len(tables) == 0 {
			t.Errorf("%s: no tables", name)
		}
		for _, tb := range tables {
			if len(tb.Rows) == 0 && name != NameToil && name != NameCoverage {
				t.Errorf("%s: table %q is empty", name, tb.Title)
			}
			for _, row := range tb.Rows {
				if len(row) != len(tb.Columns) {
					t.Errorf("%s: %q: row %v has %d cells for %d columns", name, tb.Title, row, len(row), len(tb.Columns))
				}
			}
		}
	}
	if _, err := Decode("nope", []byte(`{}`)); err == nil {
		t.Error("an unknown report decodes")
	}
	if _, err := Decode(NameCost, []byte(`{"people": 3}`)); err == nil {
		t.Error("bad JSON decodes")
	}
}

// TestRisksFromCeilings: revenue-critical shop (99.9%) needs api (99.95%)
// hard and recs (no SLO) soft; api needs db (99.9%) and auth (no SLO)
// hard. Non-critical blog (99%) needs db and cms (no SLO) hard. By hand:
// shop's known ceiling is 99.95% × 99.9% = 99.85005%, api's 99.9%, both
// below their objectives and pulled down by db; neither api nor db has
// the fourth nine shop's 99.9% wants, nor db the one api's 99.95% wants;
// auth is unknown to shop (through api) and api, cms to blog; recs is
// soft and does not count.
func TestRisksFromCeilings(t *testing.T) {
	b := testBundle()
	b.Services = []catalog.Service{
		{ID: "shop", Owner: "payments", RevenueCritical: true, DependsOn: []catalog.Dependency{{Service: "api", Kind: "hard"}, {Service: "recs", Kind: "soft"}}},
		{ID: "api", Owner: "payments", DependsOn: []catalog.Dependency{{Service: "db", Kind: "hard"}, {Service: "auth", Kind: "hard"}}},
		{ID: "db", Owner: "payments"},
		{ID: "auth", Owner: "payments"},
		{ID: "recs", Owner: "search"},
		{ID: "blog", Owner: "search", DependsOn: []catalog.Dependency{{Service: "db", Kind: "hard"}, {Service: "cms", Kind: "hard"}}},
		{ID: "cms", Owner: "search"},
	}
	o := NewOrg(b, catalog.NewGraph(b.Services), hours.Default, holiday.IsHoliday)
	now := at(t, "2026-03-16T00:00:00Z")
	in := RiskInput{At: now, Period: Period{From: now.Add(-7 * 24 * time.Hour), To: now}, SLOs: []SLOState{
		{Name: "shop-availability", Service: "shop", Objective: 0.999},
		{Name: "api-availability", Service: "api", Objective: 0.9995},
		{Name: "db-availability", Service: "db", Objective: 0.999},
		{Name: "blog-availability", Service: "blog", Objective: 0.99},
	}}
	ceilingKinds := []string{RiskAboveCeiling, RiskExtraNine, RiskUnknownDependency}
	lines := func(f Filter) []string {
		var got []string
		for _, r := range ReportRisks(o, f, in, BuiltinRiskSources...).Risks {
			if slices.Contains(ceilingKinds, r.Kind) {
				deps := r.Evidence[slices.IndexFunc(r.Evidence, func(e string) bool { return strings.HasPrefix(e, "hard dependencies concerned: ") })]
				got = append(got, fmt.Sprintf("%s %s %s %g %t %s; %s", r.Kind, r.Service, r.Team, r.Score, r.Critical,
					strings.TrimPrefix(deps, "hard dependencies concerned: "), r.Evidence[len(r.Evidence)-1]))
			}
		}
		return got
	}
	want := []string{
		"above_ceiling api payments 76 true db; fix: relax SLO api-availability to below 99.9%, leaving room for api's own failures",
		"above_ceiling shop payments 76 true db; fix: relax SLO shop-availability to below 99.85%, leaving room for shop's own failures",
		"extra_nine api payments 68 true db; fix: relax api's objective below 99.9%",
		"extra_nine shop payments 68 true api; fix: relax shop's objective below 99.9%",
		"extra_nine shop payments 68 true db; fix: relax shop's objective below 99.9%",
		"unknown_dependency api payments 62 true auth; fix: make api's dependency on auth soft, with a fallback (a cache, a default, a degraded answer)",
		"unknown_dependency shop payments 62 true auth; fix: make api's dependency on auth soft, with a fallback (a cache, a default, a degraded answer) so that shop does not need it",
		"unknown_dependency blog search 52 false cms; fix: make blog's dependency on cms soft, with a fallback (a cache, a default, a degraded answer)",
	}
	if got := lines(Filter{}); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ceiling risks:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := lines(Filter{Team: "search"}); len(got) != 1 || !strings.HasPrefix(got[0], "unknown_dependency blog") {
		t.Errorf("team search: %q", got)
	}

	// The evidence of shop's ceiling: why it is critical, what pulls it
	// down, and the paper's fixes in order.
	var shop Risk
	for _, r := range ReportRisks(o, Filter{}, in, BuiltinRiskSources...).Risks {
		if r.Kind == RiskAboveCeiling && r.Service == "shop" {
			shop = r
		}
	}
	wantEvidence := []string{
		"shop is revenue-critical",
		"hard dependencies concerned: db",
		"fix: make api's dependency on db soft, with a fallback (a cache, a default, a degraded answer) so that shop does not need it",
		"fix: add capacity or replicas to db (in independent failure domains) and raise its objective to at least 99.95%",
		"fix: relax SLO shop-availability to below 99.85%, leaving room for shop's own failures",
	}
	if strings.Join(shop.Evidence, "\n") != strings.Join(wantEvidence, "\n") ||
		!strings.Contains(shop.Summary, "above the 99.85% that shop's hard dependencies allow at most (api 99.95% × db 99.9%; unknown, so lower still: auth): pulled down by db") {
		t.Errorf("shop above its ceiling: %s", asJSON(t, shop))
	}
	// The extra-nine findings name each dependency; the soft recs never shows.
	for _, r := range ReportRisks(o, Filter{}, in, BuiltinRiskSources...).Risks {
		if strings.Contains(r.Summary, "recs") || strings.Contains(strings.Join(r.Evidence, " "), "recs") {
			t.Errorf("a soft dependency counted: %s", asJSON(t, r))
		}
	}

	// Without a graph (an Org built by hand) the source finds nothing.
	if got := ceilingRisks(&Org{}, in); got != nil {
		t.Errorf("no graph: %s", asJSON(t, got))
	}
}
