package config

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoadSeveralPaths: files and directories named together merge as one
// configuration, in the order given; a file named twice is read once.
func TestLoadSeveralPaths(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"people.yaml": "users:\n  - {id: alice, time_zone: Europe/Berlin}\n",
		"teams/teams.yaml": `teams:
  - {id: irt, kind: global-irt, members: [alice], escalation_policy: pol}
escalation_policies:
  - {id: pol, steps: [{targets: [{user: alice}], escalate_after: 5m}]}
`,
		"empty/notes.txt": "nothing",
	})
	file := func(name string) string { return filepath.Join(dir, name) }
	cases := []struct {
		paths     []string
		files     []string
		problems  []string
		wantError bool
	}{
		{[]string{file("people.yaml"), file("teams")}, []string{file("people.yaml"), file("teams/teams.yaml")}, nil, false},
		{[]string{file("teams/teams.yaml"), file("people.yaml"), file("people.yaml")}, []string{file("teams/teams.yaml"), file("people.yaml")}, nil, false},
		{[]string{file("teams")}, []string{file("teams/teams.yaml")}, []string{file("teams/teams.yaml") + `:2:43: teams[0].members[0]: unknown user "alice"`, file("teams/teams.yaml") + `:4:41: escalation_policies[0].steps[0].targets[0].user: unknown user "alice"`}, false},
		{[]string{file("people.yaml"), file("teams"), file("empty")}, []string{file("people.yaml"), file("teams/teams.yaml")}, []string{file("empty") + ": no *.yaml or *.yml files in this directory"}, false},
		{[]string{file("people.yaml"), file("missing.yaml")}, nil, nil, true},
		{nil, nil, nil, true},
	}
	for _, c := range cases {
		l, err := Load(c.paths...)
		if (err != nil) != c.wantError {
			t.Errorf("Load(%q): error %v, want error %v", c.paths, err, c.wantError)
			continue
		}
		if err != nil {
			continue
		}
		var got []string
		for _, p := range l.Problems {
			got = append(got, p.String())
		}
		if !slices.Equal(l.Files, c.files) || !slices.Equal(got, c.problems) {
			t.Errorf("Load(%q):\nfiles %q\nproblems %q\nwant %q\n%q", c.paths, l.Files, got, c.files, c.problems)
		}
	}
}

func TestLoadDirectoryMerges(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"10-org.yaml": `org:
  providers:
    smtp: {host: 127.0.0.1, port: 1025, from: vigil@example.com}
  correlation_window: 5m
  correlation_hub_share: 0.6
`,
		"20-people.yaml": `org:
  night_hours: {start: "22:00", end: "08:00"}
users:
  - {id: alice, time_zone: Europe/Berlin}
  - {id: bob, time_zone: Europe/Berlin}
---
users:
  - {id: carol, time_zone: America/New_York}
  - {id: dan, time_zone: Nowhere/Town}
`,
		"30-teams.yml": `org:
  correlation_window: 10m
teams:
  - {id: dev, kind: dev, members: [alice, bob, carol], escalation_policy: pol}
  - {id: irt, kind: global-irt, members: [dan, erin], escalation_policy: pol}
escalation_policies:
  - {id: pol, steps: [{targets: [{team: dev}], escalate_after: 5m}]}
users:
  - {id: alice, time_zone: UTC}
`,
		// Not configuration: other suffixes, hidden files, subdirectories.
		"notes.txt":     "not: [yaml",
		".backup.yaml":  "not: [yaml",
		"sub/more.yaml": "not: [yaml",
	})
	l, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	file := func(name string) string { return filepath.Join(dir, name) }
	want := []string{
		file("20-people.yaml") + `:9:26: users[1].time_zone: invalid time zone "Nowhere/Town": use a name of the IANA time zone database, Area/City such as "America/Sao_Paulo", or UTC`,
		file("30-teams.yml") + `:2:23: org.correlation_window: org.correlation_window is already set at ` + file("10-org.yaml") + `:4`,
		file("30-teams.yml") + `:5:48: teams[1].members[1]: unknown user "erin"`,
		file("30-teams.yml") + `:9:10: users[0].id: duplicate user id "alice"`,
	}
	var got []string
	for _, p := range l.Problems {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if wantFiles := []string{file("10-org.yaml"), file("20-people.yaml"), file("30-teams.yml")}; !slices.Equal(l.Files, wantFiles) {
		t.Errorf("files = %v, want %v", l.Files, wantFiles)
	}
	var ids []string
	for _, u := range l.Bundle.Users {
		ids = append(ids, u.ID)
	}
	if want := []string{"alice", "bob", "carol", "dan", "alice"}; !slices.Equal(ids, want) {
		t.Errorf("users = %v, want %v", ids, want)
	}
	org := l.Bundle.Org
	if org.Providers.SMTP == nil || org.Providers.SMTP.Port != 1025 {
		t.Errorf("smtp = %+v, want the one of 10-org.yaml", org.Providers.SMTP)
	}
	if org.NightHours == nil || org.NightHours.Start != "22:00" {
		t.Errorf("night_hours = %+v, want the one of 20-people.yaml", org.NightHours)
	}
	if org.CorrelationWindow != duration.Duration(5*time.Minute) {
		t.Errorf("correlation_window = %v, want the first one set, 5m", org.CorrelationWindow)
	}
	if org.CorrelationHubShare != 0.6 {
		t.Errorf("correlation_hub_share = %v, want 0.6", org.CorrelationHubShare)
	}
	if len(l.Bundle.Teams) != 2 || len(l.Bundle.EscalationPolicies) != 1 {
		t.Errorf("got %d teams and %d policies, want 2 and 1", len(l.Bundle.Teams), len(l.Bundle.EscalationPolicies))
	}
}

func TestLoadFullExample(t *testing.T) {
	l, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range l.Problems {
		t.Errorf("unexpected problem: %s", p)
	}
	b := &l.Bundle
	if len(b.Users) != 7 || len(b.Teams) != 4 || len(b.Schedules) != 3 || len(b.EscalationPolicies) != 3 || len(b.Services) != 4 {
		t.Fatalf("got %d users, %d teams, %d schedules, %d policies, %d services; want 7, 4, 3, 3, 4",
			len(b.Users), len(b.Teams), len(b.Schedules), len(b.EscalationPolicies), len(b.Services))
	}
	// Spot checks of each kind of value the decoder fills.
	if got := b.Users[1].ContactMethods[0].Number; got != "+4915100000002" {
		t.Errorf("unquoted phone number = %q, want +4915100000002", got)
	}
	if got := b.Users[0].NotificationRules[1].Delay; got != duration.Duration(5*time.Minute) {
		t.Errorf("delay = %v, want 5m", got)
	}
	layer := b.Schedules[0].Layers[0]
	if want := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC); !layer.Start.Equal(want) {
		t.Errorf("layer start = %v, want %v", layer.Start, want)
	}
	if want := time.Date(2026, 1, 4, 22, 0, 0, 0, time.UTC); !b.Schedules[1].Layers[0].Start.Equal(want) {
		t.Errorf("unquoted timestamp = %v, want %v", b.Schedules[1].Layers[0].Start, want)
	}
	if got := layer.Active[0].Days; !slices.Equal(got, []string{"mon", "tue", "wed", "thu", "fri"}) {
		t.Errorf("active days = %v", got)
	}
	api := b.Services[0]
	if !api.RevenueCritical || api.Coverage == nil || api.Coverage.Mode != "parallel" {
		t.Errorf("payments-api = %+v, want revenue critical with parallel coverage", api)
	}
	if got := api.Integrations[2].Interval; got != duration.Duration(10*time.Minute) {
		t.Errorf("heartbeat interval = %v, want 10m", got)
	}
	if got := api.Urgency["warning"]; got != "low" {
		t.Errorf("urgency[warning] = %q, want low", got)
	}
	if got := b.Services[1].Integrations[1]; got.RateLimit != 2.5 || got.Mapping["dedup_key"] != "/id" {
		t.Errorf("generic integration = %+v, want rate 2.5 and dedup_key /id", got)
	}
	if got := b.Org.Freezes[0].From; got == nil || !got.Equal(time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("org freeze from = %v", got)
	}
	if b.Org.Providers.SMTP.StartTLS || b.Org.Providers.SMTP.Port != 1025 {
		t.Errorf("smtp = %+v", b.Org.Providers.SMTP)
	}
	if len(l.OpenSLO) != 1 || l.OpenSLO[0].Line != 159 || l.OpenSLO[0].File != "testdata/full.yaml" {
		t.Fatalf("OpenSLO = %+v, want one document at testdata/full.yaml:159", l.OpenSLO)
	}
	var slo struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Service string `yaml:"service"`
		} `yaml:"spec"`
	}
	if err := l.OpenSLO[0].Node.Decode(&slo); err != nil || slo.Kind != "SLO" || slo.Spec.Service != "checkout" {
		t.Errorf("OpenSLO document decodes to %+v (%v), want an SLO of checkout", slo, err)
	}
}

// The REST API builds bundles from JSON: the same bundle must validate the
// same way after a JSON round trip.
func TestValidateAfterJSONRoundTrip(t *testing.T) {
	l, err := Load("testdata/full.yaml")
	if err != nil || len(l.Problems) > 0 {
		t.Fatalf("load: %v %v", err, l.Problems)
	}
	data, err := json.Marshal(&l.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if ps := Validate(&b); len(ps) > 0 {
		t.Errorf("problems after a JSON round trip: %v", ps)
	}
	b.Services[0].Owner = "nobody"
	want := []Problem{{Path: "services[0].owner", Message: `unknown team "nobody"`}}
	if got := Validate(&b); !slices.Equal(got, want) {
		t.Errorf("Validate = %v, want %v", got, want)
	}
}

func TestValidateBundleWithoutFiles(t *testing.T) {
	b := &Bundle{
		Users: []catalog.User{{ID: "u1", TimeZone: "UTC"}, {ID: "u1", TimeZone: "Nowhere/City"}},
		Teams: []catalog.Team{{ID: "t1", Kind: catalog.KindGlobalIRT, Members: []string{"u1", "u9"}}},
		Services: []catalog.Service{
			{ID: "s1", Owner: "t1", EscalationPolicy: "p"},
			{ID: "S2", Owner: "t1", Coverage: &catalog.Coverage{Mode: catalog.CoverageBackup}},
		},
	}
	want := []Problem{
		{Path: "users[1].id", Message: `duplicate user id "u1"`},
		{Path: "services[1].id", Message: `invalid id "S2"` + idRule},
		{Path: "users[1].time_zone", Message: `invalid time zone "Nowhere/City": use a name of the IANA time zone database, Area/City such as "America/Sao_Paulo", or UTC`},
		{Path: "teams[0].members[1]", Message: `unknown user "u9"`},
		{Path: "services[0].escalation_policy", Message: `unknown escalation policy "p"`},
		{Path: "services[1].coverage.after", Message: `backup coverage needs after, a positive duration such as "5m"`},
	}
	got := Validate(b)
	if !slices.Equal(got, want) {
		t.Errorf("Validate:\n%v\nwant:\n%v", got, want)
	}
	negative := &Bundle{
		Org: catalog.Org{CorrelationWindow: -1},
		Users: []catalog.User{{
			ID: "u1", TimeZone: "UTC",
			ContactMethods:    []catalog.ContactMethod{{ID: "h", Type: catalog.MethodWebhook, URL: "http://127.0.0.1/h"}},
			NotificationRules: []catalog.NotificationRule{{ContactMethod: "h", Delay: duration.Duration(-time.Minute)}},
		}},
	}
	want = []Problem{
		{Path: "org.correlation_window", Message: "duration -1ns is negative"},
		{Path: "users[0].notification_rules[0].delay", Message: "duration -1m is negative"},
	}
	if got := Validate(negative); !slices.Equal(got, want) {
		t.Errorf("Validate:\n%v\nwant:\n%v", got, want)
	}
	if ps := Validate(&Bundle{}); len(ps) != 0 {
		t.Errorf("an empty bundle has problems: %v", ps)
	}
	for _, c := range []struct {
		share float64
		want  string
	}{
		{0, ""}, {0.3, ""}, {1, ""},
		{-0.1, "share -0.1 is not between 0 and 1"},
		{1.5, "share 1.5 is not between 0 and 1"},
		{math.NaN(), "share NaN is not between 0 and 1"},
		{math.Inf(1), "share +Inf is not between 0 and 1"},
	} {
		got := Validate(&Bundle{Org: catalog.Org{CorrelationHubShare: c.share}})
		var want []Problem
		if c.want != "" {
			want = []Problem{{Path: "org.correlation_hub_share", Message: c.want}}
		}
		if !slices.Equal(got, want) {
			t.Errorf("correlation_hub_share %v: Validate = %v, want %v", c.share, got, want)
		}
	}
}

func TestLoadOpenSLODocumentsAreSetAside(t *testing.T) {
	l := LoadBytes("slo.yaml", []byte(`apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec: {anything: [goes, here]}
---
users:
  - {id: u1, time_zone: UTC}
---
# only a comment
---
apiVersion: openslo/v1
kind: DataSource
`))
	if len(l.Problems) > 0 {
		t.Errorf("problems: %v", l.Problems)
	}
	var lines []int
	for _, d := range l.OpenSLO {
		lines = append(lines, d.Line)
	}
	if !slices.Equal(lines, []int{1, 11}) {
		t.Errorf("OpenSLO documents at lines %v, want [1 11]", lines)
	}
	if len(l.Bundle.Users) != 1 {
		t.Errorf("users = %v, want u1", l.Bundle.Users)
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("Load of a missing file: no error")
	}

	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := Load(empty)
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{{File: empty, Message: "no *.yaml or *.yml files in this directory"}}
	if !slices.Equal(l.Problems, want) {
		t.Errorf("empty directory: %v, want %v", l.Problems, want)
	}

	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("#"+strings.Repeat(" ", maxFileSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = Load(big)
	if err != nil {
		t.Fatal(err)
	}
	want = []Problem{{File: big, Message: "file is larger than 8 MiB"}}
	if !slices.Equal(l.Problems, want) {
		t.Errorf("oversized file: %v, want %v", l.Problems, want)
	}
}

func TestValidateCosts(t *testing.T) {
	for _, c := range []struct {
		name  string
		costs catalog.Costs
		want  []Problem
	}{
		{"config.md's example", catalog.Costs{Currency: "EUR", StandbyPerHour: 2.5, PerInterruption: 15, OffHoursMultiplier: 1.5,
			SleepMultiplier: 3, HolidayMultiplier: 2, ResponsePerHour: map[string]float64{"commander": 120, "responder": 80, "comms": 60, "scribe": 60}}, nil},
		{"nothing set", catalog.Costs{}, nil},
		{"bad currency", catalog.Costs{Currency: "euro"}, []Problem{{Path: "org.costs.currency", Message: `currency "euro" is not a three-letter code such as EUR or USD`}}},
		{"negative and not numbers", catalog.Costs{StandbyPerHour: -1, SleepMultiplier: math.NaN(), HolidayMultiplier: math.Inf(1)}, []Problem{
			{Path: "org.costs.standby_per_hour", Message: "-1 is not a rate: use a number of at least 0"},
			{Path: "org.costs.sleep_multiplier", Message: "NaN is not a rate: use a number of at least 0"},
			{Path: "org.costs.holiday_multiplier", Message: "+Inf is not a rate: use a number of at least 0"},
		}},
		{"unknown role", catalog.Costs{ResponsePerHour: map[string]float64{"comander": 1, "scribe": -2}}, []Problem{
			{Path: "org.costs.response_per_hour.comander", Message: `unknown role "comander": use commander, responder, comms or scribe (did you mean "commander"?)`},
			{Path: "org.costs.response_per_hour.scribe", Message: "-2 is not a rate: use a number of at least 0"},
		}},
	} {
		costs := c.costs
		if got := Validate(&Bundle{Org: catalog.Org{Costs: &costs}}); !slices.Equal(got, c.want) {
			t.Errorf("%s: Validate =\n%v\nwant\n%v", c.name, got, c.want)
		}
	}
}
