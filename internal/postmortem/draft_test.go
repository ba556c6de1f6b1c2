package postmortem

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/hours"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// cascade is the record of a cascade at night: ledger-db (team data) was
// deployed at 01:00 UTC, and from 01:08 payments-api (team payments) and
// checkout (team storefront) failed with it. Alice in Berlin and Dan in
// London were woken; Bob in New York was paged in his evening, Carol in
// Sydney at lunch.
func cascade(t *testing.T) Record {
	at := func(hhmmss string) time.Time { return vigiltest.Instant(t, "2026-03-04T"+hhmmss+"Z") }
	ptrAt := func(hhmmss string) *time.Time { v := at(hhmmss); return &v }
	inc := incident.Incident{
		ID: 12, Title: "Checkout failing", Status: incident.StatusResolved, Severity: incident.SEV2, Urgency: incident.UrgencyHigh, Major: true,
		Service: "checkout", Services: []string{"checkout", "payments-api", "ledger-db"},
		Suspects: []incident.Suspect{
			{Service: "ledger-db", Reasons: []string{"deepest failing dependency", "deployed 10m before the first alert"}, Changes: []int64{7}},
			{Service: "payments-api", Reasons: []string{"failing hard dependency of checkout"}},
		},
		CreatedAt: at("01:10:00"), AcknowledgedAt: ptrAt("01:40:00"), AcknowledgedBy: "user:bob",
		ResolvedAt: ptrAt("02:05:00"), ResolvedBy: "user:bob",
	}
	return Record{
		Incident: inc,
		Timeline: []incident.TimelineEntry{
			{At: at("01:10:00"), Kind: incident.EntryTriggered, Actor: "system", Message: "opened by alert 1 on checkout"},
			{At: at("01:10:00"), Kind: incident.EntryEscalated, Actor: "system", Message: "step 1: paged alice"},
			{At: at("01:10:30"), Kind: incident.EntryNotified, Actor: "system", Channel: "webhook", Message: "notified alice via webhook"},
			{At: at("01:11:00"), Kind: incident.EntryAlert, Actor: "integration:am", Message: "alert 2 on payments-api joined: it depends on ledger-db"},
			{At: at("01:11:00"), Kind: incident.EntryMajor, Actor: "system", Message: "major: alerts of 3 services owned by 3 teams"},
			{At: at("01:14:00"), Kind: incident.EntryAcknowledged, Actor: "user:alice", Channel: "web", Message: "acknowledged by user:alice"},
			{At: at("01:16:00"), Kind: incident.EntryRole, Actor: "user:gina", Message: "gina takes commander"},
			{At: at("01:20:00"), Kind: incident.EntryNote, Actor: "user:alice", Channel: "cli", Message: "Rolling back *ledger* v2.3\nnow"},
			{At: at("01:30:00"), Kind: incident.EntryReassigned, Actor: "user:gina", Message: "reassigned to user bob"},
			{At: at("02:05:00"), Kind: incident.EntryResolved, Actor: "user:bob", Channel: "api", Message: "resolved by user:bob"},
		},
		Alerts: []alert.Alert{
			{ID: 1, Service: "checkout", Count: 1, CreatedAt: at("01:10:00"), LastEventAt: at("01:08:00"), ResolvedAt: ptrAt("01:50:00")},
			{ID: 2, Service: "payments-api", Count: 3, CreatedAt: at("01:11:00"), LastEventAt: at("01:05:00"), ResolvedAt: ptrAt("01:55:00")},
			{ID: 3, Service: "ledger-db", Count: 1, CreatedAt: at("01:12:00"), LastEventAt: at("01:12:00"), ResolvedAt: ptrAt("01:58:00")},
		},
		Pages: []Page{
			{User: "alice", TimeZone: "Europe/Berlin", At: at("01:15:30")},
			{User: "alice", TimeZone: "Europe/Berlin", At: at("01:10:30")},
			{User: "bob", TimeZone: "America/New_York", At: at("01:11:00")},
			{User: "carol", TimeZone: "Australia/Sydney", At: at("01:12:00")},
			{User: "dan", TimeZone: "Europe/London", At: at("01:12:30")},
		},
		Services: []ServiceFact{
			{Service: "checkout", Name: "Checkout", Owner: "storefront", Critical: true, CriticalBecause: []string{"checkout"}},
			{Service: "payments-api", Name: "Payments API", Owner: "payments", Critical: true, CriticalBecause: []string{"checkout", "payments-api"}},
			{Service: "ledger-db", Owner: "data", Critical: false, CriticalBecause: []string{}},
		},
		Budgets: []Budget{{SLO: "checkout-availability", Service: "checkout", Share: 0.3451}},
		Changes: []change.Event{{ID: 7, Service: "ledger-db", Summary: "deploy ledger v2.3", Source: "ci", At: at("01:00:00")}},
		Hours:   hours.Default,
	}
}

func TestDraftOfACascade(t *testing.T) {
	rec := cascade(t)
	now := vigiltest.Instant(t, "2026-03-04T09:00:00Z")
	pm := Draft(rec, DefaultPolicy, "storefront", calendar(t, "Europe/Berlin", "DE"), "user:gina", now)

	if pm.ID != 12 || pm.IncidentID != 12 || pm.Status != StatusDraft || pm.Version != 1 || pm.CreatedBy != "user:gina" || !pm.CreatedAt.Equal(now) {
		t.Errorf("header: %+v", pm)
	}
	wantWhy := []string{"severity SEV2", "major incident", "consumed 34.5% of SLO checkout-availability's error budget (more than 20%)"}
	if !pm.Required || !reflect.DeepEqual(pm.RequiredBecause, wantWhy) {
		t.Errorf("required %v because %q, want %q", pm.Required, pm.RequiredBecause, wantWhy)
	}
	// Resolved Wednesday 4 March: Thursday, Friday, Monday, Tuesday,
	// Wednesday 11 March, 18:00 in Berlin.
	if pm.Due == nil || !pm.Due.Equal(vigiltest.Instant(t, "2026-03-11T17:00:00Z")) {
		t.Errorf("due %v", pm.Due)
	}

	f := pm.Facts
	if !f.StartedAt.Equal(vigiltest.Instant(t, "2026-03-04T01:08:00Z")) {
		t.Errorf("started %s: the only event of alert 1 was reported at 01:08 (alert 2's last event says nothing of its first)", f.StartedAt)
	}
	if f.AcknowledgedAt == nil || !f.AcknowledgedAt.Equal(vigiltest.Instant(t, "2026-03-04T01:14:00Z")) {
		t.Errorf("acknowledged %v: alice's, before the reassignment", f.AcknowledgedAt)
	}
	if f.MitigatedAt == nil || !f.MitigatedAt.Equal(vigiltest.Instant(t, "2026-03-04T01:58:00Z")) {
		t.Errorf("mitigated %v: when the last alert resolved", f.MitigatedAt)
	}
	if !reflect.DeepEqual(f.Teams, []string{"storefront", "payments", "data"}) {
		t.Errorf("teams %q", f.Teams)
	}
	if f.Pages != 5 || len(f.People) != 4 || f.PeopleWoken != 2 {
		t.Errorf("pages %d, people %d, woken %d; want 5, 4, 2", f.Pages, len(f.People), f.PeopleWoken)
	}
	var buckets []string
	for _, p := range f.People {
		buckets = append(buckets, p.User+":"+string(p.Hours))
	}
	if want := []string{"alice:sleep", "bob:off", "carol:business", "dan:sleep"}; !reflect.DeepEqual(buckets, want) {
		t.Errorf("people %q, want %q", buckets, want)
	}
	if f.People[0].Pages != 2 || !f.People[0].FirstPagedAt.Equal(vigiltest.Instant(t, "2026-03-04T01:10:30Z")) {
		t.Errorf("alice: %+v", f.People[0])
	}
	if len(f.Suspects) != 2 || f.Suspects[0].Service != "ledger-db" || len(f.Suspects[0].Changes) != 1 || f.Suspects[0].Changes[0].Summary != "deploy ledger v2.3" ||
		len(f.Suspects[1].Changes) != 0 {
		t.Errorf("suspects %+v", f.Suspects)
	}
	var kinds []string
	for _, e := range f.Timeline {
		kinds = append(kinds, e.Kind)
	}
	want := []string{EventChange, "triggered", "escalated", "alert", "major", "acknowledged", "role", "note", "reassigned", "resolved"}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("timeline kinds %q, want %q (no notifications, the suspect's change first)", kinds, want)
	}
	for _, needle := range []string{
		"SEV2 major incident #12, Checkout failing, on checkout, payments-api and ledger-db (teams storefront, payments and data)",
		"5 pages sent to 4 people, 2 of them in their sleep hours.",
		"It consumed 34.5% of SLO checkout-availability's error budget.",
		"First suspect: ledger-db (deploy ledger v2.3 at 2026-03-04 01:00 UTC).",
	} {
		if !strings.Contains(pm.Summary, needle) {
			t.Errorf("summary lacks %q:\n%s", needle, pm.Summary)
		}
	}
	if !strings.Contains(pm.Timeline, `Rolling back \*ledger\* v2.3 now`) {
		t.Errorf("a note's markup is escaped and kept on one line:\n%s", pm.Timeline)
	}
	if pm.ContributingFactors != "" || pm.WentWell != "" || pm.WentWrong != "" {
		t.Error("what only people can say is left empty")
	}

	// Reviewed, published and followed up, it exports as Markdown.
	teams := teamZones{"data": vigiltest.Zone(t, "America/New_York"), "storefront": vigiltest.Zone(t, "Europe/Berlin")}
	steps := []Edit{
		{Factors: ptr("- The deploy had no canary.\n- Nothing alerted on ledger lag | replication."), WentWell: ptr("Correlation paged the data team at once."),
			ActionItems: &[]ItemChange{{Title: "Canary ledger deploys", OwnerTeam: "data", Due: "2026-03-20", URL: ptr("https://tracker.example.com/DATA-12")},
				{Title: "Alert on ledger lag", OwnerTeam: "storefront", Due: "2026-03-27"}}},
		{Status: ptr(StatusInReview)},
		{Status: ptr(StatusPublished)},
	}
	for i, e := range steps {
		if _, err := Apply(&pm, e, teams, "user:gina", now.Add(time.Duration(i+1)*time.Hour)); err != nil {
			t.Fatal(err)
		}
		for k := range pm.ActionItems {
			if pm.ActionItems[k].ID == 0 {
				pm.ActionItems[k].ID = int64(k + 1) // as the store numbers them
			}
		}
	}
	vigiltest.Golden(t, "cascade", []byte(Markdown(pm, teams)))
}

func TestDraftOfADeclaredIncident(t *testing.T) {
	created := vigiltest.Instant(t, "2026-03-04T10:00:00Z")
	rec := Record{Incident: incident.Incident{ID: 3, Title: "Slow search", Severity: incident.SEV3, Status: incident.StatusTriggered,
		Service: "search", Services: []string{"search"}, CreatedAt: created}, Hours: hours.Default}
	pm := Draft(rec, DefaultPolicy, "search-team", calendar(t, "Europe/Berlin", "DE"), "user:bob", created.Add(time.Hour))
	if pm.Required || len(pm.RequiredBecause) != 0 || pm.Due != nil {
		t.Errorf("a SEV3 needs no post-mortem: %v %q %v", pm.Required, pm.RequiredBecause, pm.Due)
	}
	f := pm.Facts
	if !f.StartedAt.Equal(created) || f.AcknowledgedAt != nil || f.MitigatedAt != nil || f.ResolvedAt != nil || f.Pages != 0 ||
		f.People == nil || f.Suspects == nil || f.Timeline == nil || f.Budgets == nil {
		t.Errorf("facts of an incident with no alerts, pages or timeline: %+v", f)
	}
	for _, needle := range []string{"still open when this was drafted", "- Acknowledged: never", "- Resolved: not yet", "Nobody was paged.", "- no SLO on these services"} {
		if !strings.Contains(pm.Summary+pm.Impact, needle) {
			t.Errorf("draft lacks %q:\n%s\n%s", needle, pm.Summary, pm.Impact)
		}
	}
	if pm.Timeline != "Nothing was recorded.\n" || pm.Suspects != "No suspects were named.\n" {
		t.Errorf("timeline %q, suspects %q", pm.Timeline, pm.Suspects)
	}
	// Required later (SEV1 by policy) and resolved: the due time follows.
	resolved := created.Add(2 * time.Hour)
	pm.Required = true
	pm.FillDue(DefaultPolicy, &resolved, calendar(t, "Europe/Berlin", "DE"))
	if pm.Due == nil || !pm.Due.Equal(vigiltest.Instant(t, "2026-03-11T17:00:00Z")) {
		t.Errorf("due %v", pm.Due)
	}
}

func TestTimelineIsBounded(t *testing.T) {
	start := vigiltest.Instant(t, "2026-03-04T10:00:00Z")
	var tl []incident.TimelineEntry
	for i := range 3000 {
		tl = append(tl, incident.TimelineEntry{At: start.Add(time.Duration(i) * time.Second), Kind: incident.EntryAlert, Message: "repeat"})
	}
	events := eventsOf(tl, nil)
	if len(events) != MaxTimeline || events[MaxTimeline-1].Kind != "omitted" || events[MaxTimeline-1].Message != "… and 2001 more entries on the incident's timeline" {
		t.Errorf("%d events, last %+v", len(events), events[len(events)-1])
	}
}
