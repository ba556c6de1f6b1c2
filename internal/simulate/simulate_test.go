package simulate

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/org"
)

// loadOrg makes an organisation from YAML as "vigil validate" reads it,
// failing on any problem.
func loadOrg(t testing.TB, name, yaml string) Org {
	t.Helper()
	loaded := config.LoadBytes(name+".yaml", []byte(yaml))
	if len(loaded.Problems) > 0 {
		t.Fatalf("%s: %v", name, loaded.Problems)
	}
	return Org{Name: name, Snap: org.SnapshotOf(&loaded.Bundle)}
}

func user(id, zone string) string {
	return "  - {id: " + id + ", name: " + id + ", email: " + id + "@example.com, time_zone: " + zone +
		", contact_methods: [{id: " + id + "-hook, type: webhook, url: \"http://127.0.0.1:9/" + id + "\"}]}\n"
}

const costs = `org:
  costs: {currency: EUR, standby_per_hour: 1, per_interruption: 10, off_hours_multiplier: 2, sleep_multiplier: 3}
`

// london: lon holds the pager 24/7; the policy pages the schedule, then
// boss, then cto, ten minutes apart.
var london = costs + "users:\n" + user("lon", "Europe/London") + user("boss", "Europe/London") + user("cto", "Europe/London") + `
teams:
  - {id: ops, kind: dev, time_zone: Europe/London, country: GB, members: [lon, boss, cto], schedule: ops-primary, escalation_policy: ops}
  - {id: irt, kind: global-irt, time_zone: UTC, members: []}
schedules:
  - id: ops-primary
    time_zone: Europe/London
    layers:
      - {id: all, users: [lon], rotation: {every: 1w}, start: "2026-01-05T00:00:00Z"}
escalation_policies:
  - id: ops
    steps:
      - {targets: [{schedule: ops-primary}], escalate_after: 10m}
      - {targets: [{user: boss}], escalate_after: 10m}
      - {targets: [{user: cto}], escalate_after: 10m}
services:
  - {id: api, name: API, owner: ops}
`

// sun: the same service, followed round the sun: lon covers 04:00–16:00
// London (UTC in January), lax 08:00–20:00 Los Angeles (16:00–04:00 UTC).
var sun = costs + "users:\n" + user("lon", "Europe/London") + user("lax", "America/Los_Angeles") + `
teams:
  - {id: ops, kind: dev, time_zone: Europe/London, country: GB, members: [lon, lax], schedule: ops-sun, escalation_policy: ops}
  - {id: irt, kind: global-irt, time_zone: UTC, members: []}
schedules:
  - id: ops-sun
    time_zone: UTC
    layers:
      - id: london
        users: [lon]
        rotation: {every: 1w}
        start: "2026-01-05T00:00:00Z"
        time_zone: Europe/London
        active: [{days: [mon, tue, wed, thu, fri, sat, sun], from: "04:00", to: "16:00"}]
      - id: la
        users: [lax]
        rotation: {every: 1w}
        start: "2026-01-05T00:00:00Z"
        time_zone: America/Los_Angeles
        active: [{days: [mon, tue, wed, thu, fri, sat, sun], from: "08:00", to: "20:00"}]
escalation_policies:
  - id: ops
    steps:
      - {targets: [{schedule: ops-sun}], escalate_after: 10m}
services:
  - {id: api, name: API, owner: ops}
`

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

func person(t *testing.T, o OrgResult, id string) PersonRow {
	t.Helper()
	for _, p := range o.People {
		if p.User == id {
			return p
		}
	}
	t.Fatalf("%s: no row for %s in %+v", o.Name, id, o.People)
	return PersonRow{}
}

func team(t *testing.T, o OrgResult, id string) TeamRow {
	t.Helper()
	for _, r := range o.Teams {
		if r.Team == id {
			return r
		}
	}
	t.Fatalf("%s: no row for team %s", o.Name, id)
	return TeamRow{}
}

// A Tuesday 03:00 UTC alert, worked by hand: in London it wakes lon
// (sleep hours), who holds the pager all day (24 h standby); following the
// sun it reaches lax at Monday 19:00 in Los Angeles (off hours), and each
// of the two stands by 12 h. At 1/h standby and 10 a page (×2 off, ×3
// sleep): london 24 + 30 = 54, sun 12 + 20 + 12 = 44. A warning pages
// nobody and notifies in business hours; a service neither org has is
// unmapped.
func TestSleepInLondonOffHoursInLosAngeles(t *testing.T) {
	history := []Alert{
		{Timestamp: at("2026-01-13T03:00:00Z"), Service: "api", Severity: "critical", Summary: "5xx", DedupKey: "a1",
			AcknowledgedAt: ptr(at("2026-01-13T03:05:00Z")), ResolvedAt: ptr(at("2026-01-13T03:30:00Z"))},
		{Timestamp: at("2026-01-13T05:00:00Z"), Service: "api", Severity: "warning", Summary: "disk 80%", DedupKey: "w1"},
		{Timestamp: at("2026-01-13T06:00:00Z"), Service: "legacy", Severity: "critical", Summary: "down", DedupKey: "l1"},
	}
	res, err := Run(history, []Org{loadOrg(t, "london", london), loadOrg(t, "sun", sun)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.From.Equal(at("2026-01-13T00:00:00Z")) || !res.To.Equal(at("2026-01-14T00:00:00Z")) {
		t.Fatalf("period %s to %s, want the day of the alerts", res.From, res.To)
	}
	ldn, sn := res.Orgs[0], res.Orgs[1]

	lon := person(t, ldn, "lon")
	if lon.Pages != 1 || lon.Sleep != 1 || lon.StandbyHours != 24 || lon.Cost != 54 || lon.Notices != 1 {
		t.Errorf("london lon: %+v, want 1 sleep page, 24 h standby, cost 54, 1 notice", lon)
	}
	lax := person(t, sn, "lax")
	if lax.Pages != 1 || lax.Off != 1 || lax.Sleep != 0 || lax.StandbyHours != 12 || lax.Cost != 32 {
		t.Errorf("sun lax: %+v, want 1 off-hours page, 12 h standby, cost 32", lax)
	}
	if p := person(t, sn, "lon"); p.Pages != 0 || p.StandbyHours != 12 || p.Cost != 12 || p.Notices != 1 {
		t.Errorf("sun lon: %+v, want no page, 12 h standby, cost 12 and the warning's notice (05:00 UTC is hers)", p)
	}
	for _, o := range res.Orgs {
		if o.Totals.Pages != 1 || o.Totals.Incidents != 2 || o.Totals.HighUrgency != 1 || o.Totals.Notices != 1 {
			t.Errorf("%s totals %+v: the warning must page nobody", o.Name, o.Totals)
		}
		if len(o.Unmapped) != 1 || o.Unmapped[0].Service != "legacy" || o.Unmapped[0].Alerts != 1 {
			t.Errorf("%s unmapped %+v, want legacy with 1 alert", o.Name, o.Unmapped)
		}
	}
	if ldn.Totals.Cost != 54 || sn.Totals.Cost != 44 || ldn.Totals.Sleep != 1 || sn.Totals.Sleep != 0 {
		t.Errorf("totals london %+v, sun %+v", ldn.Totals, sn.Totals)
	}
	if d := res.Differences; len(d) != 1 || d[0].Org != "sun" || d[0].Against != "london" || d[0].Sleep != -1 || d[0].Cost != -10 || d[0].StandbyHours != 0 {
		t.Errorf("differences %+v, want sun against london: one sleep page and 10 less", d)
	}
	if l, s := team(t, ldn, "ops"), team(t, sn, "ops"); l.GuaranteedHours != 24 || s.GuaranteedHours != 24 {
		t.Errorf("guaranteed hours london %v, sun %v: both hold 24 h", l.GuaranteedHours, s.GuaranteedHours)
	}
	// The low-urgency notice waits from 05:00 UTC to 08:00 London: 3 h.
	if ldn.Totals.NoticeHours != 3 {
		t.Errorf("notice wait %v h, want 3", ldn.Totals.NoticeHours)
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "first escalation step is taken as acknowledging") }) {
		t.Errorf("notes %q do not say how a missing acknowledgement is read", res.Notes)
	}
}

// An alert acknowledged after 20 minutes on a policy whose steps are 10
// minutes apart pages step 1 at once and step 2 at 10 minutes; step 3
// would be due at 20 minutes, when it was acknowledged. Without an
// acknowledgement the first step is taken as acknowledging.
func TestEscalationProceedsUntilTheAcknowledgement(t *testing.T) {
	tests := []struct {
		name  string
		alert Alert
		paged []string
		esc   int
	}{
		{"acknowledged after 20m", Alert{Timestamp: at("2026-01-13T10:00:00Z"), Service: "api", Severity: "error", DedupKey: "x",
			AcknowledgedAt: ptr(at("2026-01-13T10:20:00Z"))}, []string{"boss", "lon"}, 1},
		{"acknowledged after 21m", Alert{Timestamp: at("2026-01-13T10:00:00Z"), Service: "api", Severity: "error", DedupKey: "x",
			AcknowledgedAt: ptr(at("2026-01-13T10:21:00Z"))}, []string{"boss", "cto", "lon"}, 1},
		{"acknowledged at once", Alert{Timestamp: at("2026-01-13T10:00:00Z"), Service: "api", Severity: "error", DedupKey: "x",
			AcknowledgedAt: ptr(at("2026-01-13T10:00:00Z"))}, []string{"lon"}, 0},
		{"no acknowledgement known", Alert{Timestamp: at("2026-01-13T10:00:00Z"), Service: "api", Severity: "error", DedupKey: "x"}, []string{"lon"}, 0},
		{"resolved unacknowledged after 15m", Alert{Timestamp: at("2026-01-13T10:00:00Z"), Service: "api", Severity: "error", DedupKey: "x",
			ResolvedAt: ptr(at("2026-01-13T10:15:00Z"))}, []string{"boss", "lon"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run([]Alert{tt.alert}, []Org{loadOrg(t, "london", london)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var paged []string
			for _, p := range res.Orgs[0].People {
				if p.Pages > 0 {
					paged = append(paged, p.User)
				}
			}
			slices.Sort(paged)
			if !slices.Equal(paged, tt.paged) || res.Orgs[0].Totals.Escalated != tt.esc {
				t.Errorf("paged %v (escalated %d), want %v (%d)", paged, res.Orgs[0].Totals.Escalated, tt.paged, tt.esc)
			}
		})
	}
}

// Dedup while open: a trigger with the key of an open alert pages nobody;
// once that alert resolved, the key opens a new incident.
func TestDedupWhileOpen(t *testing.T) {
	history := []Alert{
		{Timestamp: at("2026-01-13T10:00:00Z"), Service: "api", Severity: "error", DedupKey: "k",
			AcknowledgedAt: ptr(at("2026-01-13T10:01:00Z")), ResolvedAt: ptr(at("2026-01-13T11:00:00Z"))},
		{Timestamp: at("2026-01-13T10:30:00Z"), Service: "api", Severity: "error", DedupKey: "k"},
		{Timestamp: at("2026-01-13T12:00:00Z"), Service: "api", Severity: "error", DedupKey: "k"},
		{Timestamp: at("2026-01-13T13:00:00Z"), Service: "api", Severity: "error", DedupKey: "k"},
	}
	res, err := Run(history, []Org{loadOrg(t, "london", london)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 10:00 opens; 10:30 repeats it; 12:00 opens again (the first resolved
	// at 11:00) and never resolves, so 13:00 repeats it.
	if tot := res.Orgs[0].Totals; tot.Incidents != 2 || tot.Repeats != 2 || tot.Pages != 2 {
		t.Errorf("totals %+v, want 2 incidents, 2 repeats, 2 pages", tot)
	}
}

// shop: web (team web) and app (team app) both need db (team dba)
// through hard edges; the global IRT's gil is on call. app's policy pages
// ada, then bob ten minutes later. A db alert and a web alert two minutes
// apart are one incident spanning two teams: major, so gil is paged and
// commands.
var shop = costs + "users:\n" + user("wes", "UTC") + user("ada", "UTC") + user("bob", "UTC") + user("dan", "UTC") + user("gil", "UTC") + `
teams:
  - {id: web, kind: dev, time_zone: UTC, members: [wes], schedule: web-s}
  - {id: app, kind: dev, time_zone: UTC, members: [ada, bob], schedule: app-s}
  - {id: dba, kind: dev, time_zone: UTC, members: [dan], schedule: dba-s}
  - {id: irt, kind: global-irt, time_zone: UTC, members: [gil], schedule: irt-s}
schedules:
  - {id: web-s, time_zone: UTC, layers: [{id: l, users: [wes], rotation: {every: 1w}, start: "2026-01-05T00:00:00Z"}]}
  - {id: app-s, time_zone: UTC, layers: [{id: l, users: [ada], rotation: {every: 1w}, start: "2026-01-05T00:00:00Z"}]}
  - {id: dba-s, time_zone: UTC, layers: [{id: l, users: [dan], rotation: {every: 1w}, start: "2026-01-05T00:00:00Z"}]}
  - {id: irt-s, time_zone: UTC, layers: [{id: l, users: [gil], rotation: {every: 1w}, start: "2026-01-05T00:00:00Z"}]}
escalation_policies:
  - {id: web-p, steps: [{targets: [{schedule: web-s}], escalate_after: 10m}]}
  - {id: app-p, steps: [{targets: [{schedule: app-s}], escalate_after: 10m}, {targets: [{user: bob}], escalate_after: 10m}]}
  - {id: dba-p, steps: [{targets: [{schedule: dba-s}], escalate_after: 10m}]}
services:
  - {id: web, name: Web, owner: web, escalation_policy: web-p, depends_on: [{service: db, kind: hard}]}
  - {id: app, name: App, owner: app, escalation_policy: app-p, depends_on: [{service: db, kind: hard}]}
  - {id: db, name: DB, owner: dba, escalation_policy: dba-p}
`

func TestCorrelatedAcrossTeamsIsMajor(t *testing.T) {
	history := []Alert{
		{Timestamp: at("2026-01-13T10:00:00Z"), Service: "db", Severity: "critical", DedupKey: "d", AcknowledgedAt: ptr(at("2026-01-13T10:05:00Z"))},
		{Timestamp: at("2026-01-13T10:02:00Z"), Service: "web", Severity: "critical", DedupKey: "w"},
		// Past the window: its own incident.
		{Timestamp: at("2026-01-13T10:30:00Z"), Service: "web", Severity: "critical", DedupKey: "w2"},
	}
	res, err := Run(history, []Org{loadOrg(t, "shop", shop)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Orgs[0]
	if o.Totals.Incidents != 2 || o.Totals.Correlated != 1 || o.Totals.Major != 1 {
		t.Errorf("totals %+v, want 2 incidents, 1 correlated, 1 major", o.Totals)
	}
	for id, pages := range map[string]int{"dan": 1, "wes": 2, "gil": 1} {
		if p := person(t, o, id); p.Pages != pages {
			t.Errorf("%s paged %d times, want %d", id, p.Pages, pages)
		}
	}
}

// As on the server, an alert whose service explains open incidents joins
// the oldest and merges the others into it (correlate.Place): web and app
// alert first, each on its own incident (two services sharing db are not
// yet evidence that db fails); db's alert explains both, joins web's and
// merges app's, which stops app's escalation, so bob, its second step at
// 10:11, is never paged; ada, paged by app's, is not paged again.
func TestCorrelationMergesWhatTheAlertExplains(t *testing.T) {
	history := []Alert{
		{Timestamp: at("2026-01-13T10:00:00Z"), Service: "web", Severity: "critical", DedupKey: "w", AcknowledgedAt: ptr(at("2026-01-13T10:20:00Z"))},
		{Timestamp: at("2026-01-13T10:01:00Z"), Service: "app", Severity: "critical", DedupKey: "a", ResolvedAt: ptr(at("2026-01-13T10:30:00Z"))},
		{Timestamp: at("2026-01-13T10:05:00Z"), Service: "db", Severity: "critical", DedupKey: "d"},
	}
	res, err := Run(history, []Org{loadOrg(t, "shop", shop)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Orgs[0]
	if tot := o.Totals; tot.Incidents != 2 || tot.Correlated != 1 || tot.Merged != 1 || tot.Major != 1 || tot.Escalated != 0 {
		t.Errorf("totals %+v, want 2 incidents, 1 correlated, 1 merged, 1 major, none escalated", tot)
	}
	got := map[string]int{}
	for _, p := range o.People {
		got[p.User] = p.Pages
	}
	for id, pages := range map[string]int{"wes": 1, "ada": 1, "bob": 0, "dan": 1, "gil": 1} {
		if got[id] != pages {
			t.Errorf("%s paged %d times, want %d", id, got[id], pages)
		}
	}
}

// The JSON answer has the contract's shape.
func TestJSONShape(t *testing.T) {
	res, err := Run([]Alert{{Timestamp: at("2026-01-13T03:00:00Z"), Service: "gone", Severity: "critical"}},
		[]Org{loadOrg(t, "london", london)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Orgs []map[string]json.RawMessage `json:"orgs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"name", "people", "teams", "totals", "unmapped"} {
		if doc.Orgs[0][key] == nil {
			t.Errorf("org has no %q: %s", key, data)
		}
	}
	var people []map[string]any
	_ = json.Unmarshal(doc.Orgs[0]["people"], &people)
	for _, key := range []string{"user", "pages", "business", "off", "sleep", "standby_hours", "cost"} {
		if _, ok := people[0][key]; !ok {
			t.Errorf("person has no %q", key)
		}
	}
	var totals map[string]any
	_ = json.Unmarshal(doc.Orgs[0]["totals"], &totals)
	for _, key := range []string{"pages", "sleep", "standby_hours", "cost"} {
		if _, ok := totals[key]; !ok {
			t.Errorf("totals have no %q", key)
		}
	}
}

func TestRunRefuses(t *testing.T) {
	o := loadOrg(t, "london", london)
	if _, err := Run(nil, nil, Options{}); err == nil {
		t.Error("no organisation: want an error")
	}
	if _, err := Run(nil, []Org{o}, Options{}); err == nil {
		t.Error("no alert and no period: want an error")
	}
	if _, err := Run(nil, []Org{o}, Options{From: at("2026-01-01T00:00:00Z"), To: at("2027-06-01T00:00:00Z")}); err == nil {
		t.Error("a period longer than the reports take: want an error")
	}
}
