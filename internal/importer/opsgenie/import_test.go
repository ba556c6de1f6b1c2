package opsgenie

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/importer"
	"github.com/vigil-oncall/vigil/internal/importer/importertest"
	vsched "github.com/vigil-oncall/vigil/internal/schedule"
)

const (
	paymentsSchedule = "ae7a6c10-d601-5bc9-85c9-3e54b0f4ed50"
	sreSchedule      = "1aa22314-4b54-5e62-b4b4-480380094909"
	legacySchedule   = "236a201c-3280-5403-9074-312d48353b3c"
)

// The fixture account, worked out by hand from its files.
func TestImportFixture(t *testing.T) {
	res := importertest.Import(t, Import, importertest.ReadFiles(t, "testdata/acme"))
	b := &res.Bundle

	var ids []string
	for _, u := range b.Users {
		ids = append(ids, u.ID)
	}
	if want := []string{"alice", "bob", "carol", "dave", "erin", "frank-becker", "hank", "ivy", "jack", "kim", "lena", "mike", "nina"}; !slices.Equal(ids, want) {
		t.Errorf("user ids = %v, want %v", ids, want)
	}
	wantAlice := catalog.User{
		ID: "alice", Name: "Alice Martin", Email: "alice@example.com", TimeZone: "Europe/Berlin", Role: "admin",
		ContactMethods: []catalog.ContactMethod{
			{ID: "email", Type: "email", Address: "alice@example.com"},
			{ID: "sms", Type: "sms", Number: "+4915100000001"},
			{ID: "voice", Type: "voice", Number: "+4915100000001"},
		},
		NotificationRules: []catalog.NotificationRule{
			{ContactMethod: "email"},
			{ContactMethod: "sms", Delay: duration.Duration(time.Minute)},
			{ContactMethod: "voice", Delay: duration.Duration(5 * time.Minute)},
		},
	}
	if !reflect.DeepEqual(b.Users[0], wantAlice) {
		t.Errorf("alice = %+v\nwant %+v", b.Users[0], wantAlice)
	}

	// Rotations on call together become several schedules, whose union is
	// the source's answer; the rotation an override names keeps one of
	// its own, where the override replaces only its people.
	if got := res.Schedules[paymentsSchedule]; !slices.Equal(got, []string{"payments-schedule", "payments-schedule-2", "payments-schedule-3"}) {
		t.Errorf("Payments_schedule became %v", got)
	}
	if got := res.Schedules[legacySchedule]; got != nil {
		t.Errorf("the schedule with a turn for nobody and one for a team became %v", got)
	}
	scheds := map[string]vsched.Schedule{}
	for _, s := range b.Schedules {
		scheds[s.ID] = s
	}
	weekdays := scheds["payments-schedule"]
	if o := weekdays.Overrides; len(weekdays.Layers) != 1 || weekdays.Layers[0].ID != "weekdays" || len(o) != 4 ||
		o[1].User != "erin" || o[1].Replaces != "alice" || !o[1].Start.Equal(importertest.Time(t, "2026-10-26T12:00:00+01:00")) || !o[1].End.Equal(importertest.Time(t, "2026-10-28T12:00:00+01:00")) {
		t.Errorf("payments-schedule = %+v", weekdays)
	}
	nights := scheds["payments-schedule-2"].Layers[0]
	wantNights := []vsched.Window{
		{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "18:00", To: "00:00"},
		{Days: []string{"sat", "sun"}, From: "00:00", To: "00:00"},
		{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "00:00", To: "08:00"},
	}
	if !reflect.DeepEqual(nights.Active, wantNights) || nights.Rotation.Every != "1w" || len(scheds["payments-schedule-2"].Overrides) != 1 {
		t.Errorf("nights and weekends = %+v", nights)
	}
	// Two rotations that never cover together share one schedule.
	if data := scheds["data-schedule"]; len(data.Layers) != 2 || res.Schedules["6a6cf5e8-1e1d-5d40-aafd-9ebff57e79c8"][0] != "data-schedule" || len(res.Schedules["6a6cf5e8-1e1d-5d40-aafd-9ebff57e79c8"]) != 1 {
		t.Errorf("data-schedule = %+v", data)
	}
	lunch := scheds["sre-schedule-3"].Layers[0]
	if !lunch.End.Equal(importertest.Time(t, "2026-03-10T12:00:00Z")) || !reflect.DeepEqual(lunch.Active, []vsched.Window{{From: "12:00", To: "13:30"}}) {
		t.Errorf("lunch cover = %+v", lunch)
	}
	if primary := scheds["sre-schedule"].Layers[0]; primary.Rotation.Every != "12h" || primary.Active != nil {
		t.Errorf("primary = %+v", primary)
	}

	// Rule delays count from the alert: rules at 0, 10, 10 and 30
	// minutes (the last dropped) are two steps, 10 then 15 minutes (the
	// repeat's wait) apart.
	wantPolicy := escalation.Policy{ID: "payments-escalation", Name: "Payments_escalation", Repeat: 2, Steps: []escalation.Step{
		{Targets: []escalation.Target{{Schedule: "payments-schedule"}, {Schedule: "payments-schedule-2"}, {Schedule: "payments-schedule-3"}}, EscalateAfter: importer.Minutes(10)},
		{Targets: []escalation.Target{{User: "dave"}, {Team: "sre"}}, EscalateAfter: importer.Minutes(15)},
	}}
	if !reflect.DeepEqual(b.EscalationPolicies[0], wantPolicy) {
		t.Errorf("payments-escalation = %+v", b.EscalationPolicies[0])
	}
	teams := map[string]catalog.Team{}
	for _, tm := range b.Teams {
		teams[tm.ID] = tm
	}
	if tm := teams["payments"]; tm.EscalationPolicy != "payments-escalation" || tm.Schedule != "payments-schedule" || len(tm.Members) != 6 {
		t.Errorf("payments = %+v", tm)
	}
	if tm := teams["sre"]; tm.EscalationPolicy != "sre-on-call" {
		t.Errorf("sre's default routing rule notifies its schedule: %+v", tm)
	}

	services := map[string]catalog.Service{}
	for _, s := range b.Services {
		services[s.ID] = s
	}
	if s := services["cluster"]; s.Owner != "sre" || !reflect.DeepEqual(s.Integrations, []catalog.Integration{{Type: "grafana", Key: "0b6f7c2d-8e1a-4d3b-b5c9-7a2e1f6d4c38"}}) {
		t.Errorf("cluster = %+v", s)
	}
	if s := services["prometheus-payments"]; s.Owner != "payments" || !reflect.DeepEqual(s.Integrations, []catalog.Integration{{Type: "alertmanager", Key: "5f1c2e7a-3b9d-4c1e-9a7f-2d8b6e4c1a90"}}) {
		t.Errorf("prometheus-payments = %+v", s)
	}
	if s := services["checkout-api"]; s.Integrations[0].Mapping["summary"] != "/message" || s.Integrations[0].DefaultSeverity != "critical" {
		t.Errorf("checkout-api = %+v", s)
	}
	if s := services["orphan"]; s.Owner != "unowned" {
		t.Errorf("orphan = %+v", s)
	}

	importertest.ReportHas(t, res,
		"heartbeat | nightly-backup | expects a ping every 1 day(s)", "heartbeat | etl-hourly",
		"rotation | Legacy_schedule: With a gap | it has a turn with nobody", "rotation | Legacy_schedule: Team turn | its participant `Data` is a team",
		"rotation | SRE_schedule: Old primary | it ended", "integration | Webhook to ServiceNow | outgoing webhook",
		"integration | Email Data | email integration", "integration | Datadog | integration of type `Datadog`",
		"contact method | Alice Martin: mobile app", "routing rule | Payments: Database alerts", "forwarding rule | kim-holiday",
		"alert policy | Drop staging", "escalation | Payments_escalation | rule 4 notifies schedule `SRE_schedule` (next on-call)",
		"escalation | SRE_escalation | rule 2 escalates until the alert is closed", "escalation | Data_escalation | its first rule waits 2 minutes",
		"notification rule | 13 users | notification rules for other events", "schedule | Payments_schedule | 1 overrides that ended",
		"service | Prometheus Payments | made for integration", "service | Checkout API | made for integration `Checkout API`, since its team `payments` owns 2 services",
	)
}

// Malformed input gets an error naming the file; input that is well
// formed but wrong, odd or hostile is imported as far as it goes, the
// rest named in the report, and the configuration is always valid.
func TestImportBadInput(t *testing.T) {
	fixture := importertest.ReadFiles(t, "testdata/acme")
	sched := func(rotations string) map[string]string {
		return map[string]string{"schedules.json": `{"data":[{"id":"S1","name":"X","timezone":"Europe/Berlin","enabled":true,"rotations":[` + rotations + `]}]}`}
	}
	alice := `{"type":"user","id":"4620819a-a3ad-5bde-a3bd-6d8857e4ac26","username":"alice@example.com"}`
	rot := func(fields string) string {
		return `{"id":"R1","name":"R","startDate":"2026-01-05T08:00:00Z","type":"daily","length":1,"participants":[` + alice + `]` + fields + `}`
	}
	tests := []importertest.BadInput{
		{Name: "not JSON", Files: map[string]string{"users.json": `{"data":[`}, WantErr: "users page 1: not a JSON object"},
		{Name: "wrong envelope", Files: map[string]string{"teams.json": `{"teams":[]}`}, WantErr: `no "data" list`},
		{Name: "wrong types", Files: map[string]string{"escalations.json": `{"data":[{"id":"E","rules":{}}]}`}, WantErr: "escalations page 1"},
		{Name: "heartbeats not an object", Files: map[string]string{"heartbeats.json": `{"data":[1]}`}, WantErr: "heartbeats page 1"},
		{Name: "nothing at all", Files: map[string]string{"users.json": "", "users-2.json": "", "teams.json": "", "schedules.json": "", "escalations.json": "", "services.json": "", "services-2.json": "", "integrations.json": "", "heartbeats.json": ""}, WantErr: "no Opsgenie responses"},
		{Name: "hostile ids", Files: map[string]string{"schedules.json": `{"data":[{"id":"../../../etc/passwd","name":"Evil","timezone":"UTC","rotations":[` + rot("") + `]}]}`}},
		{Name: "bad zone", Files: map[string]string{"schedules.json": `{"data":[{"id":"S1","name":"X","timezone":"Nowhere/City","rotations":[` + rot("") + `]}]}`}, Report: "time zone `Nowhere/City`"},
		{Name: "unknown type", Files: sched(strings.Replace(rot(""), `"daily"`, `"custom"`, 1)), Report: "rotation type `custom`"},
		{Name: "huge length", Files: sched(strings.Replace(rot(""), `"length":1`, `"length":99999999`, 1)), Report: "length 99999999"},
		{Name: "bad dates", Files: sched(rot(`,"endDate":"2025-01-01T00:00:00Z"`) + "," + strings.Replace(rot(""), "2026-01-05T08:00:00Z", "Monday", 1)), Report: "ends before it starts"},
		{Name: "bad restrictions", Files: sched(rot(`,"timeRestriction":{"type":"weekday-and-time-of-day","restrictions":[{"startDay":"caturday","startHour":8,"startMin":0,"endDay":"monday","endHour":9,"endMin":0},{"startDay":"monday","startHour":25,"startMin":0,"endDay":"monday","endHour":9,"endMin":0}]}`)), Report: "leave no time on call"},
		{Name: "restriction without times", Files: sched(rot(`,"timeRestriction":{"type":"time-of-day"}`)), Report: "without its times"},
		{Name: "unknown participant", Files: sched(strings.Replace(rot(""), alice, `{"type":"user","username":"ghost@example.com"}`, 1)), Report: "ghost@example.com"},
		{Name: "escalation garbage", Files: map[string]string{"escalations.json": `{"data":[{"id":"E1","name":"E","rules":[{"delay":{"timeAmount":-5},"recipient":{"type":"user","username":"alice@example.com"}},{"delay":{"timeAmount":99999999,"timeUnit":"days"},"recipient":{"type":"robot"}}],"repeat":{"count":-1,"waitInterval":-4}}]}`}, Report: "out of range"},
		{Name: "bad keys", Files: map[string]string{"integrations.json": `{"data":[{"id":"I1","name":"P","type":"Prometheus","teamId":"x"},{"id":"I2","name":"Q","type":"Prometheus"}]}`,
			"integrations/I1.json": `{"data":{"id":"I1","name":"P","type":"Prometheus","apiKey":"../../x y"}}`, "integrations/I2.json": `{"data":{"id":"I2","name":"Q","type":"Prometheus","apiKey":"5f1c2e7a-3b9d-4c1e-9a7f-2d8b6e4c1a90"}}`}, Report: "not a key Vigil takes"},
		{Name: "hostile names", Files: map[string]string{"teams.json": `{"data":[{"id":"T1","name":"x\n- id: injected\n  kind: global-irt ]]> {{.}} \u0000"}]}`}},
		{Name: "bad contacts", Files: map[string]string{"users/4620819a-a3ad-5bde-a3bd-6d8857e4ac26/contacts.json": `{"data":[{"method":"sms","to":"call me"},{"method":"pigeon","to":"roof"},{"method":"email","to":"@@"}]}`}, Report: "pigeon"},
	}
	importertest.CheckBadInputs(t, Import, fixture, importertest.InMemory, tests)
}

// Whatever the files hold, the import either fails with an error or gives
// a configuration that validates.
func FuzzImport(f *testing.F) {
	importertest.Fuzz(f, "testdata/acme", []string{"users.json", "schedules.json", "schedules/" + paymentsSchedule + "/overrides.json", "escalations.json", "integrations.json", "teams.json"}, Import)
}

// The live API gives the same import as the saved files: a fake Opsgenie
// serves them page by page, each page linking to the next as Opsgenie's
// paging.next does.
func TestImportFromAPI(t *testing.T) {
	files := importertest.ReadFiles(t, "testdata/acme")
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "GenieKey og-test-key" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"message":"Could not authenticate","took":0.0,"requestId":"x"}`))
			return
		}
		path := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v2/"), "/v1/")
		if (path == "services") != strings.HasPrefix(r.URL.Path, "/v1/") || path == "schedules" && r.URL.Query().Get("expand") != "rotation" {
			http.Error(w, `{"message":"wrong version or no expand"}`, http.StatusBadRequest)
			return
		}
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		body, ok := files[importer.PageFile(path, max(n, 1))]
		if !ok {
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
			return
		}
		page := string(body)
		if _, more := files[importer.PageFile(path, max(n, 1)+1)]; more {
			// The fixture's links point at api.opsgenie.com: point them here.
			page = strings.Replace(page, `"next": "https://api.opsgenie.com`, `"next": "`+srv.URL+r.URL.Path+`?page=`+strconv.Itoa(max(n, 1)+1)+`&x=`, 1)
		}
		w.Write([]byte(page))
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	live := importertest.FromAPI(t, Import, API(base, "og-test-key", srv.Client(), importertest.Now()), files)
	if len(live.Bundle.Users) != 13 || len(live.Bundle.Services) != 7 {
		t.Errorf("the API import missed pages: %d users, %d services", len(live.Bundle.Users), len(live.Bundle.Services))
	}
	importertest.WrongToken(t, Import, API(base, "wrong", srv.Client(), importertest.Now()))
}
