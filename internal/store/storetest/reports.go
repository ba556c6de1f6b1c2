package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// RunReports runs the reports' part of the suite (store.Reports): the
// history the reports read, kept as the pipeline writes. newStore is as for
// Run; cases run in parallel.
func RunReports(t *testing.T, newStore func(t *testing.T) store.Store) {
	suite{
		{"ReportPages", testReportPages},
		{"ReportIncidents", testReportIncidents},
		{"ReportShifts", testReportShifts},
		{"ReportAlerts", testReportAlerts},
		{"ReportRejected", testReportRejected},
	}.run(t, newStore)
}

// The reports' period in these cases: [at(0), at(1000)).
var reportFrom, reportTo = at(0), at(1000)

func pageNotification(key string, incidentID int64, user, kind string) *notify.Notification {
	n := notification(key, incidentID, kind, notify.StatusSent, 0)
	n.UserID = user
	return n
}

// An incident's first page to a person is one interruption: the earliest
// attempt of any of its page notifications to them, with the zone recorded
// with that attempt. Other kinds of notification never interrupt.
func testReportPages(t *testing.T, newStore func(t *testing.T) store.Store) {
	// Each attempt inserted in a transaction of its own; or all queued in
	// one, as a dispatcher records a batch, where the queue keeps the
	// earliest of an incident's pages to a person.
	for _, mode := range []string{"inserted", "queued"} {
		t.Run(mode, func(t *testing.T) { testReportPagesWritten(t, newStore, mode == "queued") })
	}
}

func testReportPagesWritten(t *testing.T, newStore func(t *testing.T) store.Store, queued bool) {
	s := newStore(t)
	ctx := context.Background()
	ns := []*notify.Notification{
		pageNotification("step1-alice", 1, "alice", notify.KindPage),
		pageNotification("low-bob", 1, "bob", notify.KindLowUrgency),
		pageNotification("step2-alice", 1, "alice", notify.KindPage),
		pageNotification("kenji", 2, "kenji", notify.KindPage),
		pageNotification("test-zoe", 0, "zoë", notify.KindTest),
	}
	insertNotifications(t, s, ns...)
	attempt := func(n *notify.Notification, minute int, zone string) *notify.Attempt {
		return &notify.Attempt{NotificationID: n.ID, IncidentID: n.IncidentID, UserID: n.UserID, MethodType: "sms", ContactMethod: "sms",
			At: at(minute), TimeZone: zone, Outcome: "sent"}
	}
	attempts := []struct {
		a    *notify.Attempt
		kind string
	}{
		{attempt(ns[2], 5, "Europe/Berlin"), ns[2].Kind},
		{attempt(ns[0], 8, "Asia/Tokyo"), ns[0].Kind}, // later: the first stays
		{attempt(ns[0], 3, "Asia/Tokyo"), ns[0].Kind}, // earlier, written later: it is the first now
		{attempt(ns[1], 1, "UTC"), ns[1].Kind},        // low urgency
		{attempt(ns[3], -50, "Asia/Tokyo"), ns[3].Kind},
		{attempt(ns[4], 2, "UTC"), ns[4].Kind}, // a test notification
	}
	if queued {
		update(t, s, func(tx store.Tx) error {
			for _, w := range attempts {
				if err := tx.QueueAttempt(w.a, w.kind); err != nil {
					return err
				}
			}
			return nil
		})
	} else {
		for _, w := range attempts {
			update(t, s, func(tx store.Tx) error { return tx.InsertAttempt(w.a) })
		}
	}
	pages, err := s.ReportPages(ctx, reportFrom, reportTo)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "pages", pages, []report.Page{{Incident: 1, User: "alice", At: at(3), TimeZone: "Asia/Tokyo"}})
	pages, err = s.ReportPages(ctx, at(-100), reportTo)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "pages from earlier", pages, []report.Page{
		{Incident: 2, User: "kenji", At: at(-50), TimeZone: "Asia/Tokyo"},
		{Incident: 1, User: "alice", At: at(3), TimeZone: "Asia/Tokyo"},
	})
	got, err := s.ListAttempts(ctx, ns[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].At.Equal(at(8)) || !got[1].At.Equal(at(3)) || got[0].TimeZone != "Asia/Tokyo" {
		t.Errorf("attempts of %s = %+v, want those at minutes 8 and 3, in the order written", ns[0].IdempotencyKey, got)
	}
	// Bad text is refused when queued.
	err = s.Update(ctx, func(tx store.Tx) error {
		return tx.QueueAttempt(&notify.Attempt{NotificationID: ns[0].ID, At: t0, Outcome: "failed", Error: "\x00"}, notify.KindPage)
	})
	if err == nil {
		t.Error("QueueAttempt accepted a NUL byte in an error")
	}
}

// Incidents with their history: the first acknowledgement stays through a
// reassignment; Active adds those opened before the period and still open
// in it; the role history comes from acknowledgements and role entries.
func testReportIncidents(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	a := newIncident("checkout down", "checkout", at(0))
	a.Services = []string{"checkout", "ledger"}
	open := newIncident("search slow", "search", at(-600))
	old := newIncident("old", "search", at(-700))
	inside := newIncident("resolved in the period", "search", at(-100))
	inside.Urgency, inside.Severity = incident.UrgencyLow, incident.SEV4
	insertAll(t, s, store.Tx.InsertIncident, a, open, old, inside)
	update(t, s, func(tx store.Tx) error {
		var entries []*incident.TimelineEntry
		add := func(e *incident.TimelineEntry, err error) error {
			if err == nil && e != nil {
				entries = append(entries, e)
			}
			return err
		}
		if err := add(incident.Acknowledge(a, "user:alice", "api", at(10))); err != nil {
			return err
		}
		if err := add(incident.AssignRole(a, incident.RoleCommander, "gina", "user:gina", "api", at(15))); err != nil {
			return err
		}
		entries = append(entries,
			&incident.TimelineEntry{IncidentID: a.ID, At: at(16), Kind: incident.EntryRole, Actor: "user:gina", Message: "scribe: carl"},
			&incident.TimelineEntry{IncidentID: a.ID, At: at(17), Kind: incident.EntryAcknowledged, Actor: "integration:am", Message: "by its source"},
			&incident.TimelineEntry{IncidentID: a.ID, At: at(18), Kind: incident.EntryNote, Actor: "user:gina", Message: "looking"})
		// Raised to SEV1 and settled on SEV2: the record has the severity
		// it has now, not the highest it reached.
		entries = append(entries, incident.RaiseSeverity(a, incident.SEV1, "a worse alert joined", at(12)),
			incident.SetSeverity(a, incident.SEV2, "user:gina", "api", "", at(40)))
		a.Major = true
		if err := add(incident.Reassign(a, "user bob", "user:alice", "api", at(20))); err != nil {
			return err
		}
		if err := add(incident.Acknowledge(a, "user:bob", "api", at(25))); err != nil {
			return err
		}
		if err := add(incident.Resolve(a, "user:bob", "api", "fixed", at(60))); err != nil {
			return err
		}
		a.Escalated, a.Notes, a.CustomerImpact = true, 2, true
		if err := tx.UpdateIncident(a); err != nil {
			return err
		}
		for _, i := range []*incident.Incident{old, inside} {
			if _, err := incident.Resolve(i, "integration:am", "", "", map[*incident.Incident]time.Time{old: at(-650), inside: at(30)}[i]); err != nil {
				return err
			}
			if err := tx.UpdateIncident(i); err != nil {
				return err
			}
		}
		return tx.AppendTimeline(entries...)
	})
	wantA := report.Incident{ID: a.ID, Title: "checkout down", Service: "checkout", Services: []string{"checkout", "ledger"},
		Severity: "SEV2", Urgency: "high", Major: true, CreatedAt: at(0), AcknowledgedAt: ptr(at(10)), AcknowledgedBy: "user:alice", ResolvedAt: ptr(at(60)), ResolvedBy: "user:bob",
		Escalated: true, Notes: 2, CustomerImpact: true}
	got, err := s.ReportIncidents(ctx, store.ReportIncidentQuery{From: reportFrom, To: reportTo})
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "incidents opened in the period", got, []report.Incident{wantA})

	got, err = s.ReportIncidents(ctx, store.ReportIncidentQuery{From: reportFrom, To: reportTo, Active: true, Engagements: true})
	if err != nil {
		t.Fatal(err)
	}
	wantA.Engagements = []report.Engagement{
		{At: at(10), User: "alice", Role: report.RoleResponder},
		{At: at(15), User: "gina", Role: "commander"},
		{At: at(16), User: "carl", Role: "scribe"},
		{At: at(25), User: "bob", Role: report.RoleResponder},
	}
	wantOpen := report.Incident{ID: open.ID, Title: "search slow", Service: "search", Services: []string{"search"},
		Severity: "SEV3", Urgency: "high", CreatedAt: at(-600)}
	wantInside := report.Incident{ID: inside.ID, Title: "resolved in the period", Service: "search", Services: []string{"search"},
		Severity: "SEV4", Urgency: "low", CreatedAt: at(-100), ResolvedAt: ptr(at(30)), ResolvedBy: "integration:am"}
	assertSame(t, "incidents active in the period", got, []report.Incident{wantA, wantOpen, wantInside})
}

func testReportShifts(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	shift := func(user string, start, end int) *store.ServedShift {
		return &store.ServedShift{Schedule: "primary", User: user, Layer: "weekly", Start: at(start), End: at(end), TimeZone: "Europe/Berlin"}
	}
	update(t, s, func(tx store.Tx) error {
		return tx.InsertServedShifts(shift("ann", -100, 50), shift("bea", 1000, 1100), shift("cem", 500, 600), shift("dan", -200, -100))
	})
	got, err := s.ReportShifts(context.Background(), reportFrom, reportTo)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "shifts", got, []report.Shift{
		{Schedule: "primary", User: "ann", Start: at(-100), End: at(50)},
		{Schedule: "primary", User: "cem", Start: at(500), End: at(600)},
	})
}

// Repeats count a period's alerts and their triggers per service and key;
// SLO alerts are the engine's, open in the period.
func testReportAlerts(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	mk := func(key, dedup string, created, count int, resolved *int) *alert.Alert {
		a := newAlert(key, dedup, dedup)
		a.Service, a.Count, a.CreatedAt, a.UpdatedAt, a.LastEventAt = "search", count, at(created), at(created), at(created)
		if resolved != nil {
			a.Status, a.ResolvedAt = alert.StatusResolved, ptr(at(*resolved))
		}
		return a
	}
	insertAll(t, s, store.Tx.InsertAlert,
		mk("am-search", "disk", 1, 5, ptr(2)),
		mk("am-search", "disk", 100, 1, nil),
		mk("am-search", "once", 3, 1, nil),
		mk("am-search", "disk-old", -10, 3, ptr(-5)),
		mk("slo:search-latency", "burn", 2, 1, ptr(40)),
		mk("slo:search-latency", "burn", -500, 1, ptr(-400)),
		mk("slo:search-errors", "errors-burn", 900, 1, nil))
	// A trigger repeated on an open alert counts as it is written.
	update(t, s, func(tx store.Tx) error {
		a, err := tx.OpenAlert("am-search", "once")
		if err != nil {
			return err
		}
		a.Count = 4
		return tx.UpdateAlert(&a)
	})
	keys, err := s.ReportRepeats(ctx, reportFrom, reportTo)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "repeats", keys, []report.RepeatKey{
		{Service: "search", DedupKey: "disk", Alerts: 2, Triggers: 6},
		{Service: "search", DedupKey: "once", Alerts: 1, Triggers: 4},
	})
	spans, err := s.ReportSLOAlerts(ctx, reportFrom, reportTo)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "SLO alerts", spans, []report.AlertSpan{
		{SLO: "search-latency", Service: "search", Start: at(2), End: ptr(at(40))},
		{SLO: "search-errors", Service: "search", Start: at(900)},
	})
}

// A period that is empty or backwards is an error, on every query.
func testReportRejected(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	for _, p := range [][2]time.Time{{reportTo, reportFrom}, {reportFrom, reportFrom}, {{}, reportTo}} {
		from, to := p[0], p[1]
		_, e1 := s.ReportPages(ctx, from, to)
		_, e2 := s.ReportIncidents(ctx, store.ReportIncidentQuery{From: from, To: to})
		_, e3 := s.ReportShifts(ctx, from, to)
		_, e4 := s.ReportRepeats(ctx, from, to)
		_, e5 := s.ReportSLOAlerts(ctx, from, to)
		for i, err := range []error{e1, e2, e3, e4, e5} {
			if err == nil {
				t.Errorf("query %d accepted %v to %v", i+1, from, to)
			}
		}
	}
}

// testReportsBackfill: a database at version 7 with history upgrades with
// that history in the reports' rollups: pages from the attempts, the
// incidents' acknowledgements, resolutions, severities, urgencies,
// major declarations, notes and escalations from their bodies and timelines, alerts' triggers from their bodies.
func testReportsBackfill(t *testing.T, s MigrationStore, migrations []sqlbackend.Migration) {
	ctx := context.Background()
	if err := s.MigrateWith(ctx, migrations[:7]); err != nil {
		t.Fatal(err)
	}
	body := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	inc := incident.Incident{ID: 1, Title: "checkout down", Status: incident.StatusResolved, Severity: incident.SEV1, Urgency: incident.UrgencyHigh, Major: true,
		Service: "checkout", CreatedAt: at(0), UpdatedAt: at(60),
		AcknowledgedAt: ptr(at(10).Add(123456 * time.Microsecond)), AcknowledgedBy: "user:alice", ResolvedAt: ptr(at(60)), ResolvedBy: "user:bob"}
	quiet := incident.Incident{ID: 2, Title: "quiet", Status: incident.StatusTriggered, Severity: incident.SEV3, Urgency: incident.UrgencyLow,
		Service: "search", CreatedAt: at(5), UpdatedAt: at(5)}
	n := notify.Notification{IncidentID: 1, Kind: notify.KindPage, UserID: "alice", IdempotencyKey: "k1", Status: notify.StatusSent, DueAt: at(1), CreatedAt: at(1)}
	a := alert.Alert{Service: "checkout", IntegrationKey: "am", DedupKey: "disk", Status: alert.StatusResolved, Count: 7, IncidentID: 1,
		CreatedAt: at(0), UpdatedAt: at(0), LastEventAt: at(0)}
	for _, stmt := range []sqlbackend.Stmt{
		{SQL: `INSERT INTO incidents (status, service, group_key, created_at, updated_at, body) VALUES ('resolved', 'checkout', '', $1, $2, $3)`,
			Args: []any{at(0), at(60), body(inc)}},
		{SQL: `INSERT INTO incidents (status, service, group_key, created_at, updated_at, body) VALUES ('triggered', 'search', '', $1, $1, $2)`,
			Args: []any{at(5), body(quiet)}},
		{SQL: `INSERT INTO incident_services (incident_id, service) VALUES (1, 'checkout'), (2, 'search')`},
		{SQL: `INSERT INTO timeline (incident_id, at, kind, actor, channel, message) VALUES
			(1, $1, 'escalated', 'system', '', 'escalation policy p step 1: paged alice (on call)'),
			(1, $2, 'escalated', 'system', '', 'escalation policy p step 2: paged bob (on call)'),
			(1, $3, 'note', 'user:bob', 'api', 'rolled back'),
			(1, $3, 'note', 'user:carl', 'api', 'carl subscribed to status updates'),
			(2, $1, 'escalated', 'system', '', 'escalation policy p step 1 (repeat 1): paged alice (on call)')`,
			Args: []any{at(1), at(11), at(20)}},
		{SQL: `INSERT INTO notifications (incident_id, user_id, kind, status, due_at, idempotency_key, body) VALUES (1, 'alice', 'page', 'sent', $1, 'k1', $2)`,
			Args: []any{at(1), body(n)}},
		{SQL: `INSERT INTO notification_attempts (notification_id, incident_id, user_id, method_type, contact_method, at, time_zone, outcome, error)
			VALUES (1, 1, 'alice', 'sms', 'sms', $1, 'Asia/Tokyo', 'sent', ''), (1, 1, 'alice', 'sms', 'sms', $2, 'Europe/Berlin', 'sent', '')`,
			Args: []any{at(2), at(1)}},
		{SQL: `INSERT INTO alerts (service, integration_key, dedup_key, status, incident_id, created_at, updated_at, last_event_at, body)
			VALUES ('checkout', 'am', 'disk', 'resolved', 1, $1, $1, $1, $2)`, Args: []any{at(0), body(a)}},
	} {
		if _, err := s.Conn().Exec(ctx, stmt.SQL, stmt.Args...); err != nil {
			t.Fatalf("fill version 7: %v", err)
		}
	}
	Migrated(t, s)
	pages, err := s.ReportPages(ctx, reportFrom, reportTo)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "pages", pages, []report.Page{{Incident: 1, User: "alice", At: at(1), TimeZone: "Europe/Berlin"}})
	incidents, err := s.ReportIncidents(ctx, store.ReportIncidentQuery{From: reportFrom, To: reportTo})
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "incidents", incidents, []report.Incident{
		{ID: 1, Title: "checkout down", Service: "checkout", Services: []string{"checkout"}, Severity: "SEV1", Urgency: "high", Major: true, CreatedAt: at(0),
			AcknowledgedAt: inc.AcknowledgedAt, AcknowledgedBy: "user:alice", ResolvedAt: ptr(at(60)), ResolvedBy: "user:bob", Escalated: true, Notes: 1},
		{ID: 2, Title: "quiet", Service: "search", Services: []string{"search"}, Severity: "SEV3", Urgency: "low", CreatedAt: at(5), Escalated: true},
	})
	keys, err := s.ReportRepeats(ctx, reportFrom, reportTo)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "repeats", keys, []report.RepeatKey{{Service: "checkout", DedupKey: "disk", Alerts: 1, Triggers: 7}})
}
