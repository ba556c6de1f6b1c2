package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/store"
)

// RunPipeline runs the alert pipeline's part of the suite (store.Pipeline
// and store.Tx). newStore is as for Run; cases run in parallel.
func RunPipeline(t *testing.T, newStore func(t *testing.T) store.Store) {
	suite{
		{"InboxOrderAndRemoval", testInboxOrderAndRemoval},
		{"InboxLargeBatch", testInboxLargeBatch},
		{"InboxLanes", testInboxLanes},
		{"InboxOversized", testInboxOversized},
		{"InboxRollback", testInboxRollback},
		{"InboxRejectedInput", testInboxRejectedInput},
		{"UpdateErrors", testUpdateErrors},
		{"UpdatePanic", testUpdatePanic},
		{"AlertRoundTrip", testAlertRoundTrip},
		{"OpenAlertKey", testOpenAlertKey},
		{"ListAlerts", testListAlerts},
		{"AlertsOfIncident", testAlertsOfIncident},
		{"QuietAlerts", testQuietAlerts},
		{"IncidentRoundTrip", testIncidentRoundTrip},
		{"ListIncidents", testListIncidents},
		{"IncidentServicesRewritten", testIncidentServicesRewritten},
		{"OpenIncidentByGroup", testOpenIncidentByGroup},
		{"OpenIncidentHeads", testOpenIncidentHeads},
		{"AlertingServices", testAlertingServices},
		{"Timeline", testTimeline},
		{"QueuedTimeline", testQueuedTimeline},
		{"QueuedNotifications", testQueuedNotifications},
		{"QueuedIncidentsAndAlerts", testQueuedIncidentsAndAlerts},
		{"Escalations", testEscalations},
		{"InsertNotifications", testInsertNotifications},
		{"ClaimNotifications", testClaimNotifications},
		{"RenewClaims", testRenewClaims},
		{"UpdateNotification", testUpdateNotification},
		{"CancelNotifications", testCancelNotifications},
		{"ListNotifications", testListNotifications},
		{"Attempts", testAttempts},
		{"Changes", testChanges},
		{"Heartbeats", testHeartbeats},
		{"Maintenance", testMaintenance},
		{"UseOnce", testUseOnce},
		{"Secret", testSecret},
		{"TxAudit", testTxAudit},
		{"RejectedText", testRejectedText},
		{"ListLimits", testListLimits},
		{"ConcurrentWork", testConcurrentWork},
		{"ServedUntil", testServedUntil},
		{"ServedShifts", testServedShifts},
		{"ServedRejected", testServedRejected},
		{"ServedConcurrentRecorders", testServedConcurrentRecorders},
		{"OperationRuns", testOperationRuns},
		{"OperationRunsRejected", testOperationRunsRejected},
	}.run(t, newStore)
}

var errRollback = errors.New("deliberate rollback")

// update runs fn in a transaction that must commit.
func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// assertSame compares two values by their JSON form, which shows every
// field and the zone of every time.
func assertSame(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: marshal got: %v", what, err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("%s: marshal want: %v", what, err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s =\n  %s\nwant\n  %s", what, g, w)
	}
}

// labels joins a label of each item with spaces, to compare lists.
func labels[T any](items []T, label func(T) string) string {
	out := make([]string, len(items))
	for i, item := range items {
		out[i] = label(item)
	}
	return strings.Join(out, " ")
}

func ptr[T any](v T) *T { return &v }

// pageCase is a case of a listing that pages by id, newest first.
type pageCase[Q any] struct {
	name   string
	query  Q
	before string // the item whose id is the cursor, if any
	want   string // the labels of the items listed
}

// testPages runs each case as a subtest: its query, with the id in ids of
// its before item set as the cursor by cursor, goes to list, named what,
// which returns the labels of the items listed.
func testPages[Q any](t *testing.T, what string, ids map[string]int64, cases []pageCase[Q], cursor func(q *Q, id int64), list func(t *testing.T, q Q) string) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := c.query
			if c.before != "" {
				cursor(&q, ids[c.before])
			}
			if l := list(t, q); l != c.want {
				t.Errorf("%s(%+v) = %q, want %q", what, q, l, c.want)
			}
		})
	}
}

// Inbox.

func inboxEvent(kind, key, payload string, receivedAt time.Time) store.InboxEvent {
	return store.InboxEvent{ReceivedAt: receivedAt, Kind: kind, IntegrationKey: key, Service: "checkout", Payload: []byte(payload)}
}

// insertAll writes items in one transaction with a Tx method such as
// store.Tx.InsertAlert.
func insertAll[T any](t *testing.T, s store.Store, insert func(store.Tx, *T) error, items ...*T) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, item := range items {
			if err := insert(tx, item); err != nil {
				return err
			}
		}
		return nil
	})
}

// readBack reads a stored value through the store and through a
// transaction, checks both are want and returns the first.
func readBack[T any](t *testing.T, s store.Store, id int64, want T, get func(context.Context, int64) (T, error), txGet func(store.Tx, int64) (T, error)) T {
	t.Helper()
	got, err := get(context.Background(), id)
	if err != nil {
		t.Fatalf("get %d: %v", id, err)
	}
	assertSame(t, "stored value", got, want)
	update(t, s, func(tx store.Tx) error {
		got, err := txGet(tx, id)
		if err != nil {
			return err
		}
		assertSame(t, "stored value in a transaction", got, want)
		return nil
	})
	return got
}

func appendInbox(t *testing.T, s store.Store, events []store.InboxEvent) {
	t.Helper()
	if err := s.AppendInbox(context.Background(), events); err != nil {
		t.Fatalf("AppendInbox: %v", err)
	}
}

func takeInbox(t *testing.T, s store.Store, limit int) []store.InboxEvent {
	t.Helper()
	var events []store.InboxEvent
	update(t, s, func(tx store.Tx) error {
		var err error
		events, err = tx.TakeInbox(limit)
		return err
	})
	return events
}

func backlog(t *testing.T, s store.Store) int {
	t.Helper()
	return get(t, "InboxBacklog", s.InboxBacklog)
}

func testInboxOrderAndRemoval(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	inParis := time.FixedZone("CET", 3600)
	first := []store.InboxEvent{
		inboxEvent(store.InboxAlert, "k1", `{"action":"trigger","dedup_key":"a"}`, t0),
		// Payloads come back byte for byte.
		inboxEvent(store.InboxChange, "k2", " {\"summary\": \"deploy ✓ 🚀\",\n \"z\": 1, \"a\": \"\\u0000\"} ", at(1)),
		inboxEvent(store.InboxHeartbeat, "k3", `{}`, time.Date(2025, 3, 14, 10, 30, 0, 999, inParis)),
	}
	second := []store.InboxEvent{
		inboxEvent(store.InboxAlert, "k1", `{"action":"resolve","dedup_key":"a"}`, at(2)),
		inboxEvent(store.InboxAlert, "", `null`, at(3)),
	}
	if err := s.AppendInbox(context.Background(), nil); err != nil {
		t.Fatalf("AppendInbox(nil): %v", err)
	}
	appendInbox(t, s, first)
	appendInbox(t, s, second)
	all := append(append([]store.InboxEvent{}, first...), second...)
	for i, e := range all {
		if e.ID <= 0 || (i > 0 && e.ID <= all[i-1].ID) {
			t.Fatalf("event %d has ID %d after %d: IDs must grow in the order appended", i, e.ID, all[max(i-1, 0)].ID)
		}
	}
	if n := backlog(t, s); n != 5 {
		t.Errorf("InboxBacklog = %d, want 5", n)
	}
	if got := takeInbox(t, s, 0); len(got) != 0 {
		t.Errorf("TakeInbox(0) returned %d events, want none", len(got))
	}

	want := all
	// Worked out by hand: 10:30 in UTC+1, the nanoseconds cut.
	want[2].ReceivedAt = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	got := takeInbox(t, s, 2)
	assertSame(t, "first take", got, want[:2])
	if len(got) == 2 && !bytes.Equal(got[1].Payload, want[1].Payload) {
		t.Errorf("payload = %q, want %q byte for byte", got[1].Payload, want[1].Payload)
	}
	if n := backlog(t, s); n != 3 {
		t.Errorf("InboxBacklog after taking 2 = %d, want 3", n)
	}
	got = takeInbox(t, s, 10)
	assertSame(t, "second take", got, want[2:])
	if len(got) == 3 {
		assertTime(t, "received_at", got[0].ReceivedAt, want[2].ReceivedAt)
	}
	if got := takeInbox(t, s, 10); len(got) != 0 {
		t.Errorf("TakeInbox on an empty inbox returned %d events", len(got))
	}
	if n := backlog(t, s); n != 0 {
		t.Errorf("InboxBacklog at the end = %d, want 0", n)
	}
}

// testInboxLanes: urgent events are taken ahead of earlier normal ones,
// the critical lane first, but never ahead of an earlier event about the
// same alert (same integration and dedup key).
func testInboxLanes(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ev := func(name, key, dedup string, lane int) store.InboxEvent {
		e := inboxEvent(store.InboxAlert, key, `{"name":"`+name+`"}`, t0)
		e.DedupKey, e.Lane = dedup, lane
		return e
	}
	appendInbox(t, s, []store.InboxEvent{
		ev("noise1", "k", "n1", alert.LaneNormal),
		ev("flap-trigger", "k", "flap", alert.LaneNormal),
		ev("noise2", "k", "n2", alert.LaneNormal),
		ev("urgent1", "k", "u1", alert.LaneUrgent),
		ev("flap-critical", "k", "flap", alert.LaneCritical), // behind flap-trigger
		ev("critical1", "k", "c1", alert.LaneCritical),
		ev("other-key", "k2", "flap", alert.LaneCritical), // another integration's alert
		ev("noise3", "k", "n3", alert.LaneNormal),
		ev("resolve-c1", "k", "c1", alert.LaneNormal),
		ev("urgent2", "k", "", alert.LaneUrgent), // about no alert: waits for nothing
	})
	names := func(events []store.InboxEvent) string {
		var out []string
		for _, e := range events {
			var p struct{ Name string }
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s/%d", p.Name, e.Lane))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		limit int
		want  string
	}{
		{2, "critical1/2 other-key/2"},
		{3, "urgent1/1 urgent2/1 noise1/0"},
		{3, "flap-trigger/0 noise2/0 flap-critical/2"},
		{10, "noise3/0 resolve-c1/0"},
		{10, ""},
	} {
		if got := names(takeInbox(t, s, c.limit)); got != c.want {
			t.Errorf("TakeInbox(%d) = %q, want %q", c.limit, got, c.want)
		}
	}
	if err := s.AppendInbox(context.Background(), []store.InboxEvent{ev("bad", "k", "x", alert.LaneCritical+1)}); err == nil {
		t.Error("AppendInbox accepted an unknown lane")
	}
}

// testInboxLargeBatch appends the largest batch group commit makes.
func testInboxLargeBatch(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	events := make([]store.InboxEvent, 2048)
	for i := range events {
		events[i] = inboxEvent(store.InboxAlert, "k", fmt.Sprintf(`{"n":%d}`, i), t0)
	}
	appendInbox(t, s, events)
	var taken []store.InboxEvent
	for range 3 {
		taken = append(taken, takeInbox(t, s, 1000)...)
	}
	if len(taken) != len(events) {
		t.Fatalf("took %d events, want %d", len(taken), len(events))
	}
	for i, e := range taken {
		if e.ID != events[i].ID || string(e.Payload) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("event %d taken = ID %d %s, want ID %d {\"n\":%d}", i, e.ID, e.Payload, events[i].ID, i)
		}
	}
}

// testInboxOversized appends a payload far above what ingest accepts.
func testInboxOversized(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	payload := []byte(`{"padding":"` + strings.Repeat("é🚨", 1<<20) + `"}`) // 6 MiB
	appendInbox(t, s, []store.InboxEvent{inboxEvent(store.InboxAlert, "k", string(payload), t0)})
	got := takeInbox(t, s, 1)
	if len(got) != 1 || !bytes.Equal(got[0].Payload, payload) {
		t.Errorf("a %d-byte payload did not come back byte for byte", len(payload))
	}
}

func testInboxRollback(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	events := []store.InboxEvent{
		inboxEvent(store.InboxAlert, "k", `{"n":1}`, t0),
		inboxEvent(store.InboxAlert, "k", `{"n":2}`, t0),
	}
	appendInbox(t, s, events)
	err := s.Update(context.Background(), func(tx store.Tx) error {
		taken, err := tx.TakeInbox(10)
		if err != nil {
			return err
		}
		if len(taken) != 2 {
			return fmt.Errorf("took %d events in the failing transaction, want 2", len(taken))
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v, want the error fn returned", err)
	}
	if n := backlog(t, s); n != 2 {
		t.Errorf("InboxBacklog after a rolled-back take = %d, want 2", n)
	}
	got := takeInbox(t, s, 10)
	if labels(got, func(e store.InboxEvent) string { return fmt.Sprint(e.ID) }) != fmt.Sprintf("%d %d", events[0].ID, events[1].ID) {
		t.Errorf("after the rollback took %+v, want the same two events", got)
	}
}

func testInboxRejectedInput(t *testing.T, newStore func(t *testing.T) store.Store) {
	good := inboxEvent(store.InboxAlert, "k", `{}`, t0)
	cases := []struct {
		name string
		bad  store.InboxEvent
	}{
		{"empty payload", inboxEvent(store.InboxAlert, "k", "", t0)},
		{"not JSON", inboxEvent(store.InboxAlert, "k", `{action: trigger}`, t0)},
		{"two documents", inboxEvent(store.InboxAlert, "k", `{} {}`, t0)},
		{"truncated", inboxEvent(store.InboxAlert, "k", `{"a":`, t0)},
		{"invalid UTF-8 in payload", inboxEvent(store.InboxAlert, "k", "{\"a\":\"\xff\"}", t0)},
		{"raw control character in payload", inboxEvent(store.InboxAlert, "k", "{\"a\":\"\x01\"}", t0)},
		{"empty kind", inboxEvent("", "k", `{}`, t0)},
		{"NUL in key", inboxEvent(store.InboxAlert, "k\x00", `{}`, t0)},
		{"invalid UTF-8 in service", store.InboxEvent{Kind: store.InboxAlert, Service: "\xc3", Payload: []byte(`{}`)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			if err := s.AppendInbox(context.Background(), []store.InboxEvent{good, c.bad}); err == nil {
				t.Fatal("AppendInbox accepted the batch")
			}
			if n := backlog(t, s); n != 0 {
				t.Errorf("InboxBacklog after a rejected batch = %d, want 0 (all or nothing)", n)
			}
		})
	}
}

// Update.

func testUpdateErrors(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.InsertIncident(newIncident("written then rolled back", "checkout", t0)); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Errorf("Update = %v, want fn's error itself", err)
	}
	if got := query(t, s.ListIncidents, store.IncidentQuery{}); len(got) != 0 {
		t.Errorf("a rolled-back incident was stored: %+v", got)
	}

	err = s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.GetIncident(404)
		return fmt.Errorf("acknowledge: %w", err)
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Update = %v, want ErrNotFound through fn's wrapping", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	called := false
	err = s.Update(cancelled, func(tx store.Tx) error {
		called = true
		return tx.InsertIncident(newIncident("cancelled", "checkout", t0))
	})
	if err == nil {
		t.Error("Update with a cancelled context succeeded")
	}
	if got := query(t, s.ListIncidents, store.IncidentQuery{}); len(got) != 0 {
		t.Errorf("an incident was stored under a cancelled context (fn called: %v)", called)
	}
}

func testUpdatePanic(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		_ = s.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.InsertIncident(newIncident("before the panic", "checkout", t0)); err != nil {
				return err
			}
			panic("fn panics")
		})
	}()
	// The transaction was rolled back and its connection freed.
	update(t, s, func(tx store.Tx) error { return tx.InsertIncident(newIncident("after", "checkout", t0)) })
	got := query(t, s.ListIncidents, store.IncidentQuery{})
	if titles := labels(got, incidentTitle); titles != "after" {
		t.Errorf("incidents = %q, want only %q", titles, "after")
	}
}

// Alerts.

func newAlert(key, dedupKey, summary string) *alert.Alert {
	return &alert.Alert{
		Service: "checkout", IntegrationKey: key, DedupKey: dedupKey, Summary: summary, Severity: alert.SeverityError,
		Status: alert.StatusTriggered, Count: 1, IncidentID: 1, CreatedAt: t0, UpdatedAt: t0, LastEventAt: t0,
	}
}

func alertSummary(a alert.Alert) string { return a.Summary }

func testAlertRoundTrip(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	inTokyo := time.FixedZone("JST", 9*3600)
	acked := time.Date(2025, 3, 14, 18, 30, 0, 123456789, inTokyo)
	in := &alert.Alert{
		Service: "checkout", IntegrationKey: "am-payments", DedupKey: "HighErrorRate/eu ✓",
		Summary: "Error rate 7% <on> checkout & \"payments\"", Source: "prometheus-eu", Severity: alert.SeverityCritical,
		Component: "api", Group: "web", Class: "errors",
		Details: json.RawMessage(`{"region": "eu-west-1", "pods": [1, 2], "nul": "\u0000"}`),
		Links:   []alert.Link{{Href: "https://grafana.example/d/1", Text: "Dashboard"}, {Href: "https://runbook.example"}},
		Images:  []alert.Image{{Src: "https://img.example/p.png", Href: "https://img.example", Alt: "graph"}},
		Client:  "Alertmanager", ClientURL: "https://am.example",
		Status: alert.StatusAcknowledged, Count: 3, IncidentID: 42,
		CreatedAt: t0, UpdatedAt: acked, LastEventAt: at(2), AcknowledgedAt: &acked,
	}
	insertAll(t, s, store.Tx.InsertAlert, in)
	if in.ID <= 0 {
		t.Fatalf("InsertAlert set ID %d", in.ID)
	}
	// Worked out by hand: 18:30 in UTC+9, cut to the microsecond.
	ackedUTC := time.Date(2025, 3, 14, 9, 30, 0, 123456000, time.UTC)
	want := *in
	want.UpdatedAt, want.AcknowledgedAt = ackedUTC, &ackedUTC
	// Details are kept as compact JSON.
	want.Details = json.RawMessage(`{"region":"eu-west-1","pods":[1,2],"nul":"\u0000"}`)

	got := readBack(t, s, in.ID, want, s.GetAlert, store.Tx.GetAlert)
	if string(got.Details) != string(want.Details) {
		t.Errorf("details = %s, want %s", got.Details, want.Details)
	}
	assertTime(t, "acknowledged_at", *got.AcknowledgedAt, ackedUTC)

	resolved := at(30)
	changed := got
	changed.Status, changed.ResolvedAt, changed.Count, changed.Summary = alert.StatusResolved, &resolved, 4, "recovered"
	changed.Details, changed.Links = nil, nil
	update(t, s, func(tx store.Tx) error { return tx.UpdateAlert(&changed) })
	readBack(t, s, in.ID, changed, s.GetAlert, store.Tx.GetAlert)

	if _, err := s.GetAlert(ctx, in.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetAlert(unknown) = %v, want ErrNotFound", err)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		ghost := *newAlert("k", "d", "ghost")
		ghost.ID = in.ID + 1
		return tx.UpdateAlert(&ghost)
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateAlert(unknown) = %v, want ErrNotFound", err)
	}
}

func openAlert(t *testing.T, s store.Store, key, dedupKey string) (alert.Alert, error) {
	t.Helper()
	var a alert.Alert
	var lookupErr error
	update(t, s, func(tx store.Tx) error {
		a, lookupErr = tx.OpenAlert(key, dedupKey)
		return nil
	})
	return a, lookupErr
}

// testOpenAlertKey walks one key through the life of its alerts: at most
// one is open at a time.
func testOpenAlertKey(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	first := newAlert("k1", "d1", "first")
	insertAll(t, s, store.Tx.InsertAlert, first, newAlert("k1", "d2", "other dedup key"), newAlert("k2", "d1", "other integration"))

	wantOpen := func(step, key, dedupKey, summary string) {
		t.Helper()
		// The batch read agrees with the lookup of one.
		var open []string
		update(t, s, func(tx store.Tx) (err error) {
			open, err = tx.OpenDedupKeys(key, []string{"never used", dedupKey})
			return err
		})
		if want := summary != ""; want != (len(open) == 1 && open[0] == dedupKey) || len(open) > 1 {
			t.Errorf("%s: OpenDedupKeys(%s, [never used, %s]) = %q, want %s open: %v", step, key, dedupKey, open, dedupKey, want)
		}
		got, err := openAlert(t, s, key, dedupKey)
		if summary == "" {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: OpenAlert(%s, %s) = %q, %v; want ErrNotFound", step, key, dedupKey, got.Summary, err)
			}
			return
		}
		if err != nil || got.Summary != summary {
			t.Errorf("%s: OpenAlert(%s, %s) = %q, %v; want %q", step, key, dedupKey, got.Summary, err, summary)
		}
	}
	wantConflict := func(step string, fn func(tx store.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", step, err)
		}
	}

	wantOpen("inserted", "k1", "d1", "first")
	wantOpen("inserted", "k1", "d2", "other dedup key")
	wantOpen("inserted", "k2", "d1", "other integration")
	wantOpen("inserted", "k1", "D1", "")
	wantOpen("inserted", "k3", "d1", "")

	wantConflict("second triggered alert with an open key", func(tx store.Tx) error { return tx.InsertAlert(newAlert("k1", "d1", "dup")) })
	acked := newAlert("k1", "d1", "dup")
	acked.Status = alert.StatusAcknowledged
	wantConflict("second acknowledged alert with an open key", func(tx store.Tx) error { return tx.InsertAlert(acked) })

	first.Status = alert.StatusAcknowledged
	update(t, s, func(tx store.Tx) error { return tx.UpdateAlert(first) })
	wantOpen("acknowledged", "k1", "d1", "first")

	first.Status = alert.StatusResolved
	update(t, s, func(tx store.Tx) error { return tx.UpdateAlert(first) })
	wantOpen("resolved", "k1", "d1", "")

	second := newAlert("k1", "d1", "second")
	insertAll(t, s, store.Tx.InsertAlert, second)
	wantOpen("new alert after the resolve", "k1", "d1", "second")

	first.Status = alert.StatusTriggered
	wantConflict("reopening the resolved alert", func(tx store.Tx) error { return tx.UpdateAlert(first) })
	resolvedToo := newAlert("k1", "d1", "resolved too")
	resolvedToo.Status = alert.StatusResolved
	insertAll(t, s, store.Tx.InsertAlert, resolvedToo) // any number of resolved alerts share a key
	wantOpen("another resolved alert", "k1", "d1", "second")

	all, err := s.ListAlerts(ctx, store.AlertQuery{DedupKey: "d1"})
	if err != nil {
		t.Fatalf("ListAlerts: %v", err)
	}
	if got := labels(all, alertSummary); got != "resolved too second other integration first" {
		t.Errorf("alerts with dedup key d1 = %q, nothing from the failed inserts", got)
	}
}

// alertFixture stores a1..a8, oldest first.
func alertFixture(t *testing.T, s store.Store) map[string]int64 {
	t.Helper()
	rows := []struct {
		summary, service, dedupKey string
		status                     alert.Status
		incidentID                 int64
	}{
		{"a1", "checkout", "cpu", alert.StatusTriggered, 1},
		{"a2", "payments", "cpu", alert.StatusResolved, 2},
		{"a3", "checkout", "disk", alert.StatusAcknowledged, 1},
		{"a4", "checkout", "mem", alert.StatusResolved, 3},
		{"a5", "payments", "disk", alert.StatusTriggered, 2},
		{"a6", "checkout", "cpu", alert.StatusResolved, 1},
		{"a7", "search", "cpu", alert.StatusTriggered, 4},
		{"a8", "checkout", "net", alert.StatusTriggered, 3},
	}
	ids := make(map[string]int64)
	for _, r := range rows {
		a := newAlert("key-"+r.service, r.dedupKey, r.summary)
		a.Service, a.Status, a.IncidentID = r.service, r.status, r.incidentID
		insertAll(t, s, store.Tx.InsertAlert, a)
		ids[r.summary] = a.ID
	}
	return ids
}

func testListAlerts(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ids := alertFixture(t, s)
	cases := []pageCase[store.AlertQuery]{
		{name: "all, newest first", want: "a8 a7 a6 a5 a4 a3 a2 a1"},
		{name: "service", query: store.AlertQuery{Service: "checkout"}, want: "a8 a6 a4 a3 a1"},
		{name: "one status", query: store.AlertQuery{Statuses: []alert.Status{alert.StatusResolved}}, want: "a6 a4 a2"},
		{name: "open statuses", query: store.AlertQuery{Statuses: []alert.Status{alert.StatusTriggered, alert.StatusAcknowledged}}, want: "a8 a7 a5 a3 a1"},
		{name: "dedup key", query: store.AlertQuery{DedupKey: "cpu"}, want: "a7 a6 a2 a1"},
		{name: "incident", query: store.AlertQuery{IncidentID: 1}, want: "a6 a3 a1"},
		{name: "every filter", query: store.AlertQuery{Service: "checkout", Statuses: []alert.Status{alert.StatusTriggered}, DedupKey: "cpu", IncidentID: 1}, want: "a1"},
		{name: "limit", query: store.AlertQuery{Limit: 3}, want: "a8 a7 a6"},
		{name: "next page", query: store.AlertQuery{Limit: 3}, before: "a6", want: "a5 a4 a3"},
		{name: "last page with a filter", query: store.AlertQuery{Service: "checkout", Limit: 3}, before: "a4", want: "a3 a1"},
		{name: "opened in the period", query: store.AlertQuery{From: t0, To: t0.Add(time.Second), Service: "search"}, want: "a7"},
		{name: "opened before the period", query: store.AlertQuery{From: t0.Add(time.Second)}, want: ""},
		{name: "opened after the period", query: store.AlertQuery{To: t0}, want: ""},
		{name: "unknown service", query: store.AlertQuery{Service: "nope"}, want: ""},
		{name: "unknown status", query: store.AlertQuery{Statuses: []alert.Status{"nope"}}, want: ""},
	}
	testPages(t, "ListAlerts", ids, cases, func(q *store.AlertQuery, id int64) { q.BeforeID = id },
		func(t *testing.T, q store.AlertQuery) string { return labels(query(t, s.ListAlerts, q), alertSummary) })
}

func testAlertsOfIncident(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	alertFixture(t, s)
	cases := []struct {
		incidentID int64
		want       string // oldest first, resolved ones included
	}{
		{1, "a1 a3 a6"},
		{3, "a4 a8"},
		{99, ""},
	}
	for _, c := range cases {
		update(t, s, func(tx store.Tx) error {
			got, err := tx.AlertsOfIncident(c.incidentID)
			if err != nil {
				return err
			}
			if l := labels(got, alertSummary); l != c.want {
				t.Errorf("AlertsOfIncident(%d) = %q, want %q", c.incidentID, l, c.want)
			}
			return nil
		})
	}
}

func testQuietAlerts(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	rows := []struct {
		summary, key string
		status       alert.Status
		lastEvent    int
	}{
		{"q1", "k1", alert.StatusTriggered, 0},
		{"q2", "k1", alert.StatusAcknowledged, 10},
		{"q3", "k1", alert.StatusResolved, 5},
		{"q4", "k1", alert.StatusTriggered, 20},
		{"q5", "k2", alert.StatusTriggered, 0},
		{"q6", "k1", alert.StatusTriggered, 3},
	}
	for _, r := range rows {
		a := newAlert(r.key, r.summary, r.summary)
		a.Status, a.LastEventAt = r.status, at(r.lastEvent)
		insertAll(t, s, store.Tx.InsertAlert, a)
	}
	cases := []struct {
		key    string
		cutoff int
		limit  int
		want   string // quiet the longest first
	}{
		{"k1", 15, 10, "q1 q6 q2"},
		{"k1", 10, 10, "q1 q6"}, // before the cutoff, not at it
		{"k1", 30, 10, "q1 q6 q2 q4"},
		{"k1", 15, 2, "q1 q6"},
		{"k1", 0, 10, ""},
		{"k2", 15, 10, "q5"},
		{"k3", 15, 10, ""},
		{"k1", 15, 0, ""},
	}
	for _, c := range cases {
		update(t, s, func(tx store.Tx) error {
			got, err := tx.QuietAlerts(c.key, at(c.cutoff), c.limit)
			if err != nil {
				return err
			}
			if l := labels(got, alertSummary); l != c.want {
				t.Errorf("QuietAlerts(%s, at(%d), %d) = %q, want %q", c.key, c.cutoff, c.limit, l, c.want)
			}
			return nil
		})
	}
}

// Incidents.

func newIncident(title, service string, created time.Time) *incident.Incident {
	return &incident.Incident{
		Title: title, Status: alert.StatusTriggered, Severity: incident.SEV3, Urgency: alert.UrgencyHigh,
		Service: service, Services: []string{service}, Suspects: []incident.Suspect{}, Responders: []incident.Responder{},
		AlertCount: 1, CreatedAt: created, UpdatedAt: created,
	}
}

func incidentTitle(i incident.Incident) string { return i.Title }

func testIncidentRoundTrip(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	inParis := time.FixedZone("CET", 3600)
	acked := time.Date(2025, 3, 14, 10, 40, 0, 987654321, inParis)
	snoozed := at(120)
	in := &incident.Incident{
		Title: "Checkout 5xx ✓ <b>&", Status: alert.StatusAcknowledged, Severity: incident.SEV2, Urgency: alert.UrgencyHigh,
		Major: true, Service: "checkout", Services: []string{"checkout", "payments"}, GroupKey: "HighErrorRate",
		Policy: "payments-oncall",
		Suspects: []incident.Suspect{
			{Service: "payments", Reasons: []string{"deployed 5 minutes before", "hard dependency"}, Changes: []int64{7, 9}},
			{Service: "db", Reasons: []string{"shared"}, Changes: []int64{}},
		},
		Responders: []incident.Responder{
			{User: "zoë", Reason: "on call for payments", AddedAt: acked},
			{Team: "sre", AddedAt: t0},
		},
		Roles:      map[incident.Role]string{incident.RoleCommander: "zoë", incident.RoleScribe: "bob"},
		AlertCount: 3, CreatedAt: t0, UpdatedAt: acked,
		AcknowledgedAt: &acked, AcknowledgedBy: "user:zoë", SnoozedUntil: &snoozed,
		Suppressed: "maintenance window 4 until 2025-03-14T12:00:00Z",
	}
	insertAll(t, s, store.Tx.InsertIncident, in)
	if in.ID <= 0 {
		t.Fatalf("InsertIncident set ID %d", in.ID)
	}
	// Worked out by hand: 10:40 in UTC+1, cut to the microsecond.
	ackedUTC := time.Date(2025, 3, 14, 9, 40, 0, 987654000, time.UTC)
	want := *in
	want.UpdatedAt, want.AcknowledgedAt = ackedUTC, &ackedUTC
	want.Responders = []incident.Responder{
		{User: "zoë", Reason: "on call for payments", AddedAt: ackedUTC},
		{Team: "sre", AddedAt: t0},
	}
	got := readBack(t, s, in.ID, want, s.GetIncident, store.Tx.GetIncident)
	assertTime(t, "responder added_at", got.Responders[0].AddedAt, ackedUTC)
	if in.Responders[0].AddedAt != acked {
		t.Errorf("InsertIncident changed the caller's responders")
	}

	resolved := at(200)
	changed := got
	changed.Status, changed.ResolvedAt, changed.ResolvedBy = alert.StatusResolved, &resolved, "user:bob"
	changed.SnoozedUntil, changed.Roles, changed.Major = nil, map[incident.Role]string{incident.RoleComms: "carol"}, false
	changed.Services = []string{"checkout", "payments", "search"}
	changed.Responders = append(changed.Responders, incident.Responder{User: "bob", AddedAt: at(150)})
	update(t, s, func(tx store.Tx) error { return tx.UpdateIncident(&changed) })
	readBack(t, s, in.ID, changed, s.GetIncident, store.Tx.GetIncident)

	if _, err := s.GetIncident(ctx, in.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetIncident(unknown) = %v, want ErrNotFound", err)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		ghost := newIncident("ghost", "checkout", t0)
		ghost.ID = in.ID + 1
		return tx.UpdateIncident(ghost)
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateIncident(unknown) = %v, want ErrNotFound", err)
	}
}

func testListIncidents(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	i1 := newIncident("i1", "a", at(0))
	i2 := newIncident("i2", "b", at(1))
	i2.Status, i2.Services = alert.StatusAcknowledged, []string{"b", "c"}
	i3 := newIncident("i3", "a", at(2))
	i3.Status, i3.Services = alert.StatusResolved, []string{"a", "b"}
	i4 := newIncident("i4", "c", at(3))
	i5 := newIncident("i5", "e", at(4))
	i5.Services = []string{"e", "e", "f"} // repeats are harmless
	insertAll(t, s, store.Tx.InsertIncident, i1, i2, i3, i4, i5)
	// Services change as alerts join or leave; the service filter follows.
	i4.Services = []string{"c", "d"}
	i2.Services = []string{"b"}
	update(t, s, func(tx store.Tx) error {
		if err := tx.UpdateIncident(i4); err != nil {
			return err
		}
		return tx.UpdateIncident(i2)
	})
	ids := map[string]int64{"i1": i1.ID, "i2": i2.ID, "i3": i3.ID, "i4": i4.ID, "i5": i5.ID}

	cases := []pageCase[store.IncidentQuery]{
		{name: "all, newest first", want: "i5 i4 i3 i2 i1"},
		{name: "service opened on", query: store.IncidentQuery{Service: "a"}, want: "i3 i1"},
		{name: "service in services", query: store.IncidentQuery{Service: "b"}, want: "i3 i2"},
		{name: "service removed from services", query: store.IncidentQuery{Service: "c"}, want: "i4"},
		{name: "service added to services", query: store.IncidentQuery{Service: "d"}, want: "i4"},
		{name: "service listed twice", query: store.IncidentQuery{Service: "e"}, want: "i5"},
		{name: "status", query: store.IncidentQuery{Statuses: []alert.Status{alert.StatusTriggered}}, want: "i5 i4 i1"},
		{name: "open", query: store.IncidentQuery{Statuses: []alert.Status{alert.StatusTriggered, alert.StatusAcknowledged}}, want: "i5 i4 i2 i1"},
		{name: "service and status", query: store.IncidentQuery{Service: "a", Statuses: []alert.Status{alert.StatusResolved}}, want: "i3"},
		{name: "limit", query: store.IncidentQuery{Limit: 2}, want: "i5 i4"},
		{name: "next page", query: store.IncidentQuery{Limit: 2}, before: "i4", want: "i3 i2"},
		{name: "page with a filter", query: store.IncidentQuery{Service: "b", Limit: 1}, before: "i3", want: "i2"},
		{name: "unknown service", query: store.IncidentQuery{Service: "nope"}, want: ""},
	}
	testPages(t, "ListIncidents", ids, cases, func(q *store.IncidentQuery, id int64) { q.BeforeID = id },
		func(t *testing.T, q store.IncidentQuery) string {
			return labels(query(t, s.ListIncidents, q), incidentTitle)
		})
}

// groupFixture stores incidents of service s grouped by g or h, and one of
// service other.
// testIncidentServicesRewritten writes an incident several times in one
// transaction, as the pipeline does: the service filter stays right, and
// what one transaction remembers of the services it wrote does not leak
// into the next.
func testIncidentServicesRewritten(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	onService := func(service string) string {
		t.Helper()
		return labels(query(t, s.ListIncidents, store.IncidentQuery{Service: service}), incidentTitle)
	}
	inc := newIncident("i", "web", at(0))
	update(t, s, func(tx store.Tx) error {
		if err := tx.InsertIncident(inc); err != nil {
			return err
		}
		inc.UpdatedAt = at(1)
		if err := tx.UpdateIncident(inc); err != nil { // the same services
			return err
		}
		inc.Services = []string{"web", "cache"}
		return tx.UpdateIncident(inc)
	})
	if got := onService("web"); got != "i" {
		t.Errorf("incidents on web = %q, want i", got)
	}
	if got := onService("cache"); got != "i" {
		t.Errorf("incidents on cache = %q, want i", got)
	}
	// A transaction that rolls back leaves the services as they were...
	if err := s.Update(context.Background(), func(tx store.Tx) error {
		inc.Services = []string{"web"}
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		return errRollback
	}); !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v, want the rollback", err)
	}
	if got := onService("cache"); got != "i" {
		t.Errorf("incidents on cache = %q after a rollback, want i", got)
	}
	// ... and the next one writes the same change again.
	update(t, s, func(tx store.Tx) error {
		inc.Services = []string{"web"}
		return tx.UpdateIncident(inc)
	})
	if got := onService("cache"); got != "" {
		t.Errorf("incidents on cache = %q after cache left the incident, want none", got)
	}
}

func groupFixture(t *testing.T, s store.Store) {
	t.Helper()
	rows := []struct {
		title, service, group string
		status                alert.Status
		created               int
	}{
		{"g1", "s", "g", alert.StatusTriggered, 0},
		{"g2", "s", "g", alert.StatusAcknowledged, 10},
		{"g3", "s", "g", alert.StatusResolved, 20},
		{"h1", "s", "h", alert.StatusTriggered, 30},
		{"o1", "other", "g", alert.StatusTriggered, 40},
		{"g0", "s", "g", alert.StatusTriggered, 5}, // stored last, created before g2
		{"n1", "s", "", alert.StatusTriggered, 15},
	}
	for _, r := range rows {
		i := newIncident(r.title, r.service, at(r.created))
		i.GroupKey, i.Status = r.group, r.status
		insertAll(t, s, store.Tx.InsertIncident, i)
	}
}

func testOpenIncidentByGroup(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	groupFixture(t, s)
	cases := []struct {
		service, group string
		since          int
		want           string // "" for ErrNotFound
	}{
		{"s", "g", -60, "g2"}, // the newest open one; g3 is resolved
		{"s", "g", 10, "g2"},  // created at since counts
		{"s", "g", 11, ""},
		{"s", "h", 0, "h1"},
		{"other", "g", 0, "o1"},
		{"s", "", 0, "n1"},
		{"s", "nope", -60, ""},
		{"nope", "g", -60, ""},
	}
	for _, c := range cases {
		update(t, s, func(tx store.Tx) error {
			got, err := tx.OpenIncidentByGroup(c.service, c.group, at(c.since))
			switch {
			case c.want == "" && !errors.Is(err, store.ErrNotFound):
				t.Errorf("OpenIncidentByGroup(%s, %s, at(%d)) = %q, %v; want ErrNotFound", c.service, c.group, c.since, got.Title, err)
			case c.want != "" && (err != nil || got.Title != c.want):
				t.Errorf("OpenIncidentByGroup(%s, %s, at(%d)) = %q, %v; want %q", c.service, c.group, c.since, got.Title, err, c.want)
			}
			return nil
		})
	}
}

func testOpenIncidentHeads(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	for _, r := range []struct {
		services []string
		urgency  alert.Urgency
		major    bool
		status   alert.Status
		created  int
	}{
		{[]string{"a"}, alert.UrgencyHigh, false, alert.StatusTriggered, 0},
		{[]string{"b", "z", "c"}, alert.UrgencyHigh, false, alert.StatusAcknowledged, 10}, // in the order they joined
		{[]string{"resolved"}, alert.UrgencyHigh, false, alert.StatusResolved, 20},
		{[]string{"low"}, alert.UrgencyLow, false, alert.StatusTriggered, 30},
		{[]string{"low-major"}, alert.UrgencyLow, true, alert.StatusTriggered, 35},
		{[]string{"n"}, alert.UrgencyHigh, false, alert.StatusTriggered, 40},
	} {
		i := newIncident(r.services[0], r.services[0], at(r.created))
		i.Services, i.Urgency, i.Major, i.Status = r.services, r.urgency, r.major, r.status
		insertAll(t, s, store.Tx.InsertIncident, i)
	}
	cases := []struct {
		since, limit int
		want         string // newest first by creation time
	}{
		{-60, 100, "n@40 low-major@35 b,z,c@10 a@0"},
		{10, 100, "n@40 low-major@35 b,z,c@10"},
		{41, 100, ""},
		{0, 2, "n@40 low-major@35"},
		{0, 0, ""},
	}
	for _, c := range cases {
		update(t, s, func(tx store.Tx) error {
			heads, err := tx.OpenIncidentHeads(at(c.since), c.limit)
			if err != nil {
				return err
			}
			var got []string
			for _, h := range heads {
				got = append(got, fmt.Sprintf("%s@%d", strings.Join(h.Services, ","), int(h.CreatedAt.Sub(at(0))/time.Minute)))
				if h.ID == 0 {
					t.Errorf("head of %v has no ID", h.Services)
				}
			}
			if l := strings.Join(got, " "); l != c.want {
				t.Errorf("OpenIncidentHeads(at(%d), %d) = %q, want %q", c.since, c.limit, l, c.want)
			}
			return nil
		})
	}
}

func testAlertingServices(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	for i, r := range []struct {
		service string
		created int
	}{{"b", 0}, {"a", 5}, {"b", 10}, {"c", 10}, {"a", 20}} {
		a := newAlert("k", fmt.Sprint("d", i), "x")
		a.Service, a.CreatedAt = r.service, at(r.created)
		if i == 4 {
			a.Status = alert.StatusResolved // resolved since: it alerted all the same
		}
		insertAll(t, s, store.Tx.InsertAlert, a)
	}
	for _, c := range []struct {
		since int
		want  string
	}{{-1, "a b c"}, {5, "a b c"}, {6, "a b c"}, {11, "a"}, {21, ""}} {
		update(t, s, func(tx store.Tx) error {
			got, err := tx.AlertingServices(at(c.since))
			if err != nil {
				return err
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("AlertingServices(at(%d)) = %q, want %q", c.since, got, c.want)
			}
			return nil
		})
	}
}

func testTimeline(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	entries := []*incident.TimelineEntry{
		{IncidentID: 1, At: at(5), Kind: incident.EntryTriggered, Actor: "system", Message: "opened"},
		{IncidentID: 1, At: at(1), Kind: incident.EntryAlert, Actor: "integration:am", Message: "alert 1 triggered",
			Data: json.RawMessage(` {"alert_id": 1} `)},
		{IncidentID: 2, At: at(0), Kind: incident.EntryNote, Actor: "user:bob", Channel: "cli", Message: "other incident"},
	}
	later := &incident.TimelineEntry{IncidentID: 1, At: at(5), Kind: incident.EntryAcknowledged, Actor: "user:zoë",
		Channel: "link", Message: "acknowledged ✓\nvia link"}
	update(t, s, func(tx store.Tx) error {
		if err := tx.AppendTimeline(entries...); err != nil {
			return err
		}
		return tx.AppendTimeline(later)
	})
	for i, e := range append(entries, later) {
		if e.ID <= 0 || (i > 0 && e.ID <= entries[i-1].ID) {
			t.Errorf("entry %d: ID %d, want IDs growing in the order appended", i, e.ID)
		}
	}
	got, err := s.Timeline(ctx, 1)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	// By time, then in the order appended.
	assertSame(t, "Timeline(1)", got, []incident.TimelineEntry{*entries[1], *entries[0], *later})
	if len(got) == 3 {
		if string(got[0].Data) != ` {"alert_id": 1} ` {
			t.Errorf("data = %q, want it byte for byte", got[0].Data)
		}
		if got[1].Data != nil {
			t.Errorf("data of an entry without = %q, want nil", got[1].Data)
		}
		assertTime(t, "at", got[0].At, at(1))
	}
	if got, err := s.Timeline(ctx, 3); err != nil || len(got) != 0 {
		t.Errorf("Timeline(unknown) = %+v, %v; want none", got, err)
	}
	many, err := s.Timelines(ctx, []int64{2, 3, 1})
	if err != nil {
		t.Fatalf("Timelines: %v", err)
	}
	if len(many) != 2 {
		t.Errorf("Timelines of 2, 3, 1 has %d incidents, want 2 (3 has no entries)", len(many))
	}
	assertSame(t, "Timelines[1]", many[1], []incident.TimelineEntry{*entries[1], *entries[0], *later})
	assertSame(t, "Timelines[2]", many[2], []incident.TimelineEntry{*entries[2]})
	if none, err := s.Timelines(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("Timelines(none) = %+v, %v; want none", none, err)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		return tx.AppendTimeline(&incident.TimelineEntry{IncidentID: 1, At: t0, Kind: incident.EntryNote, Data: json.RawMessage(`{`)})
	})
	if err == nil {
		t.Error("AppendTimeline accepted data that is not JSON")
	}
}

func testQueuedTimeline(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	queued := &incident.TimelineEntry{IncidentID: 1, At: at(2), Kind: incident.EntryTriggered, Actor: "system", Message: "queued first"}
	appended := &incident.TimelineEntry{IncidentID: 1, At: at(2), Kind: incident.EntryNote, Actor: "user:bob", Message: "appended after"}
	// 100 rows take statements of 64, 32 and 4.
	var many []*incident.TimelineEntry
	for i := range 100 {
		many = append(many, &incident.TimelineEntry{IncidentID: 2, At: at(3), Kind: incident.EntryAlert, Actor: "integration:am",
			Message: fmt.Sprint("alert ", i), Data: json.RawMessage(fmt.Sprintf(`{"alert_id": %d}`, i))})
	}
	update(t, s, func(tx store.Tx) error {
		if err := tx.QueueTimeline(queued); err != nil {
			return err
		}
		if err := tx.AppendTimeline(appended); err != nil {
			return err
		}
		return tx.QueueTimeline(many...)
	})
	if queued.ID != 0 || many[0].ID != 0 {
		t.Errorf("queued entries have IDs %d and %d, want them unset", queued.ID, many[0].ID)
	}
	got, err := s.Timeline(ctx, 1)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	// Same time: in the order queued and appended.
	if len(got) != 2 || got[0].Message != queued.Message || got[1].Message != appended.Message || got[0].ID >= got[1].ID {
		t.Errorf("Timeline(1) = %+v, want the queued entry, then the appended one", got)
	}
	got, err = s.Timeline(ctx, 2)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	if len(got) != len(many) {
		t.Fatalf("Timeline(2) has %d entries, want %d", len(got), len(many))
	}
	for i, e := range got {
		want := *many[i]
		want.ID = e.ID
		assertSame(t, fmt.Sprint("entry ", i), e, want)
	}
	// What a transaction that fails queued is not stored; a bad entry is
	// refused when queued.
	err = s.Update(ctx, func(tx store.Tx) error {
		if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: 3, At: t0, Kind: incident.EntryNote, Message: "rolled back"}); err != nil {
			return err
		}
		return errors.New("stop")
	})
	if err == nil {
		t.Error("Update returned nil for a failing fn")
	}
	if got, err := s.Timeline(ctx, 3); err != nil || len(got) != 0 {
		t.Errorf("Timeline(3) = %+v, %v; want nothing from a rolled-back transaction", got, err)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: 1, At: t0, Kind: incident.EntryNote, Data: json.RawMessage(`{`)})
	})
	if err == nil {
		t.Error("QueueTimeline accepted data that is not JSON")
	}
}

// testQueuedIncidentsAndAlerts: queued incidents and alerts have their
// IDs at once, IDs no row inserted before or after in the transaction
// takes; an incident updated while queued is stored as last updated, with
// its services; a read of the table sees what was queued; a key already
// open fails the commit and stores nothing of it.
func testQueuedIncidentsAndAlerts(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	onService := func(service string) string {
		t.Helper()
		return labels(query(t, s.ListIncidents, store.IncidentQuery{Service: service}), incidentTitle)
	}
	inserted, queued, after := newIncident("inserted", "web", at(0)), newIncident("queued", "web", at(1)), newIncident("after", "db", at(2))
	var alerts []*alert.Alert
	update(t, s, func(tx store.Tx) error {
		// Fewer than will come: the rest are taken as they come.
		tx.ExpectRows(1, 2)
		if err := tx.InsertIncident(inserted); err != nil {
			return err
		}
		if err := tx.QueueIncident(queued); err != nil {
			return err
		}
		if queued.ID == 0 || queued.ID == inserted.ID {
			return fmt.Errorf("queued incident has ID %d beside %d", queued.ID, inserted.ID)
		}
		// Updated while queued: acknowledged, on a second service.
		queued.Status = alert.StatusAcknowledged
		queued.Services = []string{"web", "cache"}
		queued.FirstAcknowledgedAt, queued.FirstAcknowledgedBy = ptr(at(3)), "user:ann"
		if err := tx.UpdateIncident(queued); err != nil {
			return err
		}
		queued.UpdatedAt = at(4)
		if err := tx.UpdateIncident(queued); err != nil {
			return err
		}
		for i := range 70 {
			a := newAlert("k", fmt.Sprint("d", i), fmt.Sprint("alert ", i))
			a.IncidentID = queued.ID
			if err := tx.QueueAlert(a); err != nil {
				return err
			}
			alerts = append(alerts, a)
		}
		// A read of the table sees the queued alerts.
		if open, err := tx.OpenAlert("k", "d69"); err != nil || open.ID != alerts[69].ID {
			return fmt.Errorf("OpenAlert of a queued alert = %d, %v; want %d", open.ID, err, alerts[69].ID)
		}
		inserted := newAlert("k", "inserted", "inserted")
		if err := tx.InsertAlert(inserted); err != nil {
			return err
		}
		last := newAlert("k", "last", "queued last")
		if err := tx.QueueAlert(last); err != nil {
			return err
		}
		alerts = append(alerts, inserted, last)
		return tx.InsertIncident(after)
	})
	seen := map[int64]bool{}
	for _, a := range alerts {
		if a.ID == 0 || seen[a.ID] {
			t.Fatalf("alert %q has ID %d, taken or unset", a.Summary, a.ID)
		}
		seen[a.ID] = true
		got, err := s.GetAlert(ctx, a.ID)
		if err != nil || got.Summary != a.Summary {
			t.Errorf("GetAlert(%d) = %q, %v; want %q", a.ID, got.Summary, err, a.Summary)
		}
	}
	if after.ID == queued.ID || after.ID == inserted.ID {
		t.Errorf("incident inserted after the queued one has ID %d, taken", after.ID)
	}
	got, err := s.GetIncident(ctx, queued.ID)
	if err != nil {
		t.Fatalf("GetIncident: %v", err)
	}
	if got.Status != alert.StatusAcknowledged || got.FirstAcknowledgedBy != "user:ann" || !got.UpdatedAt.Equal(at(4)) {
		t.Errorf("queued incident stored %s, first acknowledged by %q, updated %s; want acknowledged, by user:ann, at %s",
			got.Status, got.FirstAcknowledgedBy, got.UpdatedAt, at(4))
	}
	if got := onService("cache"); got != "queued" {
		t.Errorf("incidents on cache = %q, want queued", got)
	}
	if got := onService("web"); got != "inserted queued" && got != "queued inserted" {
		t.Errorf("incidents on web = %q, want inserted and queued", got)
	}

	// A key already open fails the commit, and nothing queued is stored.
	dup, other := newAlert("k", "d0", "duplicate"), newIncident("rolled back", "search", at(5))
	err = s.Update(ctx, func(tx store.Tx) error {
		if err := tx.QueueIncident(other); err != nil {
			return err
		}
		return tx.QueueAlert(dup)
	})
	if err == nil {
		t.Error("a queued alert with an open key committed")
	}
	if got := onService("search"); got != "" {
		t.Errorf("incidents on search = %q after a failed commit, want none", got)
	}
	// The next transaction's IDs do not collide with what was stored.
	next := newAlert("k", "next", "next")
	update(t, s, func(tx store.Tx) error { return tx.QueueAlert(next) })
	if seen[next.ID] {
		t.Errorf("alert queued next has ID %d, taken", next.ID)
	}
	// Counts out of range are taken as bounds, not trusted: none below
	// zero, not millions of ids.
	odd, oddAlert := newIncident("odd counts", "web", at(7)), newAlert("k", "odd", "odd counts")
	update(t, s, func(tx store.Tx) error {
		tx.ExpectRows(-3, 1<<40)
		if err := tx.QueueIncident(odd); err != nil {
			return err
		}
		oddAlert.IncidentID = odd.ID
		return tx.QueueAlert(oddAlert)
	})
	if got, err := s.GetAlert(ctx, oddAlert.ID); err != nil || got.IncidentID != odd.ID || seen[oddAlert.ID] {
		t.Errorf("alert queued after odd counts: %+v, %v; want it stored on incident %d under a new ID", got, err, odd.ID)
	}
	// Bad input is refused when queued.
	err = s.Update(ctx, func(tx store.Tx) error { return tx.QueueAlert(newAlert("k", "nul\x00", "x")) })
	if err == nil {
		t.Error("QueueAlert accepted a NUL byte in a dedup key")
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.QueueIncident(newIncident("nul", "web\x00", at(6))) })
	if err == nil {
		t.Error("QueueIncident accepted a NUL byte in a service")
	}
}

// Escalations.

func escalationState(incidentID int64, nextAt int, done bool) escalation.State {
	return escalation.State{
		IncidentID: incidentID, NextAt: at(nextAt), Done: done, StartedAt: t0, Step: 1, Round: 0,
		Policy: escalation.Policy{ID: "payments", Name: "Payments ✓", Repeat: 2, Steps: []escalation.Step{
			{Targets: []escalation.Target{{Schedule: "primary"}, {User: "zoë"}}, EscalateAfter: duration.Duration(5 * time.Minute)},
			{Targets: []escalation.Target{{Team: "sre"}}, EscalateAfter: duration.Duration(90 * time.Minute)},
		}},
	}
}

// createIncidents stores incidents 1..n in a new store, for the
// escalation states that need them.
func createIncidents(tx store.Tx, n int) error {
	for want := range int64(n) {
		i := newIncident(fmt.Sprintf("i%d", want+1), "checkout", t0)
		if err := tx.InsertIncident(i); err != nil {
			return err
		}
		if i.ID != want+1 {
			return fmt.Errorf("incident stored with ID %d in a new store, want %d", i.ID, want+1)
		}
	}
	return nil
}

func testEscalations(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	update(t, s, func(tx store.Tx) error {
		if err := createIncidents(tx, 5); err != nil {
			return err
		}
		for _, st := range []escalation.State{
			escalationState(99, 0, false), // of no incident: never due
			escalationState(1, 10, false),
			escalationState(2, 5, false),
			escalationState(3, 1, true),
			escalationState(4, 10, false),
			escalationState(5, 30, false),
		} {
			if err := tx.PutEscalation(st); err != nil {
				return err
			}
		}
		return nil
	})
	due := func(step string, now, limit int, want string) {
		t.Helper()
		update(t, s, func(tx store.Tx) error {
			got, err := tx.DueEscalations(at(now), limit)
			if err != nil {
				return err
			}
			if l := labels(got, func(st escalation.State) string { return fmt.Sprint(st.IncidentID) }); l != want {
				t.Errorf("%s: DueEscalations(at(%d), %d) = %q, want %q", step, now, limit, l, want)
			}
			return nil
		})
	}
	due("oldest first, then by incident; done excluded", 10, 10, "2 1 4")
	due("before most are due", 9, 10, "2")
	due("limit", 10, 2, "2 1")
	due("nothing due", 4, 10, "")
	due("zero limit", 10, 0, "")

	inParis := time.FixedZone("CET", 3600)
	replaced := escalationState(2, 0, true)
	replaced.NextAt = time.Time{}
	replaced.Step, replaced.Round = 0, 2
	replaced.StartedAt = time.Date(2025, 3, 14, 11, 0, 0, 1500, inParis)
	update(t, s, func(tx store.Tx) error { return tx.PutEscalation(replaced) })
	due("after incident 2 is done", 10, 10, "1 4")

	update(t, s, func(tx store.Tx) error {
		got, err := tx.GetEscalation(2)
		if err != nil {
			return err
		}
		want := replaced
		// Worked out by hand: 11:00 in UTC+1, cut to the microsecond.
		want.StartedAt = time.Date(2025, 3, 14, 10, 0, 0, 1000, time.UTC)
		want.NextAt = time.Time{}
		assertSame(t, "GetEscalation(2)", got, want)
		got, err = tx.GetEscalation(1)
		if err != nil {
			return err
		}
		assertSame(t, "GetEscalation(1)", got, escalationState(1, 10, false))
		if _, err := tx.GetEscalation(98); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetEscalation(unknown) = %v, want ErrNotFound", err)
		}
		return nil
	})
}

// Notifications.

func notification(key string, incidentID int64, kind, status string, due int) *notify.Notification {
	return &notify.Notification{
		IncidentID: incidentID, Kind: kind, UserID: "zoë", ContactMethod: "zoe-sms", MethodType: "sms",
		RuleIndex: 0, TimeZone: "Europe/Paris", IdempotencyKey: key, Status: status, DueAt: at(due), CreatedAt: t0,
	}
}

func notificationKey(n notify.Notification) string { return n.IdempotencyKey }

// testQueuedNotifications queues notifications with timeline entries: a
// taken key is skipped, and a claim in the same transaction sees them.
func testQueuedNotifications(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	insertNotifications(t, s, notification("taken", 1, notify.KindPage, notify.StatusPending, 60))
	again := notification("taken", 2, notify.KindUpdate, notify.StatusPending, 0)
	var claimed []notify.Notification
	update(t, s, func(tx store.Tx) error {
		var many []*notify.Notification
		for i := range 70 { // statements of 64, 4 and 2
			many = append(many, notification(fmt.Sprint("later-", i), 3, notify.KindPage, notify.StatusPending, 30))
		}
		if err := tx.QueueNotifications(append(many, again, notification("due", 4, notify.KindPage, notify.StatusPending, 0))...); err != nil {
			return err
		}
		if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: 4, At: t0, Kind: incident.EntryEscalated, Actor: "system", Message: "paged"}); err != nil {
			return err
		}
		var err error
		claimed, err = tx.ClaimNotifications(t0, time.Minute, 10)
		return err
	})
	if got := labels(claimed, notificationKey); got != "due" {
		t.Errorf("claimed in the transaction that queued them: %q, want due", got)
	}
	all, err := s.ListNotifications(ctx, store.NotificationQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 72 {
		t.Errorf("%d notifications stored, want 72 (one taken key skipped)", len(all))
	}
	for _, n := range all {
		if n.IdempotencyKey == "taken" && (n.IncidentID != 1 || n.Kind != notify.KindPage) {
			t.Errorf("the notification of the taken key became %+v, want it as first stored", n)
		}
		if n.ID == 0 || n.ContactMethod != "zoe-sms" || n.TimeZone != "Europe/Paris" {
			t.Errorf("queued notification stored as %+v", n)
		}
	}
	if tl, err := s.Timeline(ctx, 4); err != nil || len(tl) != 1 {
		t.Errorf("Timeline(4) = %+v, %v; want the entry queued beside the notifications", tl, err)
	}
}

func insertNotifications(t *testing.T, s store.Store, ns ...*notify.Notification) {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.InsertNotifications(ns...) })
}

func testInsertNotifications(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	claimed := at(3)
	full := notification("vigil-1-page-r0-s0-zoë-0", 1, notify.KindPage, notify.StatusSending, 2)
	full.RuleIndex, full.Step, full.Round, full.Attempts = -1, 2, 1, 3
	full.ClaimedUntil, full.LastError = &claimed, "provider said: 503 ✗"
	full.Body = json.RawMessage(`{"subject":"[SEV2] checkout","text":"Error rate 7%"}`)
	n2 := notification("k2", 1, notify.KindPage, notify.StatusPending, 0)
	dupInBatch := notification(full.IdempotencyKey, 2, notify.KindTest, notify.StatusPending, 0)
	insertNotifications(t, s, full, n2, dupInBatch)
	if full.ID <= 0 || n2.ID <= full.ID {
		t.Errorf("IDs = %d, %d; want positive and growing", full.ID, n2.ID)
	}
	if dupInBatch.ID != 0 {
		t.Errorf("a repeated idempotency key in one batch got ID %d, want 0", dupInBatch.ID)
	}

	// A skipped row is no error: the transaction goes on (on PostgreSQL an
	// error would end it).
	again := notification("k2", 9, notify.KindPage, notify.StatusPending, 0)
	n3 := notification("k3", 1, notify.KindUpdate, notify.StatusPending, 0)
	update(t, s, func(tx store.Tx) error {
		if err := tx.InsertNotifications(again); err != nil {
			return err
		}
		if again.ID != 0 {
			t.Errorf("a stored idempotency key got ID %d, want 0", again.ID)
		}
		return tx.InsertNotifications(n3)
	})
	if n3.ID <= n2.ID {
		t.Errorf("insert after a skipped row: ID %d, want above %d", n3.ID, n2.ID)
	}
	if got := labels(query(t, s.ListNotifications, store.NotificationQuery{}), notificationKey); got != "k3 k2 "+full.IdempotencyKey {
		t.Errorf("notifications = %q: the skipped rows must not be stored", got)
	}

	update(t, s, func(tx store.Tx) error {
		got, err := tx.GetNotification(full.ID)
		if err != nil {
			return err
		}
		assertSame(t, "GetNotification", got, *full)
		if _, err := tx.GetNotification(n3.ID + 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetNotification(unknown) = %v, want ErrNotFound", err)
		}
		return nil
	})

	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.InsertNotifications(notification("k4", 1, notify.KindPage, notify.StatusPending, 0),
			notification("", 1, notify.KindPage, notify.StatusPending, 0))
	})
	if err == nil {
		t.Error("InsertNotifications accepted an empty idempotency key")
	}
	if got := query(t, s.ListNotifications, store.NotificationQuery{}); len(got) != 3 {
		t.Errorf("%d notifications after a rejected batch, want 3", len(got))
	}
}

// claimFixture stores notifications in every state a claim looks at. The
// key names the case: p pending, s sending (lease ends at claimed_until),
// and when each is due.
func claimFixture(t *testing.T, s store.Store) {
	t.Helper()
	sending := func(key string, due, claimedUntil int) *notify.Notification {
		n := notification(key, 1, notify.KindPage, notify.StatusSending, due)
		n.ClaimedUntil = ptr(at(claimedUntil))
		return n
	}
	insertNotifications(t, s,
		notification("p-due5", 1, notify.KindPage, notify.StatusPending, 5),
		notification("p-due0", 1, notify.KindPage, notify.StatusPending, 0),
		notification("p-due20", 1, notify.KindPage, notify.StatusPending, 20),
		notification("p-due10", 2, notify.KindLowUrgency, notify.StatusPending, 10),
		sending("s-due1-until8", 1, 8),
		sending("s-due2-until15", 2, 15),
		sending("s-due3-until10", 3, 10),
		notification("sent-due0", 1, notify.KindPage, notify.StatusSent, 0),
		notification("failed-due0", 1, notify.KindPage, notify.StatusFailed, 0),
		notification("cancelled-due0", 1, notify.KindPage, notify.StatusCancelled, 0),
	)
}

func claim(t *testing.T, s store.Store, now int, lease time.Duration, limit int) []notify.Notification {
	t.Helper()
	var got []notify.Notification
	update(t, s, func(tx store.Tx) error {
		var err error
		got, err = tx.ClaimNotifications(at(now), lease, limit)
		return err
	})
	return got
}

func testClaimNotifications(t *testing.T, newStore func(t *testing.T) store.Store) {
	cases := []struct {
		name  string
		now   int
		limit int
		want  string // oldest due first
		rest  string // what a second claim at the same time gets
	}{
		// s-due3-until10: a lease ending now has not expired.
		{name: "due pending and expired leases", now: 10, limit: 100, want: "p-due0 s-due1-until8 p-due5 p-due10"},
		{name: "more leases expired", now: 16, limit: 100, want: "p-due0 s-due1-until8 s-due2-until15 s-due3-until10 p-due5 p-due10"},
		{name: "everything claimable", now: 21, limit: 100, want: "p-due0 s-due1-until8 s-due2-until15 s-due3-until10 p-due5 p-due10 p-due20"},
		{name: "limit", now: 10, limit: 2, want: "p-due0 s-due1-until8", rest: "p-due5 p-due10"},
		{name: "nothing due yet", now: -1, limit: 100, want: ""},
		{name: "zero limit", now: 10, limit: 0, want: "", rest: "p-due0 s-due1-until8 p-due5 p-due10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			claimFixture(t, s)
			got := claim(t, s, c.now, 2*time.Minute, c.limit)
			if l := labels(got, notificationKey); l != c.want {
				t.Fatalf("ClaimNotifications(at(%d), 2m, %d) = %q, want %q", c.now, c.limit, l, c.want)
			}
			until := at(c.now + 2)
			for _, n := range got {
				if n.Status != notify.StatusSending || n.ClaimedUntil == nil || !n.ClaimedUntil.Equal(until) {
					t.Errorf("claimed %s: status %s until %v, want sending until %v", n.IdempotencyKey, n.Status, n.ClaimedUntil, until)
				}
			}
			// The claim is stored: its rows are not claimed again while the
			// lease lasts, and read back as claimed.
			if again := labels(claim(t, s, c.now, 2*time.Minute, 100), notificationKey); again != c.rest {
				t.Errorf("a second claim at the same time got %q, want %q", again, c.rest)
			}
			for _, g := range got {
				listed := query(t, s.ListNotifications, store.NotificationQuery{BeforeID: g.ID + 1, Limit: 1})
				if len(listed) != 1 {
					t.Fatalf("notification %d not listed", g.ID)
				}
				assertSame(t, "claimed notification read back", listed[0], g)
			}
		})
	}
	t.Run("critical lane first", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		critical := func(key string, due int) *notify.Notification {
			n := notification(key, 1, notify.KindPage, notify.StatusPending, due)
			n.Lane = alert.LaneCritical
			return n
		}
		insertNotifications(t, s, notification("p-due0", 1, notify.KindPage, notify.StatusPending, 0),
			notification("p-due1", 1, notify.KindPage, notify.StatusPending, 1),
			critical("c-due5", 5), critical("c-due3", 3), critical("c-due20", 20))
		got := claim(t, s, 10, time.Minute, 3)
		if l := labels(got, notificationKey); l != "c-due3 c-due5 p-due0" {
			t.Errorf("claim = %q, want the due critical pages first, then the oldest due", l)
		}
		if len(got) > 0 && got[0].Lane != alert.LaneCritical {
			t.Errorf("lane read back = %d, want %d", got[0].Lane, alert.LaneCritical)
		}
		bad := notification("bad", 1, notify.KindPage, notify.StatusPending, 0)
		bad.Lane = -1
		update(t, s, func(tx store.Tx) error {
			if err := tx.InsertNotifications(bad); err == nil {
				t.Error("InsertNotifications accepted lane -1")
			}
			return nil
		})
	})
	t.Run("expired lease of a claim", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		insertNotifications(t, s, notification("n", 1, notify.KindPage, notify.StatusPending, 0))
		first := claim(t, s, 0, time.Minute, 10)
		if l := labels(first, notificationKey); l != "n" {
			t.Fatalf("first claim = %q, want n", l)
		}
		if l := labels(claim(t, s, 1, time.Minute, 10), notificationKey); l != "" {
			t.Errorf("claim when the lease ends = %q, want none", l)
		}
		again := claim(t, s, 2, time.Minute, 10)
		if l := labels(again, notificationKey); l != "n" {
			t.Fatalf("claim after the lease = %q, want n", l)
		}
		assertTime(t, "new lease", *again[0].ClaimedUntil, at(3))
	})
}

func testRenewClaims(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	claimFixture(t, s)
	ids := map[string]int64{}
	for _, n := range query(t, s.ListNotifications, store.NotificationQuery{}) {
		ids[n.IdempotencyKey] = n.ID
	}
	// At 10: s-due1-until8 has expired (another dispatcher may hold it by
	// now), s-due3-until10 ends now and still holds, s-due2-until15 holds;
	// a pending or sent notification has no claim to renew.
	var renewed int
	update(t, s, func(tx store.Tx) error {
		var err error
		renewed, err = tx.RenewClaims([]int64{ids["s-due1-until8"], ids["s-due2-until15"], ids["s-due3-until10"],
			ids["p-due0"], ids["sent-due0"], 1 << 40}, at(10), at(12))
		return err
	})
	if renewed != 2 {
		t.Errorf("RenewClaims renewed %d claims, want 2", renewed)
	}
	want := map[string]*time.Time{"s-due1-until8": ptr(at(8)), "s-due2-until15": ptr(at(12)), "s-due3-until10": ptr(at(12)), "p-due0": nil, "sent-due0": nil}
	for _, n := range query(t, s.ListNotifications, store.NotificationQuery{}) {
		w, ok := want[n.IdempotencyKey]
		if !ok {
			continue
		}
		if (w == nil) != (n.ClaimedUntil == nil) || (w != nil && !w.Equal(*n.ClaimedUntil)) {
			t.Errorf("%s: claimed until %v, want %v", n.IdempotencyKey, n.ClaimedUntil, w)
		}
		if n.Status != notificationStatusOf(n.IdempotencyKey) {
			t.Errorf("%s: status %s after a renewal, want it unchanged", n.IdempotencyKey, n.Status)
		}
	}
	update(t, s, func(tx store.Tx) error {
		n, err := tx.RenewClaims(nil, at(10), at(12))
		if n != 0 || err != nil {
			t.Errorf("RenewClaims of no notifications = %d, %v; want 0, nil", n, err)
		}
		return err
	})
	// A renewed claim is not taken by another dispatcher at the old end.
	if l := labels(claim(t, s, 11, time.Minute, 100), notificationKey); strings.Contains(l, "s-due3") || strings.Contains(l, "s-due2") {
		t.Errorf("a claim at 11 took a renewed claim: %q", l)
	}
}

// notificationStatusOf is the status claimFixture gives a key.
func notificationStatusOf(key string) string {
	switch {
	case strings.HasPrefix(key, "s-"):
		return notify.StatusSending
	case strings.HasPrefix(key, "p-"):
		return notify.StatusPending
	default:
		status, _, _ := strings.Cut(key, "-")
		return status
	}
}

func testUpdateNotification(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	n := notification("k", 1, notify.KindPage, notify.StatusPending, 0)
	insertNotifications(t, s, n)
	claimed := claim(t, s, 0, time.Minute, 10)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d, want 1", len(claimed))
	}
	sent := claimed[0]
	sentAt := at(1)
	sent.Status, sent.SentAt, sent.Attempts, sent.ClaimedUntil, sent.LastError = notify.StatusSent, &sentAt, 1, nil, ""
	update(t, s, func(tx store.Tx) error { return tx.UpdateNotification(&sent) })
	update(t, s, func(tx store.Tx) error {
		got, err := tx.GetNotification(n.ID)
		if err != nil {
			return err
		}
		assertSame(t, "after UpdateNotification", got, sent)
		return nil
	})
	if got := claim(t, s, 100, time.Minute, 10); len(got) != 0 {
		t.Errorf("a sent notification was claimed: %q", labels(got, notificationKey))
	}

	retry := sent
	retry.Status, retry.DueAt, retry.SentAt, retry.LastError = notify.StatusPending, at(50), nil, "timeout"
	update(t, s, func(tx store.Tx) error { return tx.UpdateNotification(&retry) })
	if got := claim(t, s, 49, time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed before the new due time: %q", labels(got, notificationKey))
	}
	if got := claim(t, s, 50, time.Minute, 10); len(got) != 1 || got[0].LastError != "timeout" {
		t.Errorf("claim at the new due time = %+v, want the retry", got)
	}

	other := notification("other", 1, notify.KindPage, notify.StatusPending, 0)
	insertNotifications(t, s, other)
	other.IdempotencyKey = "k"
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.UpdateNotification(other) }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdateNotification to a taken key = %v, want ErrConflict", err)
	}
	ghost := notification("ghost", 1, notify.KindPage, notify.StatusPending, 0)
	ghost.ID = other.ID + 1
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.UpdateNotification(ghost) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateNotification(unknown) = %v, want ErrNotFound", err)
	}
}

func testCancelNotifications(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	insertNotifications(t, s,
		notification("1-page", 1, notify.KindPage, notify.StatusPending, 0),
		notification("1-low", 1, notify.KindLowUrgency, notify.StatusPending, 0),
		notification("1-update", 1, notify.KindUpdate, notify.StatusPending, 0),
		notification("1-page-sending", 1, notify.KindPage, notify.StatusSending, 0),
		notification("1-page-sent", 1, notify.KindPage, notify.StatusSent, 0),
		notification("2-page", 2, notify.KindPage, notify.StatusPending, 0),
	)
	steps := []struct {
		kinds []string
		want  int
	}{
		{[]string{notify.KindPage}, 1},
		{[]string{notify.KindPage, notify.KindLowUrgency}, 1},
		{nil, 1}, // every kind: the status update is left
		{nil, 0},
	}
	for _, step := range steps {
		update(t, s, func(tx store.Tx) error {
			n, err := tx.CancelNotifications(1, step.kinds...)
			if err != nil {
				return err
			}
			if n != step.want {
				t.Errorf("CancelNotifications(1, %q) = %d, want %d", step.kinds, n, step.want)
			}
			return nil
		})
	}
	byStatus := func(status string) string {
		return labels(query(t, s.ListNotifications, store.NotificationQuery{Statuses: []string{status}}), notificationKey)
	}
	if got := byStatus(notify.StatusCancelled); got != "1-update 1-low 1-page" {
		t.Errorf("cancelled = %q", got)
	}
	if got := byStatus(notify.StatusPending); got != "2-page" {
		t.Errorf("still pending = %q, want the other incident's page", got)
	}
	if got := byStatus(notify.StatusSending); got != "1-page-sending" {
		t.Errorf("still sending = %q: a claimed notification is not cancelled", got)
	}
}

func testListNotifications(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	n1 := notification("n1", 1, notify.KindPage, notify.StatusSent, 0)
	n2 := notification("n2", 1, notify.KindPage, notify.StatusPending, 0)
	n2.UserID = "bob"
	n3 := notification("n3", 2, notify.KindPage, notify.StatusFailed, 0)
	n4 := notification("n4", 0, notify.KindTest, notify.StatusSent, 0)
	n4.UserID = "bob"
	n5 := notification("n5", 1, notify.KindUpdate, notify.StatusPending, 0)
	insertNotifications(t, s, n1, n2, n3, n4, n5)
	cases := []struct {
		query  store.NotificationQuery
		before int64
		want   string
	}{
		{store.NotificationQuery{}, 0, "n5 n4 n3 n2 n1"},
		{store.NotificationQuery{IncidentID: 1}, 0, "n5 n2 n1"},
		{store.NotificationQuery{UserID: "bob"}, 0, "n4 n2"},
		{store.NotificationQuery{Statuses: []string{notify.StatusSent, notify.StatusFailed}}, 0, "n4 n3 n1"},
		{store.NotificationQuery{IncidentID: 1, UserID: "zoë", Statuses: []string{notify.StatusPending}}, 0, "n5"},
		{store.NotificationQuery{Limit: 2}, 0, "n5 n4"},
		{store.NotificationQuery{Limit: 2}, n4.ID, "n3 n2"},
		{store.NotificationQuery{UserID: "nobody"}, 0, ""},
	}
	for _, c := range cases {
		q := c.query
		q.BeforeID = c.before
		if got := labels(query(t, s.ListNotifications, q), notificationKey); got != c.want {
			t.Errorf("ListNotifications(%+v) = %q, want %q", q, got, c.want)
		}
	}
}

func testAttempts(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	inNewYork := time.FixedZone("EST", -5*3600)
	attempts := []*notify.Attempt{
		{NotificationID: 1, IncidentID: 7, UserID: "zoë", MethodType: "sms", ContactMethod: "zoe-sms",
			At: time.Date(2025, 3, 14, 4, 0, 0, 999, inNewYork), TimeZone: "Europe/Paris", Outcome: "retry", Error: "HTTP 503 ✗"},
		{NotificationID: 2, UserID: "bob", MethodType: "email", ContactMethod: "bob-mail", At: at(1), TimeZone: "UTC", Outcome: "sent"},
		{NotificationID: 1, IncidentID: 7, UserID: "zoë", MethodType: "sms", ContactMethod: "zoe-sms", At: at(2),
			TimeZone: "Europe/Paris", Outcome: "sent"},
	}
	update(t, s, func(tx store.Tx) error {
		for _, a := range attempts {
			if err := tx.InsertAttempt(a); err != nil {
				return err
			}
		}
		return nil
	})
	for i, a := range attempts {
		if a.ID <= 0 || (i > 0 && a.ID <= attempts[i-1].ID) {
			t.Errorf("attempt %d: ID %d, want IDs growing", i, a.ID)
		}
	}
	got, err := s.ListAttempts(ctx, 1)
	if err != nil {
		t.Fatalf("ListAttempts: %v", err)
	}
	first := *attempts[0]
	// Worked out by hand: 04:00 in UTC-5, nanoseconds cut.
	first.At = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	assertSame(t, "ListAttempts(1), oldest first", got, []notify.Attempt{first, *attempts[2]})
	if got, err := s.ListAttempts(ctx, 3); err != nil || len(got) != 0 {
		t.Errorf("ListAttempts(unknown) = %+v, %v; want none", got, err)
	}
}

// Change events.

func testChanges(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	rows := []struct {
		summary, service string
		at               int
	}{
		{"c1", "a", 0}, {"c2", "b", 5}, {"c3", "a", 10}, {"c4", "c", 15}, {"c5", "a", 20},
	}
	changes := make([]*change.Event, len(rows))
	for i, r := range rows {
		changes[i] = &change.Event{Service: r.service, IntegrationKey: "ci", Summary: r.summary, Source: "github",
			At: at(r.at), ReceivedAt: at(r.at + 1)}
	}
	inParis := time.FixedZone("CET", 3600)
	changes[1].Details = json.RawMessage(`{"sha":"abc123","pr":42}`)
	changes[1].Links = []change.Link{{Href: "https://github.example/pr/42", Text: "PR ✓"}}
	changes[1].At = time.Date(2025, 3, 14, 10, 31, 53, 589793999, inParis) // at(5), with nanoseconds
	update(t, s, func(tx store.Tx) error {
		for _, c := range changes {
			if err := tx.InsertChange(c); err != nil {
				return err
			}
		}
		return nil
	})
	ids := make(map[string]int64)
	for _, c := range changes {
		ids[c.Summary] = c.ID
	}

	got, err := s.GetChange(ctx, ids["c2"])
	if err != nil {
		t.Fatalf("GetChange: %v", err)
	}
	want := *changes[1]
	want.At = at(5)
	assertSame(t, "GetChange", got, want)
	if _, err := s.GetChange(ctx, ids["c5"]+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetChange(unknown) = %v, want ErrNotFound", err)
	}

	cases := []pageCase[store.ChangeQuery]{
		{name: "all, newest first", want: "c5 c4 c3 c2 c1"},
		{name: "one service", query: store.ChangeQuery{Services: []string{"a"}}, want: "c5 c3 c1"},
		{name: "services", query: store.ChangeQuery{Services: []string{"a", "b"}}, want: "c5 c3 c2 c1"},
		{name: "since is inclusive", query: store.ChangeQuery{Since: at(5)}, want: "c5 c4 c3 c2"},
		{name: "until is exclusive", query: store.ChangeQuery{Until: at(10)}, want: "c2 c1"},
		{name: "window", query: store.ChangeQuery{Since: at(5), Until: at(15)}, want: "c3 c2"},
		{name: "services and window", query: store.ChangeQuery{Services: []string{"a"}, Since: at(1), Until: at(20)}, want: "c3"},
		{name: "page", query: store.ChangeQuery{Limit: 2}, before: "c4", want: "c3 c2"},
		{name: "unknown service", query: store.ChangeQuery{Services: []string{"z"}}, want: ""},
	}
	cursor := func(q *store.ChangeQuery, id int64) { q.BeforeID = id }
	testPages(t, "ListChanges", ids, cases, cursor, func(t *testing.T, q store.ChangeQuery) string {
		return labels(query(t, s.ListChanges, q), changeSummary)
	})
	t.Run("in a transaction", func(t *testing.T) {
		testPages(t, "Tx.ListChanges", ids, cases, cursor, func(t *testing.T, q store.ChangeQuery) (l string) {
			update(t, s, func(tx store.Tx) error {
				got, err := tx.ListChanges(q)
				l = labels(got, changeSummary)
				return err
			})
			return l
		})
	})

	// In a transaction, the changes it wrote count.
	rollback := errors.New("roll back")
	err = s.Update(ctx, func(tx store.Tx) error {
		if err := tx.InsertChange(&change.Event{Service: "a", IntegrationKey: "ci", Summary: "c6", At: at(25), ReceivedAt: at(25)}); err != nil {
			return err
		}
		got, err := tx.ListChanges(store.ChangeQuery{Services: []string{"a"}, Since: at(20)})
		if l := labels(got, changeSummary); err != nil || l != "c6 c5" {
			t.Errorf("Tx.ListChanges after InsertChange = %q, %v; want c6 c5", l, err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("Update = %v, want the rollback", err)
	}
}

func changeSummary(c change.Event) string { return c.Summary }

// Heartbeats.

func testHeartbeats(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	update(t, s, func(tx store.Tx) error {
		for _, h := range []store.Heartbeat{
			{Key: "h1", Service: "a", Interval: 5 * time.Minute, LastBeatAt: at(0)},                        // overdue after at(5)
			{Key: "h2", Service: "a", Interval: time.Minute, LastBeatAt: at(3)},                            // after at(4)
			{Key: "h3", Service: "b", Interval: time.Minute, LastBeatAt: at(0), Alerting: true},            // alerting already
			{Key: "h4", Service: "b", Interval: 30 * time.Second, LastBeatAt: at(4)},                       // after at(4) + 30s
			{Key: "h0", Service: "b", Interval: 90*time.Second + 1500*time.Microsecond, LastBeatAt: at(3)}, // 1.5ms: kept as 1ms
		} {
			if err := tx.PutHeartbeat(h); err != nil {
				return err
			}
		}
		return nil
	})
	overdue := func(step string, now time.Time, limit int, want string) {
		t.Helper()
		update(t, s, func(tx store.Tx) error {
			got, err := tx.OverdueHeartbeats(now, limit)
			if err != nil {
				return err
			}
			if l := labels(got, func(h store.Heartbeat) string { return h.Key }); l != want {
				t.Errorf("%s: OverdueHeartbeats(%v, %d) = %q, want %q", step, now, limit, l, want)
			}
			return nil
		})
	}
	// The interval is kept to the millisecond: h0 is due at at(4) + 30.001s.
	overdue("the most overdue first", at(5), 10, "h2 h4 h0")
	overdue("due at now is not overdue", at(4), 10, "")
	overdue("just after", at(4).Add(time.Microsecond), 10, "h2")
	overdue("limit", at(6), 2, "h2 h4")
	overdue("all but the alerting one", at(6), 10, "h2 h4 h0 h1")
	overdue("zero limit", at(6), 0, "")

	update(t, s, func(tx store.Tx) error {
		got, err := tx.GetHeartbeat("h0")
		if err != nil {
			return err
		}
		assertSame(t, "GetHeartbeat(h0)", got, store.Heartbeat{Key: "h0", Service: "b", Interval: 90*time.Second + time.Millisecond, LastBeatAt: at(3)})
		if _, err := tx.GetHeartbeat("nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetHeartbeat(unknown) = %v, want ErrNotFound", err)
		}
		// A beat moves the deadline; an alert stops the reports.
		if err := tx.PutHeartbeat(store.Heartbeat{Key: "h2", Service: "a", Interval: time.Minute, LastBeatAt: at(10)}); err != nil {
			return err
		}
		return tx.PutHeartbeat(store.Heartbeat{Key: "h4", Service: "b", Interval: 30 * time.Second, LastBeatAt: at(4), Alerting: true})
	})
	overdue("after a beat and an alert", at(6), 10, "h0 h1")
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutHeartbeat(store.Heartbeat{Service: "a"}) }); err == nil {
		t.Error("PutHeartbeat accepted an empty key")
	}
}

// Maintenance windows.

func testMaintenance(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	w1 := &store.MaintenanceWindow{Service: "a", Start: at(0), End: at(60), Reason: "DB upgrade ✓", CreatedBy: "user:zoë"}
	w2 := &store.MaintenanceWindow{Service: "a", Start: at(30), End: at(90)}
	w3 := &store.MaintenanceWindow{Service: "b", Start: at(0), End: at(60)}
	update(t, s, func(tx store.Tx) error {
		for _, w := range []*store.MaintenanceWindow{w1, w2, w3} {
			if err := tx.InsertMaintenance(w); err != nil {
				return err
			}
		}
		return nil
	})
	name := map[int64]string{w1.ID: "w1", w2.ID: "w2", w3.ID: "w3"}
	windowName := func(w store.MaintenanceWindow) string { return name[w.ID] }
	cases := []struct {
		service string
		at      int
		want    string
	}{
		{"a", -1, ""},
		{"a", 0, "w1"}, // from start
		{"a", 45, "w1 w2"},
		{"a", 60, "w2"}, // until end, not at it
		{"a", 90, ""},
		{"b", 10, "w3"},
		{"c", 10, ""},
	}
	for _, c := range cases {
		update(t, s, func(tx store.Tx) error {
			got, err := tx.ActiveMaintenance(c.service, at(c.at))
			if err != nil {
				return err
			}
			if l := labels(got, windowName); l != c.want {
				t.Errorf("ActiveMaintenance(%s, at(%d)) = %q, want %q", c.service, c.at, l, c.want)
			}
			return nil
		})
	}
	list := func(service string) []store.MaintenanceWindow {
		got, err := s.ListMaintenance(ctx, service)
		if err != nil {
			t.Fatalf("ListMaintenance(%q): %v", service, err)
		}
		return got
	}
	got := list("a")
	assertSame(t, "ListMaintenance(a)", got, []store.MaintenanceWindow{*w1, *w2})
	if l := labels(list(""), windowName); l != "w1 w3 w2" {
		t.Errorf("ListMaintenance(\"\") = %q, want every window by start", l)
	}

	update(t, s, func(tx store.Tx) error { return tx.DeleteMaintenance(w1.ID) })
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.DeleteMaintenance(w1.ID) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a deleted window = %v, want ErrNotFound", err)
	}
	if l := labels(list("a"), windowName); l != "w2" {
		t.Errorf("after the delete ListMaintenance(a) = %q, want w2", l)
	}
}

// Nonces, secrets and audit.

func testUseOnce(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	use := func(nonce string) bool {
		t.Helper()
		var first bool
		update(t, s, func(tx store.Tx) error {
			var err error
			first, err = tx.UseOnce(nonce, t0)
			return err
		})
		return first
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.UseOnce("link:rolled-back", t0); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v", err)
	}
	steps := []struct {
		nonce string
		want  bool
	}{
		{"link:abc", true},
		{"link:abc", false},
		{"link:ABC", true},
		{"link:abc ", true},
		{"link:rolled-back", true}, // its first use was rolled back
		{"link:rolled-back", false},
	}
	for _, step := range steps {
		if got := use(step.nonce); got != step.want {
			t.Errorf("UseOnce(%q) = %v, want %v", step.nonce, got, step.want)
		}
	}
	if err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.UseOnce("", t0); return err }); err == nil {
		t.Error("UseOnce accepted an empty nonce")
	}
}

func testSecret(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	calls := 0
	generate := func(value string) func() ([]byte, error) {
		return func() ([]byte, error) {
			calls++
			return []byte(value), nil
		}
	}
	errEntropy := errors.New("no entropy")
	_, err := s.Secret(ctx, "link-signing-key", func() ([]byte, error) { return nil, errEntropy })
	if !errors.Is(err, errEntropy) {
		t.Errorf("Secret with a failing generator = %v, want its error", err)
	}
	if _, err := s.Secret(ctx, "link-signing-key", generate("")); err == nil {
		t.Error("Secret stored an empty value")
	}
	steps := []struct {
		name, generated, want string
		calls                 int
	}{
		{"link-signing-key", "\x00first\xff", "\x00first\xff", 2},
		{"link-signing-key", "second", "\x00first\xff", 2}, // kept, not generated again
		{"other", "other value", "other value", 3},
	}
	for _, step := range steps {
		got, err := s.Secret(ctx, step.name, generate(step.generated))
		if err != nil {
			t.Fatalf("Secret(%s): %v", step.name, err)
		}
		if string(got) != step.want || calls != step.calls {
			t.Errorf("Secret(%s) = %q after %d generator calls, want %q after %d", step.name, got, calls, step.want, step.calls)
		}
	}

	// Replicas starting at once all end up with the first value stored.
	const racers = 8
	values := make([]string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			v, err := s.Secret(ctx, "raced", func() ([]byte, error) { return fmt.Appendf(nil, "racer %d", i), nil })
			if err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
			values[i] = string(v)
		})
	}
	wg.Wait()
	for i, v := range values {
		if v != values[0] || !strings.HasPrefix(v, "racer ") {
			t.Errorf("racer %d got %q, racer 0 got %q: want one shared value", i, v, values[0])
		}
	}
}

func testTxAudit(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	entry := store.AuditEntry{At: t0, Actor: "user:zoë", Action: "maintenance.create", Kind: "maintenance", ObjID: "1", Details: "a from 10:00"}
	update(t, s, func(tx store.Tx) error { return tx.Audit(entry) })
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.Audit(store.AuditEntry{At: t0, Actor: "user:zoë", Action: "maintenance.delete", Kind: "maintenance", ObjID: "1"}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v", err)
	}
	got := query(t, s.ListAudit, store.AuditQuery{Kind: "maintenance"})
	if len(got) != 1 {
		t.Fatalf("audit has %d entries, want the committed one only", len(got))
	}
	got[0].ID = 0
	assertSame(t, "audit entry", got[0], entry)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Audit(store.AuditEntry{At: t0, Actor: "a\x00"}) }); err == nil {
		t.Error("Audit accepted a NUL in the actor")
	}
}

// testRejectedText covers text a backend could not store the same way on
// both databases: every write refuses it, and nothing is written.
func testRejectedText(t *testing.T, newStore func(t *testing.T) store.Store) {
	cases := []struct {
		name  string
		write func(tx store.Tx) error
	}{
		{"NUL in an alert's dedup key", func(tx store.Tx) error { return tx.InsertAlert(newAlert("k", "d\x00", "x")) }},
		{"invalid UTF-8 in an alert's service", func(tx store.Tx) error {
			a := newAlert("k", "d", "x")
			a.Service = "\xff"
			return tx.InsertAlert(a)
		}},
		{"alert details not JSON", func(tx store.Tx) error {
			a := newAlert("k", "d", "x")
			a.Details = json.RawMessage(`{"a":`)
			return tx.InsertAlert(a)
		}},
		{"invalid UTF-8 in alert details", func(tx store.Tx) error {
			a := newAlert("k", "d", "x")
			a.Details = json.RawMessage("{\"a\":\"\xff\"}")
			return tx.InsertAlert(a)
		}},
		{"alert without a status", func(tx store.Tx) error {
			a := newAlert("k", "d", "x")
			a.Status = ""
			return tx.InsertAlert(a)
		}},
		{"NUL in an incident's services", func(tx store.Tx) error {
			i := newIncident("x", "checkout", t0)
			i.Services = []string{"checkout", "pay\x00ments"}
			return tx.InsertIncident(i)
		}},
		{"invalid UTF-8 in a group key", func(tx store.Tx) error {
			i := newIncident("x", "checkout", t0)
			i.GroupKey = "\xc3("
			return tx.InsertIncident(i)
		}},
		{"NUL in a timeline message", func(tx store.Tx) error {
			return tx.AppendTimeline(&incident.TimelineEntry{IncidentID: 1, At: t0, Kind: incident.EntryNote, Message: "a\x00"})
		}},
		{"invalid UTF-8 in a notification's user", func(tx store.Tx) error {
			n := notification("k", 1, notify.KindPage, notify.StatusPending, 0)
			n.UserID = "\xfe"
			return tx.InsertNotifications(n)
		}},
		{"notification body not JSON", func(tx store.Tx) error {
			n := notification("k", 1, notify.KindPage, notify.StatusPending, 0)
			n.Body = json.RawMessage(`{subject}`)
			return tx.InsertNotifications(n)
		}},
		{"NUL in an attempt's error", func(tx store.Tx) error {
			return tx.InsertAttempt(&notify.Attempt{NotificationID: 1, At: t0, Outcome: "failed", Error: "\x00"})
		}},
		{"NUL in a change's service", func(tx store.Tx) error {
			return tx.InsertChange(&change.Event{Service: "a\x00", At: t0})
		}},
		{"invalid UTF-8 in a maintenance reason", func(tx store.Tx) error {
			return tx.InsertMaintenance(&store.MaintenanceWindow{Service: "a", Start: t0, End: at(1), Reason: "\xff"})
		}},
		{"NUL in a heartbeat key", func(tx store.Tx) error {
			return tx.PutHeartbeat(store.Heartbeat{Key: "h\x00", Service: "a", Interval: time.Minute, LastBeatAt: t0})
		}},
		{"negative heartbeat interval", func(tx store.Tx) error {
			return tx.PutHeartbeat(store.Heartbeat{Key: "h", Service: "a", Interval: -time.Minute, LastBeatAt: t0})
		}},
		{"NUL in a nonce", func(tx store.Tx) error { _, err := tx.UseOnce("n\x00", t0); return err }},
		{"NUL in a looked-up key", func(tx store.Tx) error { _, err := tx.OpenAlert("k\x00", "d"); return err }},
		{"NUL in a batch of looked-up keys", func(tx store.Tx) error { _, err := tx.OpenDedupKeys("k", []string{"d", "d\x00"}); return err }},
		{"NUL in a queued notification's key", func(tx store.Tx) error {
			return tx.QueueNotifications(notification("k\x00", 1, notify.KindPage, notify.StatusPending, 0))
		}},
		{"queued notification body not JSON", func(tx store.Tx) error {
			n := notification("k", 1, notify.KindPage, notify.StatusPending, 0)
			n.Body = json.RawMessage(`{subject}`)
			return tx.QueueNotifications(n)
		}},
		{"raw NUL in a queued timeline entry's data", func(tx store.Tx) error {
			return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: 1, At: t0, Kind: incident.EntryNote, Data: json.RawMessage("0\x00")})
		}},
		{"raw NUL in an appended timeline entry's data", func(tx store.Tx) error {
			return tx.AppendTimeline(&incident.TimelineEntry{IncidentID: 1, At: t0, Kind: incident.EntryNote, Data: json.RawMessage("{}\x00")})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			ctx := context.Background()
			err := s.Update(ctx, func(tx store.Tx) error {
				// A valid write first, which the failure must take back.
				if err := tx.InsertIncident(newIncident("valid", "checkout", t0)); err != nil {
					return err
				}
				return c.write(tx)
			})
			if err == nil {
				t.Fatal("the write was accepted")
			}
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
				t.Errorf("error %v should not look like a missing or conflicting row", err)
			}
			if got := query(t, s.ListIncidents, store.IncidentQuery{}); len(got) != 0 {
				t.Errorf("the transaction's other write was kept: %q", labels(got, incidentTitle))
			}
		})
	}
	t.Run("list filters", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := context.Background()
		if _, err := s.ListAlerts(ctx, store.AlertQuery{Service: "a\x00"}); err == nil {
			t.Error("ListAlerts accepted a NUL in the service")
		}
		if _, err := s.ListIncidents(ctx, store.IncidentQuery{Statuses: []alert.Status{"\xff"}}); err == nil {
			t.Error("ListIncidents accepted invalid UTF-8 in a status")
		}
		if _, err := s.ListChanges(ctx, store.ChangeQuery{Services: []string{"ok", "a\x00"}}); err == nil {
			t.Error("ListChanges accepted a NUL in a service")
		}
	})
}

func testListLimits(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	const stored = 1002
	update(t, s, func(tx store.Tx) error {
		for i := range stored {
			err := errors.Join(
				tx.InsertAlert(newAlert("k", fmt.Sprint(i), "a")),
				tx.InsertIncident(newIncident("i", "checkout", t0)),
				tx.InsertNotifications(notification(fmt.Sprint(i), 1, notify.KindPage, notify.StatusSent, 0)),
				tx.InsertChange(&change.Event{Service: "checkout", At: t0}),
			)
			if err != nil {
				return err
			}
		}
		return nil
	})
	lists := []struct {
		name string
		list func(limit int) (int, error)
	}{
		{"ListAlerts", func(limit int) (int, error) {
			got, err := s.ListAlerts(ctx, store.AlertQuery{Limit: limit})
			return len(got), err
		}},
		{"ListIncidents", func(limit int) (int, error) {
			got, err := s.ListIncidents(ctx, store.IncidentQuery{Limit: limit})
			return len(got), err
		}},
		{"ListNotifications", func(limit int) (int, error) {
			got, err := s.ListNotifications(ctx, store.NotificationQuery{Limit: limit})
			return len(got), err
		}},
		{"ListChanges", func(limit int) (int, error) {
			got, err := s.ListChanges(ctx, store.ChangeQuery{Limit: limit})
			return len(got), err
		}},
	}
	// At most one row above the API's largest page of 1000: its probe for
	// a next page.
	cases := []struct{ limit, want int }{
		{0, 100}, {-1, 100}, {1, 1}, {1000, 1000}, {1001, 1001}, {1002, 1001}, {1 << 40, 1001},
	}
	for _, l := range lists {
		for _, c := range cases {
			n, err := l.list(c.limit)
			if err != nil {
				t.Fatalf("%s(Limit: %d): %v", l.name, c.limit, err)
			}
			if n != c.want {
				t.Errorf("%s(Limit: %d) returned %d, want %d", l.name, c.limit, n, c.want)
			}
		}
	}
}

// testConcurrentWork has workers take notifications, escalations and inbox
// events at once, each in its own transactions: every piece of work goes
// to exactly one of them.
func testConcurrentWork(t *testing.T, newStore func(t *testing.T) store.Store) {
	const notifications, escalations, events, workers = 60, 40, 200, 4
	s := newStore(t)
	ctx := context.Background()
	ns := make([]*notify.Notification, notifications)
	for i := range ns {
		ns[i] = notification(fmt.Sprintf("n%d", i), 1, notify.KindPage, notify.StatusPending, i%7)
	}
	insertNotifications(t, s, ns...)
	update(t, s, func(tx store.Tx) error {
		if err := createIncidents(tx, escalations); err != nil {
			return err
		}
		for i := range escalations {
			if err := tx.PutEscalation(escalationState(int64(i+1), i%5, false)); err != nil {
				return err
			}
		}
		return nil
	})
	inbox := make([]store.InboxEvent, events)
	for i := range inbox {
		inbox[i] = inboxEvent(store.InboxAlert, "k", fmt.Sprintf(`{"n":%d}`, i), t0)
	}
	appendInbox(t, s, inbox)

	var mu sync.Mutex
	taken := make(map[string]int) // "n<id>", "e<incident>", "i<id>" → times taken
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Enough rounds for one worker to do everything alone, and to
			// wait out the others; more means work is handed out again.
			for round := 0; ; round++ {
				if round > 10*(notifications+escalations+events) {
					t.Errorf("worker %d: still finding work after %d rounds", w, round)
					return
				}
				var got []string
				err := s.Update(ctx, func(tx store.Tx) error {
					got = got[:0]
					claimed, err := tx.ClaimNotifications(at(10), time.Hour, 5)
					if err != nil {
						return err
					}
					for _, n := range claimed {
						got = append(got, fmt.Sprintf("n%d", n.ID))
					}
					due, err := tx.DueEscalations(at(10), 3)
					if err != nil {
						return err
					}
					for _, st := range due {
						got = append(got, fmt.Sprintf("e%d", st.IncidentID))
						st.Done, st.NextAt = true, time.Time{}
						if err := tx.PutEscalation(st); err != nil {
							return err
						}
					}
					batch, err := tx.TakeInbox(7)
					if err != nil {
						return err
					}
					for i, e := range batch {
						if i > 0 && e.ID <= batch[i-1].ID {
							return fmt.Errorf("inbox batch out of order: %d after %d", e.ID, batch[i-1].ID)
						}
						got = append(got, fmt.Sprintf("i%d", e.ID))
					}
					return nil
				})
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				mu.Lock()
				for _, g := range got {
					taken[g]++
				}
				mu.Unlock()
				if len(got) == 0 {
					// Nothing left, unless another worker holds the inbox.
					n, err := s.InboxBacklog(ctx)
					if err != nil {
						t.Errorf("worker %d: %v", w, err)
						return
					}
					if n == 0 {
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if len(taken) != notifications+escalations+events {
		t.Errorf("%d distinct pieces of work taken, want %d", len(taken), notifications+escalations+events)
	}
	for work, n := range taken {
		if n != 1 {
			t.Errorf("%s taken %d times", work, n)
		}
	}
}

// RunPipelineReplicas checks how the work-taking queries of two replicas
// sharing a database behave while both transactions are open: rows one
// replica holds are skipped by the other, not waited for and not handed
// out twice. It is for backends whose write transactions overlap
// (PostgreSQL); newReplicas returns two stores on one fresh database.
func RunPipelineReplicas(t *testing.T, newReplicas func(t *testing.T) (store.Store, store.Store)) {
	const items = 5
	cases := []struct {
		name  string
		setup func(tx store.Tx) error
		take  func(tx store.Tx, limit int) ([]string, error)
		// exclusive: while one replica holds some of the work, the other
		// gets none (inbox events are applied by one replica at a time).
		exclusive bool
	}{
		{
			name: "ClaimNotifications",
			setup: func(tx store.Tx) error {
				for i := range items {
					if err := tx.InsertNotifications(notification(fmt.Sprintf("n%d", i), 1, notify.KindPage, notify.StatusPending, i)); err != nil {
						return err
					}
				}
				return nil
			},
			take: func(tx store.Tx, limit int) ([]string, error) {
				ns, err := tx.ClaimNotifications(at(10), time.Minute, limit)
				return strings.Fields(labels(ns, notificationKey)), err
			},
		},
		{
			name: "DueEscalations",
			setup: func(tx store.Tx) error {
				if err := createIncidents(tx, items); err != nil {
					return err
				}
				for i := range items {
					if err := tx.PutEscalation(escalationState(int64(i+1), i, false)); err != nil {
						return err
					}
				}
				return nil
			},
			take: func(tx store.Tx, limit int) ([]string, error) {
				due, err := tx.DueEscalations(at(10), limit)
				return strings.Fields(labels(due, func(st escalation.State) string { return fmt.Sprint(st.IncidentID) })), err
			},
		},
		{
			name: "QuietAlerts",
			setup: func(tx store.Tx) error {
				for i := range items {
					a := newAlert("k", fmt.Sprintf("d%d", i), fmt.Sprintf("a%d", i))
					a.LastEventAt = at(i)
					if err := tx.InsertAlert(a); err != nil {
						return err
					}
				}
				return nil
			},
			take: func(tx store.Tx, limit int) ([]string, error) {
				quiet, err := tx.QuietAlerts("k", at(10), limit)
				return strings.Fields(labels(quiet, alertSummary)), err
			},
		},
		{
			name: "OverdueHeartbeats",
			setup: func(tx store.Tx) error {
				for i := range items {
					h := store.Heartbeat{Key: fmt.Sprintf("h%d", i), Service: "a", Interval: time.Minute, LastBeatAt: at(i)}
					if err := tx.PutHeartbeat(h); err != nil {
						return err
					}
				}
				return nil
			},
			take: func(tx store.Tx, limit int) ([]string, error) {
				hs, err := tx.OverdueHeartbeats(at(10), limit)
				return strings.Fields(labels(hs, func(h store.Heartbeat) string { return h.Key })), err
			},
		},
		{
			name: "PendingOperationRuns",
			setup: func(tx store.Tx) error {
				for i := range items {
					if err := tx.InsertOperationRun(run("drain", fmt.Sprintf("s%d", i), 0, i)); err != nil {
						return err
					}
				}
				return nil
			},
			take: func(tx store.Tx, limit int) ([]string, error) {
				rs, err := tx.PendingOperationRuns(limit)
				return strings.Fields(labels(rs, func(r ops.Run) string { return r.Service })), err
			},
		},
		{
			name: "RemindableActionItems",
			setup: func(tx store.Tx) error {
				return tx.InsertPostmortem(newPostmortem(1, "payments", postmortem.StatusPublished, 0, 1, 2, 3, 4))
			},
			take: func(tx store.Tx, limit int) ([]string, error) {
				due, err := tx.RemindableActionItems(at(10), 0, limit)
				return strings.Fields(labels(due, func(it postmortem.ActionItem) string { return fmt.Sprint(it.ID) })), err
			},
		},
		{
			name:      "TakeInbox",
			exclusive: true,
			setup:     nil, // appended outside a transaction, below
			take: func(tx store.Tx, limit int) ([]string, error) {
				events, err := tx.TakeInbox(limit)
				return strings.Fields(labels(events, func(e store.InboxEvent) string { return string(e.Payload) })), err
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a, b := newReplicas(t)
			if c.setup != nil {
				update(t, a, c.setup)
			} else {
				events := make([]store.InboxEvent, items)
				for i := range events {
					events[i] = inboxEvent(store.InboxAlert, "k", fmt.Sprint(i), t0)
				}
				appendInbox(t, a, events)
			}

			held := make(chan []string, 1)
			release := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- a.Update(ctx, func(tx store.Tx) error {
					got, err := c.take(tx, 2)
					if err != nil {
						return err
					}
					held <- got
					<-release
					return nil
				})
			}()
			var first []string
			select {
			case first = <-held:
			case err := <-done:
				t.Fatalf("first replica: %v", err)
			}
			// Waiting for the first replica's rows would wait forever: it
			// commits only after this returns. The deadline turns that into
			// a failure.
			waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			var second []string
			err := b.Update(waitCtx, func(tx store.Tx) error {
				var err error
				second, err = c.take(tx, 100)
				return err
			})
			cancel()
			close(release)
			if firstErr := <-done; firstErr != nil {
				t.Fatalf("first replica: %v", firstErr)
			}
			if err != nil {
				t.Fatalf("second replica while the first holds its rows: %v", err)
			}

			if len(first) != 2 {
				t.Fatalf("first replica took %q, want 2 items", first)
			}
			want := items - 2
			if c.exclusive {
				want = 0
			}
			if len(second) != want {
				t.Errorf("second replica took %q while the first held %q, want %d items", second, first, want)
			}
			for _, s := range second {
				for _, f := range first {
					if s == f {
						t.Errorf("%s went to both replicas", s)
					}
				}
			}
			if c.exclusive {
				var rest []string
				update(t, b, func(tx store.Tx) error {
					var err error
					rest, err = c.take(tx, 100)
					return err
				})
				if got := strings.Join(rest, " "); got != "2 3 4" {
					t.Errorf("after the first replica committed the second took %q, want %q", got, "2 3 4")
				}
			}
		})
	}

	t.Run("DueEscalationsSkipBusyIncident", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		a, b := newReplicas(t)
		update(t, a, func(tx store.Tx) error {
			if err := createIncidents(tx, 3); err != nil {
				return err
			}
			for i := range int64(3) {
				if err := tx.PutEscalation(escalationState(i+1, int(i), false)); err != nil {
					return err
				}
			}
			return nil
		})
		held := make(chan struct{})
		release := make(chan struct{})
		releaseOnce := sync.OnceFunc(func() { close(release) })
		done := make(chan error, 1)
		go func() {
			// An acknowledgement holds incident 1 and then stops its escalation.
			done <- a.Update(ctx, func(tx store.Tx) error {
				if _, err := tx.GetIncident(1); err != nil {
					return err
				}
				close(held)
				<-release
				_, err := tx.GetEscalation(1)
				return err
			})
		}()
		select {
		case <-held:
		case err := <-done:
			t.Fatalf("first replica: %v", err)
		}
		waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		var due []escalation.State
		err := b.Update(waitCtx, func(tx store.Tx) error {
			var err error
			if due, err = tx.DueEscalations(at(10), 10); err != nil {
				return err
			}
			releaseOnce() // the acknowledgement goes on while this transaction holds the rest
			for _, st := range due {
				if _, err := tx.GetIncident(st.IncidentID); err != nil {
					return err
				}
			}
			return nil
		})
		cancel()
		releaseOnce()
		if firstErr := <-done; firstErr != nil {
			t.Errorf("the acknowledging replica: %v", firstErr)
		}
		if err != nil {
			t.Fatalf("escalating replica: %v", err)
		}
		if got := labels(due, func(st escalation.State) string { return fmt.Sprint(st.IncidentID) }); got != "2 3" {
			t.Errorf("DueEscalations while incident 1 is held = %q, want %q", got, "2 3")
		}
	})

	// Rows a transaction reads to write back are locked until it ends.
	lockers := []struct {
		name string
		get  func(tx store.Tx) error
	}{
		{"GetIncident", func(tx store.Tx) error { _, err := tx.GetIncident(1); return err }},
		{"OpenIncidentByGroup", func(tx store.Tx) error { _, err := tx.OpenIncidentByGroup("checkout", "g", t0); return err }},
		{"GetAlert", func(tx store.Tx) error { _, err := tx.GetAlert(1); return err }},
		{"OpenAlert", func(tx store.Tx) error { _, err := tx.OpenAlert("k", "d"); return err }},
		{"GetEscalation", func(tx store.Tx) error { _, err := tx.GetEscalation(1); return err }},
		{"GetNotification", func(tx store.Tx) error { _, err := tx.GetNotification(1); return err }},
		{"GetHeartbeat", func(tx store.Tx) error { _, err := tx.GetHeartbeat("h"); return err }},
		{"LockServedUntil", func(tx store.Tx) error { _, err := tx.LockServedUntil("rota", t0); return err }},
	}
	for _, l := range lockers {
		t.Run("Lock"+l.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a, b := newReplicas(t)
			update(t, a, func(tx store.Tx) error {
				i := newIncident("locked", "checkout", t0)
				i.GroupKey = "g"
				return errors.Join(
					tx.InsertIncident(i),
					tx.InsertAlert(newAlert("k", "d", "locked")),
					tx.PutEscalation(escalationState(1, 0, false)),
					tx.InsertNotifications(notification("n", 1, notify.KindPage, notify.StatusPending, 0)),
					tx.PutHeartbeat(store.Heartbeat{Key: "h", Service: "checkout", Interval: time.Minute, LastBeatAt: t0}),
					func() error { _, err := tx.LockServedUntil("rota", t0); return err }(),
				)
			})
			held := make(chan struct{})
			release := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- a.Update(ctx, func(tx store.Tx) error {
					if err := l.get(tx); err != nil {
						return err
					}
					close(held)
					<-release
					return nil
				})
			}()
			select {
			case <-held:
			case err := <-done:
				t.Fatalf("first replica: %v", err)
			}
			short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			err := b.Update(short, l.get)
			cancel()
			close(release)
			if firstErr := <-done; firstErr != nil {
				t.Fatalf("first replica: %v", firstErr)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("second replica reading the row the first holds = %v, want it to wait until its deadline", err)
			}
			update(t, b, l.get) // free again
		})
	}
}

// BenchAppendInbox measures ingest's hot path: durable appends of the
// batches group commit makes. newStore is as for Bench.
func BenchAppendInbox(b *testing.B, newStore func(b *testing.B) store.Store) {
	payload := []byte(`{"action":"trigger","dedup_key":"HighErrorRate/checkout/eu-west-1","summary":"Error rate above 5% on checkout",` +
		`"source":"prometheus-eu","severity":"critical","component":"api","group":"web","class":"errors",` +
		`"custom_details":{"value":"7.2%","threshold":"5%","pods":["api-7d9f-1","api-7d9f-2"]},"links":[{"href":"https://grafana.example/d/1"}]}`)
	for _, size := range []int{1, 64, 512} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := newStore(b)
			ctx := context.Background()
			events := make([]store.InboxEvent, size)
			b.SetBytes(int64(size * len(payload)))
			for b.Loop() {
				for i := range events {
					events[i] = store.InboxEvent{ReceivedAt: t0, Kind: store.InboxAlert, IntegrationKey: "am-payments",
						Service: "checkout", Payload: payload}
				}
				if err := s.AppendInbox(ctx, events); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
