package pagerduty

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/importer/importertest"
	vsched "github.com/vigil-oncall/vigil/internal/schedule"
)

func findUser(b *config.Bundle, id string) *catalog.User {
	for i := range b.Users {
		if b.Users[i].ID == id {
			return &b.Users[i]
		}
	}
	return nil
}

func findSchedule(b *config.Bundle, id string) *vsched.Schedule {
	for i := range b.Schedules {
		if b.Schedules[i].ID == id {
			return &b.Schedules[i]
		}
	}
	return nil
}

// The fixture account, worked out by hand from its files.
func TestImportFixture(t *testing.T) {
	res := importertest.Import(t, Import, mustDir(t, "testdata/acme"))
	b := &res.Bundle

	// Users: ids from the email's local part, unique.
	var ids []string
	for _, u := range b.Users {
		ids = append(ids, u.ID)
	}
	want := []string{"alice", "bob", "carol", "dave", "erin", "frank-becker", "gina", "hank", "ivy", "jack", "kim", "lena", "mike", "nina", "oscar", "pia", "quinn", "alice-2"}
	if !slices.Equal(ids, want) {
		t.Errorf("user ids = %v\nwant %v", ids, want)
	}
	alice := findUser(b, "alice")
	wantAlice := catalog.User{
		ID: "alice", Name: "Alice Martin", Email: "alice@example.com", TimeZone: "Europe/Berlin", Role: "admin",
		ContactMethods: []catalog.ContactMethod{
			{ID: "default-email", Type: "email", Address: "alice@example.com"},
			{ID: "mobile-voice", Type: "voice", Number: "+4915100000001"},
			{ID: "mobile-sms", Type: "sms", Number: "+4915100000001"},
		},
		NotificationRules: []catalog.NotificationRule{
			{ContactMethod: "default-email"},
			{ContactMethod: "mobile-sms", Delay: duration.Duration(2 * time.Minute)},
			{ContactMethod: "mobile-voice", Delay: duration.Duration(5 * time.Minute)},
		},
	}
	if !reflect.DeepEqual(*alice, wantAlice) {
		t.Errorf("alice = %+v\nwant %+v", *alice, wantAlice)
	}
	if hank := findUser(b, "hank"); hank.Role != "admin" || hank.ContactMethods[1].Number != "+12125550101" {
		t.Errorf("hank = %+v", hank)
	}
	if carol := findUser(b, "carol"); len(carol.ContactMethods) != 1 {
		t.Errorf("carol's invalid work address was carried over: %+v", carol.ContactMethods)
	}

	// Teams: members from teams/ID/members.json and from the users' teams.
	teams := map[string]catalog.Team{}
	for _, tm := range b.Teams {
		teams[tm.ID] = tm
	}
	if got := teams["platform"]; !slices.Equal(got.Members, []string{"hank", "ivy", "jack", "kim", "lena", "mike", "nina", "oscar"}) ||
		got.Schedule != "platform-follow-the-sun" || got.EscalationPolicy != "platform-default" {
		t.Errorf("platform = %+v", got)
	}
	if got := teams["global-irt"]; got.Kind != catalog.KindGlobalIRT {
		t.Errorf("no global-irt team: %v", teams)
	}
	if got := teams["unowned"]; got.Kind != catalog.KindDev {
		t.Errorf("no team for the service without one: %v", teams)
	}

	// Schedules: PagerDuty lists layers top first; Vigil bottom first.
	pay := findSchedule(b, "payments-primary")
	var layerIDs []string
	for _, l := range pay.Layers {
		layerIDs = append(layerIDs, l.ID)
	}
	if !slices.Equal(layerIDs, []string{"weekly", "business-hours", "weekend-nights"}) {
		t.Errorf("payments-primary layers = %v (the ended one must be left out)", layerIDs)
	}
	nights := pay.Layers[2]
	wantNights := vsched.Layer{
		ID: "weekend-nights", Users: []string{"frank-becker", "gina"}, Rotation: vsched.Rotation{Every: "1w"},
		Start: importertest.Time(t, "2025-12-05T22:00:00+01:00"),
		Active: []vsched.Window{
			{Days: []string{"fri"}, From: "22:00", To: "00:00"},
			{Days: []string{"sat", "sun"}, From: "00:00", To: "00:00"},
			{Days: []string{"mon"}, From: "00:00", To: "08:00"},
		},
	}
	if !nights.Start.Equal(wantNights.Start) || !reflect.DeepEqual(nights.Active, wantNights.Active) || !slices.Equal(nights.Users, wantNights.Users) || nights.Rotation != wantNights.Rotation {
		t.Errorf("weekend nights = %+v\nwant %+v", nights, wantNights)
	}
	if len(pay.Overrides) != 2 || pay.Overrides[0].User != "gina" || !pay.Overrides[0].Start.Equal(importertest.Time(t, "2026-03-28T20:00:00+01:00")) {
		t.Errorf("payments-primary overrides = %+v (the past one must be left out)", pay.Overrides)
	}
	// A layer that starts on a Wednesday afternoon, between the Monday
	// handoffs of its rotation: its first turn (lena's) is a layer of its
	// own, and the rotation goes on from the next Monday with mike.
	plt := findSchedule(b, "platform-follow-the-sun")
	lead, main := plt.Layers[3], plt.Layers[4]
	if !slices.Equal(lead.Users, []string{"lena"}) || !lead.Start.Equal(importertest.Time(t, "2026-03-04T15:30:00-05:00")) || !lead.End.Equal(importertest.Time(t, "2026-03-09T09:00:00-04:00")) ||
		!slices.Equal(main.Users, []string{"mike", "lena"}) || !main.Start.Equal(importertest.Time(t, "2026-03-09T09:00:00-04:00")) || !main.End.IsZero() {
		t.Errorf("the layer starting in March = %+v then %+v", lead, main)
	}
	if old := plt.Layers[2]; !old.End.Equal(importertest.Time(t, "2026-03-04T15:30:00-05:00")) {
		t.Errorf("the layer ending in March = %+v", old)
	}
	if day := plt.Layers[0]; day.Rotation.Every != "12h" || !reflect.DeepEqual(day.Active, []vsched.Window{{From: "08:00", To: "20:00"}}) {
		t.Errorf("americas day = %+v", day)
	}
	if db := findSchedule(b, "database-on-call"); db.Layers[0].Active != nil {
		t.Errorf("a daily restriction of 24 hours is no restriction: %+v", db.Layers[0])
	}
	if findSchedule(b, "legacy-rotation") != nil {
		t.Error("the schedule without layers was imported")
	}

	// Policies and services.
	wantPolicy := escalation.Policy{ID: "payments-default", Name: "Payments Default", Repeat: 2, Steps: []escalation.Step{
		{Targets: []escalation.Target{{Schedule: "payments-primary"}}, EscalateAfter: duration.Duration(10 * time.Minute)},
		{Targets: []escalation.Target{{User: "dave"}, {Schedule: "platform-follow-the-sun"}}, EscalateAfter: duration.Duration(15 * time.Minute)},
	}}
	if !reflect.DeepEqual(b.EscalationPolicies[0], wantPolicy) {
		t.Errorf("payments-default = %+v", b.EscalationPolicies[0])
	}
	if p := b.EscalationPolicies[1]; len(p.Steps) != 2 || len(p.Steps[1].Targets) != 1 {
		t.Errorf("platform-default keeps only the targets that exist: %+v", p)
	}
	services := map[string]catalog.Service{}
	for _, s := range b.Services {
		services[s.ID] = s
	}
	if s := services["payments-api"]; s.Owner != "payments" || !reflect.DeepEqual(s.Integrations, []catalog.Integration{{Type: "pagerduty", Key: "a1b2c3d4e5f60718293a4b5c6d7e8f90"}}) || s.Urgency["warning"] != "high" {
		t.Errorf("payments-api = %+v", s)
	}
	if s := services["checkout"]; s.Urgency != nil || len(s.Integrations) != 1 {
		t.Errorf("checkout = %+v", s)
	}
	if s := services["ledger-db"]; s.Owner != "unowned" || len(s.Integrations) != 1 || s.EscalationPolicy != "databases" {
		t.Errorf("ledger-db = %+v", s)
	}

	// Everything left behind is named.
	importertest.ReportHas(t, res,
		"event orchestration | Shared Router", "event orchestration | Drop staging noise", "extension | #payments-alerts",
		"contact method | Alice Martin: Pixel 8 | push notifications", "integration | Payments API: Email from the bank",
		"integration | Ledger DB: CloudWatch", "integration | Checkout: Legacy checker | an Events API v1 integration",
		"schedule | Legacy Rotation | no layers", "schedule layer | Payments Primary: Weekly (before January) | ended",
		"add-on | Payments API: Payments dashboard", "service | Ledger DB | response play", "team | Databases | is a subteam",
		"service | Platform Ingress | urgency follows support hours", "escalation policy | Platform Default | rule 1 assigns `round_robin`",
		"escalation policy | Platform Default | on-call handoff notifications", "notification rule | 18 users | low-urgency",
		"service | Payments API | alert grouping", "schedule | Payments Primary | 1 overrides that ended",
	)
}

// Malformed input gets an error naming the file; input that is well
// formed but wrong, odd or hostile is imported as far as it goes, the
// rest named in the report, and the configuration is always valid.
func TestImportBadInput(t *testing.T) {
	oneSchedule := func(layers string) map[string]string {
		return map[string]string{
			"schedules.json":         `{"schedules":[{"id":"PX","name":"X","time_zone":"Europe/Berlin"}]}`,
			"schedules/PX.json":      `{"schedule":{"id":"PX","name":"X","time_zone":"Europe/Berlin","schedule_layers":[` + layers + `]}}`,
			"schedules/PSPAY01.json": "", "schedules/PSPLT01.json": "", "schedules/PSDB001.json": "",
		}
	}
	users := `[{"user":{"id":"PALICE1"}},{"user":{"id":"PBOB001"}}]`
	layer := func(fields string) string {
		return `{"id":"L1","name":"L","start":"2026-01-05T09:00:00+01:00","rotation_virtual_start":"2026-01-05T09:00:00+01:00","rotation_turn_length_seconds":86400,"users":` + users + `,` + fields + `}`
	}
	tests := []importertest.BadInput{
		{Name: "not JSON", Files: map[string]string{"users.json": `{"users":[`}, WantErr: "users page 1: not a JSON object"},
		{Name: "second page broken", Files: map[string]string{"users-2.json": `{"users":{}}`}, WantErr: "users page 2"},
		{Name: "wrong envelope", Files: map[string]string{"teams.json": `{"data":[]}`}, WantErr: `no "teams" list`},
		{Name: "wrong types", Files: map[string]string{"escalation_policies.json": `{"escalation_policies":[{"id":"P","num_loops":"two"}]}`}, WantErr: "escalation_policies page 1"},
		{Name: "detail broken", Files: map[string]string{"schedules/PSPAY01.json": `{"schedule":[]}`}, WantErr: "schedules/PSPAY01.json"},
		{Name: "nothing at all", Files: map[string]string{"users.json": "", "users-2.json": "", "teams.json": "", "schedules.json": "", "escalation_policies.json": "", "services.json": "", "services-2.json": ""}, WantErr: "no PagerDuty responses"},
		{Name: "path traversal in an id", Files: map[string]string{"schedules.json": `{"schedules":[{"id":"../../../../etc/passwd","name":"Evil"}]}`}, Report: "Evil | has no usable id"},
		{Name: "hostile names", Files: map[string]string{"teams.json": `{"teams":[{"id":"PT1","name":"x\n- id: injected\n  kind: global-irt\u0000 ]]> 'quote\" {{template}}"}]}`}},
		{Name: "zone", Files: oneSchedule(layer(`"restrictions":[]`))},
		{Name: "bad zone", Files: map[string]string{"schedules.json": `{"schedules":[{"id":"PX","name":"X"}]}`, "schedules/PX.json": `{"schedule":{"id":"PX","name":"X","time_zone":"Mars/Olympus","schedule_layers":[` + layer(`"restrictions":[]`) + `]}}`}, Report: "time zone `Mars/Olympus`"},
		{Name: "turn of zero", Files: oneSchedule(strings.Replace(layer(`"restrictions":[]`), `86400`, `0`, 1)), Report: "rotation_turn_length_seconds 0"},
		{Name: "turn of ten years", Files: oneSchedule(strings.Replace(layer(`"restrictions":[]`), `86400`, `315360000`, 1)), Report: "rotation_turn_length_seconds 315360000"},
		{Name: "turn of 90 minutes", Files: oneSchedule(strings.Replace(layer(`"restrictions":[]`), `86400`, `5400`, 1)), Report: "rounded to 2h"},
		{Name: "not a time", Files: oneSchedule(strings.Replace(layer(`"restrictions":[]`), `2026-01-05T09:00:00+01:00`, `yesterday`, 1)), Report: "is not an RFC 3339 time"},
		{Name: "year 20000", Files: oneSchedule(strings.Replace(layer(`"restrictions":[]`), `2026-01-05T09:00:00+01:00`, `9999-12-31T23:59:59Z`, 2)), Report: "is not an RFC 3339 time"},
		{Name: "ends before it starts", Files: oneSchedule(layer(`"end":"2025-01-01T00:00:00Z"`)), Report: "ends before it starts"},
		{Name: "bad restrictions", Files: oneSchedule(layer(`"restrictions":[{"type":"weekly_restriction","start_time_of_day":"25:00:00","duration_seconds":3600,"start_day_of_week":1},{"type":"weekly_restriction","start_time_of_day":"09:00:00","duration_seconds":3600,"start_day_of_week":9},{"type":"monthly","start_time_of_day":"09:00:00","duration_seconds":60},{"type":"daily_restriction","start_time_of_day":"09:00:30","duration_seconds":3601}]`)), Report: "start_day_of_week 9"},
		{Name: "unknown user", Files: oneSchedule(strings.Replace(layer(`"restrictions":[]`), `PBOB001`, `PGHOST1`, 1)), Report: "names user"},
		{Name: "too many layers", Files: oneSchedule(strings.Repeat(layer(`"restrictions":[]`)+",", 60) + layer(`"restrictions":[]`)), Report: "61 layers"},
		{Name: "huge delays", Files: map[string]string{"escalation_policies.json": `{"escalation_policies":[{"id":"P1","name":"P","num_loops":-3,"escalation_rules":[{"escalation_delay_in_minutes":99999999999,"targets":[{"id":"PALICE1","type":"user_reference"}]}]}]}`}, Report: "escalates after 99999999999 minutes"},
		{Name: "duplicate keys", Files: map[string]string{"services-2.json": `{"services":[{"id":"S9","name":"Copy","integrations":[{"id":"I9","type":"events_api_v2_inbound_integration","integration_key":"a1b2c3d4e5f60718293a4b5c6d7e8f90"},{"id":"I8","type":"events_api_v2_inbound_integration","integration_key":"../../not-a-key/../../../../xx"}]}]}`}, Report: "already used by service"},
		{Name: "bad contact data", Files: map[string]string{"users-2.json": `{"users":[{"id":"PZ","name":"Zed","email":"zed@@example","time_zone":"Local","contact_methods":[{"id":"C1","type":"phone_contact_method","address":"12ab","country_code":-49},{"id":"C2","type":"carrier_pigeon","label":"Roof"}],"notification_rules":[{"start_delay_in_minutes":-1,"urgency":"high","contact_method":{"id":"C1"}}]}]}`}, Report: "carrier_pigeon"},
	}
	fixture := importertest.ReadFiles(t, "testdata/acme")
	importertest.CheckBadInputs(t, Import, fixture, importertest.OnDisk, tests)
}

// Whatever the files hold, the import either fails with an error or gives
// a configuration that validates.
func FuzzImport(f *testing.F) {
	importertest.Fuzz(f, "testdata/acme", []string{"users.json", "schedules/PSPAY01.json", "schedules/PSPAY01/overrides.json", "services.json", "escalation_policies.json", "teams.json"}, Import)
}
