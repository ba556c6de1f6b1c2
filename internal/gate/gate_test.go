package gate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

var zone = vigiltest.Zone

func ptr(t time.Time) *time.Time { return &t }

func TestDecide(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	newYork := zone(t, "America/New_York")
	fridays := catalog.Freeze{ID: "friday-afternoons", Every: "fri 16:00-23:59", TimeZone: OwnerZone, Reason: "no Friday deploys"}
	nights := catalog.Freeze{ID: "nights", Every: "fri 22:00-06:00", TimeZone: "Europe/Berlin"}
	yearEnd := catalog.Freeze{ID: "year-end", From: ptr(time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)), To: ptr(time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)), Reason: "year-end freeze"}
	// base: payments-api of a Berlin team in Germany, on an ordinary
	// Tuesday morning, 2026-05-05 10:00 CEST.
	base := func() Input {
		return Input{
			Service:          "payments-api",
			Country:          "DE",
			TimeZone:         berlin,
			At:               time.Date(2026, 5, 5, 10, 0, 0, 0, berlin),
			Freezes:          []catalog.Freeze{fridays, yearEnd},
			HardDependencies: []string{"ledger-db"},
		}
	}
	tests := []struct {
		name    string
		edit    func(*Input)
		want    string   // decision
		reasons []string // "kind: message part"
	}{
		{"an ordinary Tuesday", func(*Input) {}, Allow, nil},
		{
			"German Unity Day, a Saturday in 2026",
			func(in *Input) { in.At = time.Date(2026, 10, 3, 11, 0, 0, 0, berlin) },
			Deny, []string{"holiday: Saturday 3 October 2026 is a public holiday in DE (Tag der Deutschen Einheit)"},
		},
		{
			"the day is read in the owner's zone: 2 October 23:30 UTC is 3 October in Berlin",
			func(in *Input) { in.At = time.Date(2026, 10, 2, 23, 30, 0, 0, time.UTC) },
			Deny, []string{"holiday: Saturday 3 October 2026"},
		},
		{
			"US Independence Day 2026 is observed on Friday 3 July",
			func(in *Input) {
				in.Country, in.TimeZone, in.Freezes = "US", newYork, nil
				in.At = time.Date(2026, 7, 3, 10, 0, 0, 0, newYork)
			},
			Deny, []string{"holiday: Friday 3 July 2026 is a public holiday in US (Independence Day)"},
		},
		{
			"and Saturday 4 July itself is not a day off",
			func(in *Input) {
				in.Country, in.TimeZone, in.Freezes = "US", newYork, nil
				in.At = time.Date(2026, 7, 4, 10, 0, 0, 0, newYork)
			},
			Allow, nil,
		},
		{
			"Epiphany is a holiday in Bavaria",
			func(in *Input) { in.Region, in.At = "BY", time.Date(2026, 1, 6, 10, 0, 0, 0, berlin) },
			Deny, []string{"holiday: Tuesday 6 January 2026 is a public holiday in DE-BY (Heilige Drei Könige)"},
		},
		{
			"but not in Germany as a whole",
			func(in *Input) { in.At = time.Date(2026, 1, 6, 10, 0, 0, 0, berlin) },
			Allow, nil,
		},
		{
			"Friday 16:30 in Berlin",
			func(in *Input) { in.At = time.Date(2026, 5, 8, 16, 30, 0, 0, berlin) },
			Deny, []string{"freeze: freeze friday-afternoons (every fri 16:00-23:59, the owner team's time zone): no Friday deploys"},
		},
		{
			"Friday 15:59 in Berlin",
			func(in *Input) { in.At = time.Date(2026, 5, 8, 15, 59, 59, 0, berlin) },
			Allow, nil,
		},
		{
			"Friday 23:59:30 is inside a window ending 23:59",
			func(in *Input) { in.At = time.Date(2026, 5, 8, 23, 59, 30, 0, berlin) },
			Deny, []string{"freeze: freeze friday-afternoons"},
		},
		{
			"Saturday 00:00 is outside it",
			func(in *Input) { in.At = time.Date(2026, 5, 9, 0, 0, 0, 0, berlin) },
			Allow, nil,
		},
		{
			"Friday 16:30 in New York is 22:30 in Berlin: the owner's zone decides",
			func(in *Input) { in.At = time.Date(2026, 5, 8, 16, 30, 0, 0, newYork) },
			Deny, []string{"freeze: freeze friday-afternoons"},
		},
		{
			"Friday 16:30 for a New York team is frozen in New York time",
			func(in *Input) {
				in.Country, in.TimeZone, in.At = "US", newYork, time.Date(2026, 5, 8, 16, 30, 0, 0, newYork)
			},
			Deny, []string{"freeze: freeze friday-afternoons"},
		},
		{
			"a window past midnight still covers Saturday 05:59",
			func(in *Input) {
				in.Freezes, in.At = []catalog.Freeze{nights}, time.Date(2026, 5, 9, 5, 59, 0, 0, berlin)
			},
			Deny, []string{"freeze: freeze nights (every fri 22:00-06:00, Europe/Berlin)"},
		},
		{
			"and ends after Saturday 06:00",
			func(in *Input) {
				in.Freezes, in.At = []catalog.Freeze{nights}, time.Date(2026, 5, 9, 6, 1, 0, 0, berlin)
			},
			Allow, nil,
		},
		{
			"it does not start on Thursday night",
			func(in *Input) {
				in.Freezes, in.At = []catalog.Freeze{nights}, time.Date(2026, 5, 7, 23, 0, 0, 0, berlin)
			},
			Allow, nil,
		},
		{
			"inside the year-end freeze",
			func(in *Input) { in.At = time.Date(2026, 12, 22, 10, 0, 0, 0, berlin) },
			Deny, []string{"freeze: freeze year-end (2026-12-21T00:00:00Z to 2027-01-04T00:00:00Z): year-end freeze"},
		},
		{
			"the year-end freeze's end is open",
			func(in *Input) { in.At = time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC) },
			Allow, nil,
		},
		{
			"Christmas Day: holiday and freeze both",
			func(in *Input) { in.At = time.Date(2026, 12, 25, 10, 0, 0, 0, berlin) },
			Deny, []string{"holiday: Friday 25 December 2026 is a public holiday in DE (Weihnachtstag)", "freeze: freeze year-end"},
		},
		{
			"a freeze in an unknown zone fails closed",
			func(in *Input) {
				in.Freezes = []catalog.Freeze{{ID: "odd", Every: "tue 09:00-11:00", TimeZone: "Mars/Olympus"}}
			},
			Deny, []string{`freeze: freeze odd cannot be evaluated: unknown time zone "Mars/Olympus"`},
		},
		{
			"an exhausted error budget",
			func(in *Input) {
				in.Budgets = []Budget{{SLO: "payments-availability", Frozen: true, BudgetRemaining: -0.25, Exemptions: []string{"security", "p0"}}, {SLO: "payments-latency", BudgetRemaining: 0.5}}
				in.ChangeType = "feature"
			},
			Deny, []string{"error_budget: the error budget of SLO payments-availability is spent: -25.0% left; releases are frozen until it recovers"},
		},
		{
			"a security change passes the budget freeze",
			func(in *Input) {
				in.Budgets = []Budget{{SLO: "payments-availability", Frozen: true, Exemptions: []string{"security", "p0"}}}
				in.ChangeType = "Security"
			},
			Allow, nil,
		},
		{
			"but not a holiday",
			func(in *Input) {
				in.Budgets = []Budget{{SLO: "payments-availability", Frozen: true, Exemptions: []string{"security"}}}
				in.ChangeType, in.At = "security", time.Date(2026, 10, 3, 11, 0, 0, 0, berlin)
			},
			Deny, []string{"holiday: Saturday 3 October 2026"},
		},
		{
			"SEV2 open on a hard dependency",
			func(in *Input) {
				in.Incidents = []Incident{{ID: "42", Severity: "SEV2", Title: "ledger writes time out", Services: []string{"ledger-db"}}}
			},
			Deny, []string{"incident: SEV2 incident 42 is open on hard dependency ledger-db: ledger writes time out"},
		},
		{
			"SEV1 open on the service itself",
			func(in *Input) {
				in.Incidents = []Incident{{ID: "7", Severity: "SEV1", Services: []string{"payments-api", "ledger-db", "payments-api"}}}
			},
			Deny, []string{"incident: SEV1 incident 7 is open on the service and hard dependency ledger-db"},
		},
		{
			"SEV3 open on the service",
			func(in *Input) {
				in.Incidents = []Incident{{ID: "43", Severity: "SEV3", Services: []string{"payments-api"}}}
			},
			Allow, nil,
		},
		{
			"SEV1 on a service that is no hard dependency",
			func(in *Input) {
				in.Incidents = []Incident{{ID: "44", Severity: "SEV1", Services: []string{"fraud-score"}}}
			},
			Allow, nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base()
			tc.edit(&in)
			d := Decide(in)
			if d.Decision != tc.want || len(d.Reasons) != len(tc.reasons) || d.Override != nil {
				t.Fatalf("got %+v\nwant %s with %d reasons", d, tc.want, len(tc.reasons))
			}
			for i, w := range tc.reasons {
				kind, msg, _ := strings.Cut(w, ": ")
				if d.Reasons[i].Kind != kind || !strings.HasPrefix(d.Reasons[i].Message, msg) {
					t.Errorf("reason %d = %+v, want %s: %s…", i, d.Reasons[i], kind, msg)
				}
			}
		})
	}
}

func TestOverride(t *testing.T) {
	at := time.Date(2026, 10, 3, 11, 0, 0, 0, time.UTC) // German Unity Day
	granted := Override{Reason: "hotfix for the payment outage", By: "alice", Start: at.Add(-time.Hour), Expires: at.Add(time.Hour)}
	tests := []struct {
		name      string
		overrides []Override
		want      string
		override  *Override
	}{
		{"active", []Override{granted}, Allow, &granted},
		{"expired", []Override{{Reason: "old", Expires: at}}, Deny, nil},
		{"not yet started", []Override{{Reason: "later", Start: at.Add(time.Minute), Expires: at.Add(time.Hour)}}, Deny, nil},
		{"without a reason", []Override{{Reason: " ", Expires: at.Add(time.Hour)}}, Deny, nil},
		{"the longest of two", []Override{{Reason: "short", Expires: at.Add(time.Minute)}, granted}, Allow, &granted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(Input{Service: "payments-api", Country: "DE", At: at, Overrides: tc.overrides})
			if d.Decision != tc.want || len(d.Reasons) != 1 || d.Reasons[0].Kind != KindHoliday {
				t.Fatalf("got %+v, want %s keeping the holiday reason", d, tc.want)
			}
			if (d.Override == nil) != (tc.override == nil) || d.Override != nil && *d.Override != *tc.override {
				t.Errorf("override = %+v, want %+v", d.Override, tc.override)
			}
		})
	}
	// With nothing to deny, an override is not mentioned.
	d := Decide(Input{Service: "payments-api", Country: "DE", At: at.Add(48 * time.Hour), Overrides: []Override{granted}})
	if d.Decision != Allow || d.Override != nil {
		t.Errorf("nothing to override: %+v", d)
	}
}

func TestDecisionJSON(t *testing.T) {
	allow, err := json.Marshal(Decide(Input{Service: "s", Country: "DE", At: time.Date(2026, 5, 5, 10, 0, 0, 0, time.UTC)}))
	if err != nil || string(allow) != `{"decision":"allow","reasons":[]}` {
		t.Errorf("allow = %s, %v", allow, err)
	}
	at := time.Date(2026, 10, 3, 11, 0, 0, 0, time.UTC)
	over, err := json.Marshal(Decide(Input{Service: "s", Country: "DE", At: at,
		Overrides: []Override{{Reason: "hotfix", By: "alice", Expires: at.Add(time.Hour)}}}))
	want := `{"decision":"allow","reasons":[{"kind":"holiday","message":"Saturday 3 October 2026 is a public holiday in DE (Tag der Deutschen Einheit)"}],` +
		`"override":{"reason":"hotfix","by":"alice","expires":"2026-10-03T12:00:00Z"}}`
	if err != nil || string(over) != want {
		t.Errorf("override =\n%s\nwant\n%s", over, want)
	}
}

func TestHolidayLookupIsInjected(t *testing.T) {
	var asked string
	in := Input{Service: "s", Country: "XX", At: time.Date(2026, 5, 5, 10, 0, 0, 0, time.UTC),
		IsHoliday: func(code string, date time.Time) (string, bool) {
			asked = code + " " + date.Format(time.DateOnly)
			return "Founders' Day", true
		}}
	d := Decide(in)
	if asked != "XX 2026-05-05" || d.Decision != Deny || d.Reasons[0].Message != "Tuesday 5 May 2026 is a public holiday in XX (Founders' Day)" {
		t.Errorf("asked %q, got %+v", asked, d)
	}
}
