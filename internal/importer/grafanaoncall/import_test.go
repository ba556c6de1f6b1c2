package grafanaoncall

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/importer"
	"github.com/vigil-oncall/vigil/internal/importer/importertest"
	vsched "github.com/vigil-oncall/vigil/internal/schedule"
)

// The fixture organisation, worked out by hand from its files.
func TestImportFixture(t *testing.T) {
	res := importertest.Import(t, Import, importertest.ReadFiles(t, "testdata/acme"))
	b := &res.Bundle
	wantAlice := catalog.User{ID: "alice", Name: "alice", Email: "alice@example.com", TimeZone: "Europe/Berlin", Role: "admin",
		ContactMethods:    []catalog.ContactMethod{{ID: "email", Type: "email", Address: "alice@example.com"}},
		NotificationRules: []catalog.NotificationRule{{ContactMethod: "email"}}}
	if len(b.Users) != 16 || !reflect.DeepEqual(b.Users[0], wantAlice) {
		t.Errorf("users = %+v", b.Users)
	}
	if bob := b.Users[1]; !reflect.DeepEqual(bob.NotificationRules, []catalog.NotificationRule{{ContactMethod: "email"}, {ContactMethod: "email", Delay: importer.Minutes(15)}}) {
		t.Errorf("bob's rules = %+v", bob.NotificationRules)
	}
	scheds := map[string]vsched.Schedule{}
	for _, s := range b.Schedules {
		scheds[s.ID] = s
	}
	layer := func(sched, id string) vsched.Layer {
		for _, l := range scheds[sched].Layers {
			if l.ID == id {
				return l
			}
		}
		t.Fatalf("%s has no layer %s: %+v", sched, id, scheds[sched].Layers)
		return vsched.Layer{}
	}
	// A group of two on call together: one layer per member, in two
	// schedules.
	if got := res.Schedules["S8M7WIGPQF5GX"]; !slices.Equal(got, []string{"payments", "payments-2"}) {
		t.Errorf("Payments became %v", got)
	}
	if l := layer("payments", "weekly-base"); !slices.Equal(l.Users, []string{"dave", "frank-becker"}) || l.Active != nil || l.Rotation.Every != "1w" {
		t.Errorf("weekly base, first members = %+v", l)
	}
	if l := layer("payments-2", "weekly-base-2"); !slices.Equal(l.Users, []string{"erin", "frank-becker"}) {
		t.Errorf("weekly base, second members = %+v", l)
	}
	// A weekly rotation on some days entered on a Wednesday: that week
	// alone, then a handoff every Monday. 4 March is in week 8 from the
	// week of 5 January: erin's (8 mod 2), then dave's.
	lead, main := layer("payments", "lunch-cover-from-march-first-week"), layer("payments", "lunch-cover-from-march")
	if !slices.Equal(lead.Users, []string{"erin"}) || !lead.Start.Equal(importertest.Time(t, "2026-03-04T12:00:00+01:00")) || !lead.End.Equal(importertest.Time(t, "2026-03-09T12:00:00+01:00")) ||
		!slices.Equal(main.Users, []string{"dave", "erin"}) || !reflect.DeepEqual(main.Active, []vsched.Window{{Days: []string{"mon", "wed", "fri"}, From: "12:00", To: "13:00"}}) {
		t.Errorf("lunch cover = %+v then %+v", lead, main)
	}
	// rotation_start on 21 January, 16 days after start: turns count from
	// that day's event, hank's.
	if l := layer("sre", "day"); !slices.Equal(l.Users, []string{"hank", "ivy", "jack"}) || !l.Start.Equal(importertest.Time(t, "2026-01-21T08:00:00-05:00")) {
		t.Errorf("day = %+v", l)
	}
	if l := layer("sre", "night"); !slices.Equal(l.Users, []string{"lena", "kim"}) {
		t.Errorf("night (rotation from the second group) = %+v", l)
	}
	// until 20 March 00:00 UTC: the last 6-hour event starts 19 March
	// 19:00 UTC.
	if l := layer("sre", "six-hour-shadow-until-march"); l.Rotation.Every != "6h" || !l.End.Equal(importertest.Time(t, "2026-03-20T01:00:00Z")) {
		t.Errorf("six-hour shadow = %+v", l)
	}
	// Daily on Monday, Wednesday and Friday, two events a turn, from a
	// Tuesday start that moves to the next week's first selected day,
	// Monday 12 January: hank Mon, Wed; kim Fri, Mon; hank Wed, Fri; kim
	// Mon, Wed; hank Fri, Mon; ... So Mondays go hank, kim, kim, hank.
	for day, want := range map[string][]string{"monday": {"hank", "kim", "kim", "hank"}, "wednesday": {"hank", "hank", "kim", "kim"}, "friday": {"kim", "hank", "hank", "kim"}} {
		if l := layer("sre", "lunch-"+day); !slices.Equal(l.Users, want) {
			t.Errorf("lunch on %s = %v, want %v", day, l.Users, want)
		}
	}
	if l := layer("data", "dst-night-watch"); !l.End.Equal(importertest.Time(t, "2026-04-05T04:00:00+10:00")) {
		t.Errorf("the one-off event ends on the wall clock: %+v", l)
	}
	if res.Schedules["SX32PCHM41HMW"] != nil || res.Schedules["SPUBBBSAYNJ2K"] != nil {
		t.Error("the iCal and the monthly schedules were imported")
	}

	wantChain := escalation.Policy{ID: "payments-chain", Name: "payments-chain", Repeat: 5, Steps: []escalation.Step{
		{Targets: []escalation.Target{{Schedule: "payments"}, {Schedule: "payments-2"}}, EscalateAfter: importer.Minutes(10)},
		{Targets: []escalation.Target{{User: "dave"}, {Team: "sre"}}, EscalateAfter: importer.Minutes(15)},
	}}
	if !reflect.DeepEqual(b.EscalationPolicies[0], wantChain) {
		t.Errorf("payments-chain = %+v", b.EscalationPolicies[0])
	}
	services := map[string]catalog.Service{}
	for _, s := range b.Services {
		services[s.ID] = s
	}
	if s := services["alertmanager-payments"]; s.Owner != "payments" || s.EscalationPolicy != "payments-chain" || !reflect.DeepEqual(s.Integrations, []catalog.Integration{{Type: "alertmanager", Key: "Kx9mTq2LpW7vRb3NcD4eF5gH6"}}) {
		t.Errorf("alertmanager-payments = %+v", s)
	}
	if s := services["formatted-webhook-data"]; s.Integrations[0].Mapping["dedup_key"] != "/alert_uid" {
		t.Errorf("formatted-webhook-data = %+v", s)
	}
	if s := services["team-less-webhook"]; s.Owner != "unowned" {
		t.Errorf("team-less-webhook = %+v", s)
	}
	importertest.ReportHas(t, res,
		"schedule | Legacy | an iCal schedule", "rotation | Monthly review: Monthly reviewer | frequency `monthly`",
		"integration | Zabbix | integration of type `zabbix`", "integration | Alertmanager Payments | Jinja templates",
		"route | Grafana SRE: \"team\": \"db\"", "outgoing webhook | Notify Jira",
		"escalation chain | payments-chain | step 6 (trigger_webhook)", "escalation chain | sre-chain | step 4 (notify_if_time_from_to)",
		"escalation chain | sre-chain | step 5 (notify_user_group)", "escalation chain | sre-chain | step 3 (notify_person_next_each_time)",
		"escalation chain | data-chain | it waits 2 minutes", "notification rule | alice | notify_by_sms after 5 min",
		"notification rule | bob | notify_by_mobile_app after 15 min", "notification rule | 2 users | important notification rules",
		"schedule | Payments | 1 overrides that ended", "schedule | SRE | it puts several people on call at once",
	)
}

// Malformed input gets an error naming the file; input that is well
// formed but wrong, odd or hostile is imported as far as it goes, the
// rest named in the report, and the configuration is always valid.
func TestImportBadInput(t *testing.T) {
	fixture := importertest.ReadFiles(t, "testdata/acme")
	alice := `"UI5SFKG3DD53W"`
	one := func(shift string) map[string]string {
		return map[string]string{
			"schedules.json":        `{"results":[{"id":"S1","name":"X","type":"web","time_zone":"Europe/Berlin"}]}`,
			"on_call_shifts.json":   `{"results":[` + shift + `]}`,
			"on_call_shifts-2.json": "",
		}
	}
	rolling := func(fields string) string {
		return `{"id":"O1","name":"R","type":"rolling_users","schedule":"S1","level":0,"start":"2026-01-05T09:00:00","duration":28800,"rotation_start":"2026-01-05T09:00:00","frequency":"daily","interval":1,"rolling_users":[[` + alice + `]]` + fields + `}`
	}
	tests := []importertest.BadInput{
		{Name: "not JSON", Files: map[string]string{"users.json": `{"results":[`}, WantErr: "users page 1: not a JSON object"},
		{Name: "wrong envelope", Files: map[string]string{"teams.json": `{"data":[]}`}, WantErr: `no "results" list`},
		{Name: "wrong types", Files: map[string]string{"on_call_shifts-2.json": `{"results":[{"id":"O9","duration":"long"}]}`}, WantErr: "on_call_shifts page 2"},
		{Name: "nothing at all", Files: map[string]string{"users.json": "", "users-2.json": "", "teams.json": "", "schedules.json": "", "escalation_chains.json": "", "integrations.json": ""}, WantErr: "no Grafana OnCall responses"},
		{Name: "bad zone", Files: map[string]string{"schedules.json": `{"results":[{"id":"S1","name":"X","type":"web","time_zone":"Pluto/Base"}]}`}, Report: "time zone `Pluto/Base`"},
		{Name: "no frequency", Files: one(strings.Replace(rolling(""), `"frequency":"daily",`, "", 1)), Report: "no frequency"},
		{Name: "monthly", Files: one(strings.Replace(rolling(""), `"daily"`, `"monthly"`, 1)), Report: "frequency `monthly`"},
		{Name: "huge interval", Files: one(strings.Replace(rolling(""), `"interval":1`, `"interval":99999`, 1)), Report: "interval 99999"},
		{Name: "not a time", Files: one(strings.Replace(rolling(""), `"start":"2026-01-05T09:00:00"`, `"start":"soon"`, 1)), Report: "start `soon`"},
		{Name: "far rotation start", Files: one(strings.NewReplacer(`"rotation_start":"2026-01-05T09:00:00"`, `"rotation_start":"2199-01-05T09:00:00"`, `"daily"`, `"hourly"`, `"duration":28800`, `"duration":3600`).Replace(rolling(""))), Report: "no event of it"},
		{Name: "until before start", Files: one(rolling(`,"until":"2025-01-01T00:00:00"`)), Report: "no event of it"},
		{Name: "zero duration", Files: one(strings.Replace(rolling(""), `"duration":28800`, `"duration":0`, 1)), Report: "duration 0s"},
		{Name: "odd seconds", Files: one(strings.Replace(rolling(""), `"duration":28800`, `"duration":28801`, 1)), Report: "whole minutes"},
		{Name: "overlapping days", Files: one(strings.Replace(rolling(`,"by_day":["MO","TU"],"week_start":"MO"`), `"duration":28800`, `"duration":172800`, 1)), Report: "run into each other"},
		{Name: "bad day", Files: one(rolling(`,"by_day":["XX"]`)), Report: "by_day `XX`"},
		{Name: "ghost user", Files: one(strings.Replace(rolling(""), alice, `"UGHOST"`, 1)), Report: "`UGHOST`"},
		{Name: "hostile link", Files: map[string]string{"integrations.json": `{"results":[{"id":"C1","name":"I","type":"alertmanager","link":"https://x/integrations/v1/alertmanager/../../../etc/passwd%00/"}]}`}, Report: "its key is not in its link"},
		{Name: "hostile names", Files: map[string]string{"teams.json": `{"results":[{"id":"T1","name":"x\n- id: injected\n  kind: global-irt ]]> {{.}} \u0000"}]}`}},
		{Name: "unknown step types", Files: map[string]string{"escalation_policies.json": `{"results":[{"escalation_chain_id":"F8M7WIGPQF5GX","position":0,"type":"summon_wizard"},{"escalation_chain_id":"F8M7WIGPQF5GX","position":1,"type":"wait","duration":-5}]}`}, Report: "summon_wizard"},
	}
	importertest.CheckBadInputs(t, Import, fixture, importertest.InMemory, tests)
}

func FuzzImport(f *testing.F) {
	importertest.Fuzz(f, "testdata/acme", []string{"users.json", "schedules.json", "on_call_shifts.json", "on_call_shifts-2.json", "escalation_policies.json", "integrations.json"}, Import)
}

// The live API gives the same import as the saved files: a fake OnCall
// serves them page by page, each page linking to the next.
func TestImportFromAPI(t *testing.T) {
	files := importertest.ReadFiles(t, "testdata/acme")
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "oc-test-token" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"detail":"Invalid token."}`))
			return
		}
		path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/oncall/api/v1/"), "/")
		n := 1
		if r.URL.Query().Get("page") == "2" {
			n = 2
		}
		body, ok := files[importer.PageFile(path, n)]
		if !ok {
			http.Error(w, `{"detail":"Not found."}`, http.StatusNotFound)
			return
		}
		// The fixture's links name oncall.example.com: point them here.
		w.Write([]byte(strings.ReplaceAll(string(body), "https://oncall.example.com", srv.URL)))
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL + "/oncall")
	live := importertest.FromAPI(t, Import, API(base, "oc-test-token", srv.Client(), importertest.Now()), files)
	if len(live.Bundle.Users) != 16 {
		t.Errorf("the API import missed a page of users: %d", len(live.Bundle.Users))
	}
	importertest.WrongToken(t, Import, API(base, "wrong", srv.Client(), importertest.Now()))
}
