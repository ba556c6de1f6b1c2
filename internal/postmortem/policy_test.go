package postmortem

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/hours"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

func TestParsePolicy(t *testing.T) {
	sevs := func(s ...incident.Severity) []incident.Severity { return s }
	tests := []struct {
		name     string
		required []string
		due      int
		want     Policy
		err      string
	}{
		{name: "defaults", want: DefaultPolicy},
		{name: "due only", due: 10, want: Policy{Severities: sevs(incident.SEV1, incident.SEV2), Major: true, BudgetShare: 0.2, DueBusinessDays: 10}},
		{name: "one severity", required: []string{"SEV1"}, want: Policy{Severities: sevs(incident.SEV1), DueBusinessDays: 5}},
		{name: "case and space", required: []string{" sev3 ", "MAJOR", "sev3"}, want: Policy{Severities: sevs(incident.SEV3), Major: true, DueBusinessDays: 5}},
		{name: "budget percent", required: []string{"budget>50%"}, want: Policy{BudgetShare: 0.5, DueBusinessDays: 5}},
		{name: "budget share", required: []string{"budget > 0.3"}, want: Policy{BudgetShare: 0.3, DueBusinessDays: 5}},
		{name: "budget decimal percent", required: []string{"Budget>12.5%"}, want: Policy{BudgetShare: 0.125, DueBusinessDays: 5}},
		{name: "none", required: []string{"none"}, due: 3, want: Policy{DueBusinessDays: 3}},
		{name: "an empty list keeps the defaults", required: []string{}, want: DefaultPolicy},
		{name: "none with others", required: []string{"none", "SEV1"}, err: "stands alone"},
		{name: "unknown severity", required: []string{"SEV5"}, err: `required_for[0]: unknown condition "SEV5"`},
		{name: "empty item", required: []string{"SEV1", ""}, err: "required_for[1]: unknown condition"},
		{name: "budget without >", required: []string{"budget<20%"}, err: "write the budget condition"},
		{name: "budget over all", required: []string{"budget>100%"}, err: "below 100%"},
		{name: "budget zero", required: []string{"budget>0"}, err: "above 0"},
		{name: "budget negative", required: []string{"budget>-0.2"}, err: "above 0"},
		{name: "budget not a number", required: []string{"budget>lots"}, err: "not a number"},
		{name: "budget NaN", required: []string{"budget>NaN%"}, err: "not a number"},
		{name: "budget infinite", required: []string{"budget>1e400"}, err: "not a number"},
		{name: "due negative", due: -1, err: "due_business_days -1"},
		{name: "due too far", due: 261, err: "due_business_days 261"},
		{name: "hostile long item", required: []string{strings.Repeat("x", 100_000)}, err: "unknown condition"},
		{name: "control characters", required: []string{"SEV1\x00"}, err: "unknown condition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePolicy(tt.required, tt.due)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one with %q", err, tt.err)
				}
				if len(err.Error()) > 300 {
					t.Errorf("error is %d bytes long: hostile input must not be echoed whole", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	budgets := func(shares ...float64) []Budget {
		var out []Budget
		for i, s := range shares {
			out = append(out, Budget{SLO: []string{"checkout-availability", "ledger-latency"}[i], Service: "x", Share: s})
		}
		return out
	}
	tests := []struct {
		name    string
		policy  Policy
		sev     incident.Severity
		major   bool
		budgets []Budget
		want    []string
	}{
		{"SEV1", DefaultPolicy, incident.SEV1, false, nil, []string{"severity SEV1"}},
		{"SEV2 major", DefaultPolicy, incident.SEV2, true, nil, []string{"severity SEV2", "major incident"}},
		{"SEV3 quiet", DefaultPolicy, incident.SEV3, false, budgets(0.05), nil},
		{"exactly a fifth is not more", DefaultPolicy, incident.SEV4, false, budgets(0.2), nil},
		{"a quarter of one budget", DefaultPolicy, incident.SEV3, false, budgets(0.1, 0.25),
			[]string{"consumed 25% of SLO ledger-latency's error budget (more than 20%)"}},
		{"budgets do not count", Policy{Severities: []incident.Severity{incident.SEV1}}, incident.SEV3, true, budgets(0.9), nil},
		{"SEV4 by policy", Policy{Severities: []incident.Severity{incident.SEV4}}, incident.SEV4, false, nil, []string{"severity SEV4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Required(tt.sev, tt.major, tt.budgets); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	for share, want := range map[float64]string{0: "0%", 0.2: "20%", 0.3456: "34.6%", 1.5: "150%", 0.0004: "0%", 0.125: "12.5%"} {
		if got := Percent(share); got != want {
			t.Errorf("Percent(%v) = %q, want %q", share, got, want)
		}
	}
}

// calendar is the business calendar of a team in zone and country.
func calendar(t *testing.T, zoneName, country string) Calendar {
	return Calendar{Hours: hours.DefaultWorkweek, Location: vigiltest.Zone(t, zoneName), Country: country}
}

func TestDueInBusinessDays(t *testing.T) {
	tests := []struct {
		name, zone, country, resolved string
		days                          int
		want                          string
	}{
		// Monday: Tuesday to Friday and Monday count; due at 18:00 local.
		{"a plain week", "Europe/Berlin", "DE", "2026-03-02T15:00:00Z", 5, "2026-03-09T17:00:00Z"},
		// Good Friday (3 April) and Easter Monday (6 April) do not count.
		{"Easter in Germany", "Europe/Berlin", "DE", "2026-04-01T10:00:00Z", 5, "2026-04-10T16:00:00Z"},
		// The same dates in a country without those holidays.
		{"no holidays without a country", "Europe/Berlin", "", "2026-04-01T10:00:00Z", 5, "2026-04-08T16:00:00Z"},
		// Resolved on a Saturday: the next Monday is the first day.
		{"a weekend resolution", "Europe/Berlin", "DE", "2026-03-07T10:00:00Z", 5, "2026-03-13T17:00:00Z"},
		// 23:30 UTC on Monday is already Tuesday in Berlin.
		{"the local date counts", "Europe/Berlin", "DE", "2026-03-02T23:30:00Z", 5, "2026-03-10T17:00:00Z"},
		// Independence Day 2026 is a Saturday, observed on Friday 3 July.
		{"an observed US holiday", "America/New_York", "US", "2026-07-02T15:00:00Z", 5, "2026-07-10T22:00:00Z"},
		// The week of the DST change: 18:00 local is 16:00 UTC after it.
		{"across a DST change", "Europe/Berlin", "DE", "2026-03-25T12:00:00Z", 3, "2026-03-30T16:00:00Z"},
		{"one day", "Australia/Sydney", "AU", "2026-01-23T01:00:00Z", 1, "2026-01-27T07:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultPolicy
			p.DueBusinessDays = tt.days
			got := p.Due(vigiltest.Instant(t, tt.resolved), calendar(t, tt.zone, tt.country))
			if want := vigiltest.Instant(t, tt.want); !got.Equal(want) {
				t.Errorf("due %s, want %s", got.UTC().Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestNextBusiness(t *testing.T) {
	tests := []struct {
		name, at, want string
	}{
		{"within hours", "2026-03-04T09:00:00Z", "2026-03-04T09:00:00Z"},
		{"a Saturday", "2026-03-07T09:00:00Z", "2026-03-09T07:00:00Z"},
		{"a Friday evening", "2026-03-06T18:00:00Z", "2026-03-09T07:00:00Z"},
		{"early on a weekday", "2026-03-04T05:00:00Z", "2026-03-04T07:00:00Z"},
		{"Good Friday to after Easter Monday", "2026-04-03T07:00:00Z", "2026-04-07T06:00:00Z"},
		{"the end of business hours is outside them", "2026-03-04T17:00:00Z", "2026-03-05T07:00:00Z"},
	}
	cal := calendar(t, "Europe/Berlin", "DE")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.NextBusiness(vigiltest.Instant(t, tt.at))
			if want := vigiltest.Instant(t, tt.want); !got.Equal(want) {
				t.Errorf("next business %s, want %s", got.UTC().Format(time.RFC3339), tt.want)
			}
		})
	}
	t.Run("no business days at all", func(t *testing.T) {
		at := vigiltest.Instant(t, "2026-03-07T09:00:00Z")
		never := Calendar{Hours: hours.Workweek{Start: 480, End: 1080}, Location: time.UTC}
		if got := never.NextBusiness(at); !got.Equal(at) {
			t.Errorf("got %s, want the instant asked about", got)
		}
	})
	t.Run("every day a holiday", func(t *testing.T) {
		at := vigiltest.Instant(t, "2026-03-07T09:00:00Z")
		always := Calendar{Hours: hours.DefaultWorkweek, Location: time.UTC, Country: "XX",
			IsHoliday: func(string, time.Time) (string, bool) { return "every day", true }}
		if got := always.NextBusiness(at); !got.Equal(at) {
			t.Errorf("got %s, want the instant asked about", got)
		}
	})
}
