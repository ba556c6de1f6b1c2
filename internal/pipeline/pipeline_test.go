package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest/testdb"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/sqlite"
)

// clock is a hand-moved test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// receiver records webhook deliveries; fail makes it answer 500. Notices
// of others' actions are kept apart from pages and updates, in notices.
type receiver struct {
	mu      sync.Mutex
	got     []delivery
	notices []delivery
	fail    map[string]bool // path -> fail
	srv     *httptest.Server
}

type delivery struct {
	Path, IdempotencyKey string
	Body                 map[string]any
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{fail: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail[req.URL.Path] {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		d := delivery{Path: req.URL.Path, IdempotencyKey: req.Header.Get("Idempotency-Key"), Body: m}
		if m["kind"] == notify.KindNotice {
			r.notices = append(r.notices, d)
			return
		}
		r.got = append(r.got, d)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) paths() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, d := range r.got {
		out = append(out, d.Path)
	}
	return out
}

type harness struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	store *sqlite.Store
	org   *org.Manager
	p     *Pipeline
	recv  *receiver
}

const pdKey = "0123456789abcdef0123456789abcdef"

func mustDur(s string) duration.Duration {
	d, err := duration.Parse(s)
	if err != nil {
		panic(err)
	}
	return duration.Duration(d)
}

// testBundle: alice and bob rotate weekly on shop-oncall (alice's week on
// 2026-11-26); the policy pages the schedule, then bob, and repeats once.
func testBundle(hook string) *config.Bundle {
	user := func(id string, rules ...catalog.NotificationRule) catalog.User {
		return catalog.User{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], TimeZone: "Europe/Berlin",
			ContactMethods: []catalog.ContactMethod{
				{ID: id + "-hook", Type: "webhook", URL: hook + "/" + id},
				{ID: id + "-backup", Type: "webhook", URL: hook + "/" + id + "-backup"},
			},
			NotificationRules: rules}
	}
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC) // 09:00 Berlin
	return &config.Bundle{
		Users: []catalog.User{
			user("alice", catalog.NotificationRule{ContactMethod: "alice-hook"}, catalog.NotificationRule{ContactMethod: "alice-backup", Delay: mustDur("5m")}),
			user("bob", catalog.NotificationRule{ContactMethod: "bob-hook"}),
			user("gina"),
		},
		Teams: []catalog.Team{
			{ID: "shop", Kind: "dev", TimeZone: "Europe/Berlin", Country: "DE", Members: []string{"alice", "bob"}, Schedule: "shop-oncall", EscalationPolicy: "shop-default"},
			{ID: "irt", Kind: "global-irt", Members: []string{"gina"}},
		},
		Schedules: []schedule.Schedule{{ID: "shop-oncall", TimeZone: "Europe/Berlin", Layers: []schedule.Layer{
			{ID: "weekly", Users: []string{"alice", "bob"}, Rotation: schedule.Rotation{Every: "1w"}, Start: start},
		}}},
		EscalationPolicies: []escalation.Policy{{ID: "shop-default", Repeat: 1, Steps: []escalation.Step{
			{Targets: []escalation.Target{{Schedule: "shop-oncall"}}, EscalateAfter: mustDur("10m")},
			{Targets: []escalation.Target{{User: "bob"}}, EscalateAfter: mustDur("15m")},
		}}},
		Services: []catalog.Service{{ID: "checkout", Owner: "shop", Integrations: []catalog.Integration{
			{Type: "pagerduty", Key: pdKey},
			{Type: "alertmanager", Key: "am-checkout", AutoResolve: mustDur("1h")},
			{Type: "heartbeat", Key: "hb-checkout", Interval: mustDur("10m")},
		}}},
	}
}

func newHarness(t *testing.T, at time.Time) *harness {
	t.Helper()
	ctx := context.Background()
	st := testdb.SQLite(t)
	clk := &clock{t: at}
	recv := newReceiver(t)
	m := org.NewManager(st, clk.Now)
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(ctx, testBundle(recv.srv.URL), "test", false); err != nil {
		t.Fatal(err)
	}
	signer, err := links.NewSigner([]byte("0123456789abcdef0123456789abcdef"), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	p := New(Options{Store: st, Org: m, Now: clk.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Channels: []notify.Channel{webhook.New(recv.srv.Client())}, Signer: signer, PublicURL: "http://vigil.test", Getenv: os.Getenv})
	return &harness{t: t, ctx: ctx, clock: clk, store: st, org: m, p: p, recv: recv}
}

// send stores an event as ingest would and processes the inbox.
func (h *harness) send(key string, ev ingest.Event) {
	h.t.Helper()
	svc, _ := h.org.Snapshot().Integration(key)
	kind := store.InboxAlert
	if strings.HasPrefix(key, "hb-") {
		kind = store.InboxHeartbeat
	}
	body, _ := json.Marshal(ev)
	if err := h.store.AppendInbox(h.ctx, []store.InboxEvent{{ReceivedAt: h.clock.Now(), Kind: kind, IntegrationKey: key, Service: svc.ID, Payload: body}}); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.p.Processor.RunOnce(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) trigger(dedup string, severity alert.Severity) {
	h.send(pdKey, ingest.Event{Action: ingest.ActionTrigger, DedupKey: dedup, Summary: "checkout is down " + dedup, Source: "web-1", Severity: severity})
}

// tick runs everything due at the current time.
func (h *harness) tick() {
	h.t.Helper()
	for i := 0; i < 10; i++ {
		n1, err := h.p.Escalator.RunOnce(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		n2, err := h.p.Dispatcher.RunOnce(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		n3, err := h.p.Sweeper.RunOnce(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if n1+n2+n3 == 0 {
			return
		}
	}
}

// ackToken is the token of the signed acknowledge link in the first
// notification received.
func (h *harness) ackToken() string {
	actions := h.recv.got[0].Body["actions"].(map[string]any)
	ack := actions["acknowledge"].(string)
	return ack[strings.LastIndex(ack, "/")+1:]
}

func (h *harness) onlyIncident() incident.Incident {
	h.t.Helper()
	incs, err := h.store.ListIncidents(h.ctx, store.IncidentQuery{})
	if err != nil || len(incs) != 1 {
		h.t.Fatalf("incidents = %d, %v; want 1", len(incs), err)
	}
	return incs[0]
}

// expectPaths compares the deliveries so far with want, both sorted:
// notifications due together are sent concurrently, in no fixed order.
func (h *harness) expectPaths(want ...string) {
	h.t.Helper()
	got := h.recv.paths()
	sort.Strings(got)
	want = append([]string(nil), want...)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		h.t.Fatalf("deliveries = [%s], want [%s]", strings.Join(got, ","), strings.Join(want, ","))
	}
}

var thursdayNoon = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) // 13:00 Berlin, alice's week

func TestEscalationFollowsPolicyAndRules(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.trigger("disk", alert.SeverityCritical)
	inc := h.onlyIncident()
	if inc.Status != alert.StatusTriggered || inc.Severity != "SEV2" || inc.Urgency != "high" || inc.Title != "checkout is down disk" {
		t.Fatalf("incident = %+v", inc)
	}
	h.tick()
	h.expectPaths("/alice") // step 1: the schedule's on-call, first rule at once

	h.trigger("disk", alert.SeverityCritical) // a repeat adds to the alert, pages nobody
	h.tick()
	h.expectPaths("/alice")
	alerts, _ := h.store.ListAlerts(h.ctx, store.AlertQuery{DedupKey: "disk"})
	if len(alerts) != 1 || alerts[0].Count != 2 {
		t.Fatalf("alerts = %+v, want one with count 2", alerts)
	}

	h.clock.Add(5 * time.Minute) // alice's second rule
	h.tick()
	h.expectPaths("/alice", "/alice-backup")

	h.clock.Add(5 * time.Minute) // 10m: step 2 pages bob
	h.tick()
	h.expectPaths("/alice", "/alice-backup", "/bob")

	h.clock.Add(15 * time.Minute) // 25m: repeat 1 starts over at step 1
	h.tick()
	h.expectPaths("/alice", "/alice-backup", "/bob", "/alice")

	h.clock.Add(5 * time.Minute) // 30m: alice's second rule again
	h.tick()
	h.clock.Add(5 * time.Minute) // 35m: step 2 of the repeat
	h.tick()
	h.expectPaths("/alice", "/alice-backup", "/bob", "/alice", "/alice-backup", "/bob")

	h.clock.Add(time.Hour) // the policy is exhausted: nothing more
	h.tick()
	if n := len(h.recv.paths()); n != 6 {
		t.Fatalf("%d deliveries after the policy ended, want 6", n)
	}
	// Every delivery carries a distinct idempotency key.
	keys := map[string]bool{}
	for _, d := range h.recv.got {
		if d.IdempotencyKey == "" || keys[d.IdempotencyKey] {
			t.Fatalf("idempotency key %q missing or repeated", d.IdempotencyKey)
		}
		keys[d.IdempotencyKey] = true
	}
}

func TestAcknowledgeStopsEscalation(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.trigger("db", alert.SeverityError)
	h.tick()
	inc := h.onlyIncident()
	h.clock.Add(time.Minute)
	if _, err := h.p.Incidents.Acknowledge(h.ctx, inc.ID, Actor{Name: "user:alice", Channel: "api"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(time.Hour)
	h.tick()
	h.expectPaths("/alice") // the 5m rule and step 2 never ran
	inc = h.onlyIncident()
	if inc.Status != alert.StatusAcknowledged || inc.AcknowledgedBy != "user:alice" {
		t.Fatalf("incident after ack = %+v", inc)
	}
	ns, _ := h.store.ListNotifications(h.ctx, store.NotificationQuery{IncidentID: inc.ID})
	var cancelled int
	for _, n := range ns {
		if n.Status == notify.StatusCancelled {
			cancelled++
		}
	}
	if cancelled != 1 {
		t.Fatalf("cancelled notifications = %d, want 1 (alice's 5m rule)", cancelled)
	}
	// A new trigger on the acknowledged alert pages nobody.
	h.trigger("db", alert.SeverityError)
	h.tick()
	h.expectPaths("/alice")
	// Resolving from the source resolves the incident.
	h.send(pdKey, ingest.Event{Action: ingest.ActionResolve, DedupKey: "db"})
	if inc = h.onlyIncident(); inc.Open() {
		t.Fatalf("incident still %s after its only alert resolved", inc.Status)
	}
	// After resolve the same key opens a new alert and incident.
	h.trigger("db", alert.SeverityError)
	incs, _ := h.store.ListIncidents(h.ctx, store.IncidentQuery{Statuses: []alert.Status{alert.StatusTriggered}})
	if len(incs) != 1 || incs[0].ID == inc.ID {
		t.Fatalf("open incidents after re-trigger = %+v", incs)
	}
	tl, _ := h.store.Timeline(h.ctx, inc.ID)
	var kinds []string
	for _, e := range tl {
		kinds = append(kinds, e.Kind)
	}
	want := "triggered,alert,escalated,notified,acknowledged,alert,resolved"
	if strings.Join(kinds, ",") != want {
		t.Fatalf("timeline kinds = %s, want %s", strings.Join(kinds, ","), want)
	}
}

func TestAckAndResolveWithoutOpenAlertAreDropped(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.send(pdKey, ingest.Event{Action: ingest.ActionAcknowledge, DedupKey: "nothing"})
	h.send(pdKey, ingest.Event{Action: ingest.ActionResolve, DedupKey: "nothing"})
	if incs, _ := h.store.ListIncidents(h.ctx, store.IncidentQuery{}); len(incs) != 0 {
		t.Fatalf("ack/resolve without an alert made incidents: %+v", incs)
	}
}

func TestLowUrgencyWaitsForBusinessHours(t *testing.T) {
	night := time.Date(2026, 11, 26, 22, 30, 0, 0, time.UTC) // 23:30 Berlin
	h := newHarness(t, night)
	h.trigger("slow", alert.SeverityWarning)
	h.tick()
	h.expectPaths()
	inc := h.onlyIncident()
	if inc.Urgency != "low" {
		t.Fatalf("urgency = %s", inc.Urgency)
	}
	h.clock.Add(8 * time.Hour) // 07:30 Berlin: still before business hours
	h.tick()
	h.expectPaths()
	h.clock.Add(30 * time.Minute) // 08:00 Berlin
	h.tick()
	h.expectPaths("/alice") // once, on the first method, never escalated
	h.clock.Add(2 * time.Hour)
	h.tick()
	h.expectPaths("/alice")
}

func TestMaintenanceSuppressesPaging(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	w := &store.MaintenanceWindow{Service: "checkout", Start: thursdayNoon.Add(-time.Hour), End: thursdayNoon.Add(time.Hour)}
	if err := h.p.Incidents.AddMaintenance(h.ctx, w, Actor{Name: "user:alice"}); err != nil {
		t.Fatal(err)
	}
	h.trigger("deploy", alert.SeverityCritical)
	h.clock.Add(30 * time.Minute)
	h.tick()
	h.expectPaths()
	if inc := h.onlyIncident(); inc.Suppressed == "" {
		t.Fatal("incident does not say paging was suppressed")
	}
	h.clock.Add(time.Hour) // after the window, new alerts page again
	h.trigger("after", alert.SeverityCritical)
	h.tick()
	h.expectPaths("/alice")
}

func TestFailingMethodRetriesThenFailsOver(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	b := testBundle(h.recv.srv.URL)
	b.Users[0].NotificationRules = b.Users[0].NotificationRules[:1] // alice: her hook only
	if _, err := h.org.Apply(h.ctx, b, "test", false); err != nil {
		t.Fatal(err)
	}
	h.recv.fail["/alice"] = true
	h.trigger("net", alert.SeverityCritical)
	for i := 0; i < 10; i++ { // past every backoff
		h.tick()
		h.clock.Add(time.Minute)
	}
	h.expectPaths("/alice-backup") // failed over once, after the retries
	inc := h.onlyIncident()
	ns, _ := h.store.ListNotifications(h.ctx, store.NotificationQuery{IncidentID: inc.ID, UserID: "alice"})
	var failed *notify.Notification
	for i := range ns {
		if ns[i].ContactMethod == "alice-hook" {
			failed = &ns[i]
		}
	}
	if failed == nil || failed.Status != notify.StatusFailed || failed.Attempts != notify.MaxAttemptsPerMethod {
		t.Fatalf("failing notification = %+v", failed)
	}
	attempts, _ := h.store.ListAttempts(h.ctx, failed.ID)
	if len(attempts) != notify.MaxAttemptsPerMethod || attempts[len(attempts)-1].Outcome != "failed" {
		t.Fatalf("attempts = %+v", attempts)
	}
	tl, _ := h.store.Timeline(h.ctx, inc.ID)
	found := false
	for _, e := range tl {
		found = found || strings.Contains(e.Message, "failing over to alice-backup")
	}
	if !found {
		t.Fatal("the timeline does not show the failover")
	}
}

func TestFailoverSkipsAMethodThatAlreadyReachedThePerson(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.recv.fail["/alice"] = true // alice's backup rule (5m) still works
	h.trigger("net", alert.SeverityCritical)
	for i := 0; i < 10; i++ {
		h.tick()
		h.clock.Add(time.Minute)
	}
	h.expectPaths("/alice-backup") // by her rule; the failover does not send it twice
}

func TestSignedLinkIsSingleUse(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.trigger("x", alert.SeverityCritical)
	h.tick()
	token := h.ackToken()
	if _, inc, err := h.p.Inbound.UseLink(h.ctx, token); err != nil || inc.Status != alert.StatusAcknowledged {
		t.Fatalf("UseLink = %+v, %v", inc, err)
	}
	if _, _, err := h.p.Inbound.UseLink(h.ctx, token); !errors.Is(err, ErrLinkUsed) {
		t.Fatalf("second use = %v, want ErrLinkUsed", err)
	}
	if _, _, err := h.p.Inbound.UseLink(h.ctx, token[:len(token)-2]+"xx"); err == nil {
		t.Fatal("a forged link worked")
	}
	tl, _ := h.store.Timeline(h.ctx, h.onlyIncident().ID)
	last := tl[len(tl)-1]
	if last.Kind != incident.EntryAcknowledged || last.Actor != "user:alice" || last.Channel != "link" {
		t.Fatalf("last timeline entry = %+v", last)
	}
}

func TestHeartbeatAndAutoResolve(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.send("hb-checkout", ingest.Event{})
	h.clock.Add(9 * time.Minute)
	h.tick()
	h.expectPaths()
	h.clock.Add(2 * time.Minute) // 11m since the beat: overdue
	h.tick()
	inc := h.onlyIncident()
	if !strings.Contains(inc.Title, "No heartbeat") {
		t.Fatalf("incident = %q", inc.Title)
	}
	h.expectPaths("/alice")
	h.send("hb-checkout", ingest.Event{})
	if inc = h.onlyIncident(); inc.Open() {
		t.Fatal("a beat did not resolve the heartbeat incident")
	}

	// Alertmanager never resolves silenced alerts: auto_resolve after 1h quiet.
	h.send("am-checkout", ingest.Event{Action: ingest.ActionTrigger, DedupKey: "fp1", Summary: "latency", Severity: "warning"})
	h.clock.Add(59 * time.Minute)
	h.tick()
	open, _ := h.store.ListAlerts(h.ctx, store.AlertQuery{DedupKey: "fp1", Statuses: []alert.Status{alert.StatusTriggered}})
	if len(open) != 1 {
		t.Fatal("alert resolved before its quiet time")
	}
	h.clock.Add(2 * time.Minute)
	h.tick()
	open, _ = h.store.ListAlerts(h.ctx, store.AlertQuery{DedupKey: "fp1", Statuses: []alert.Status{alert.StatusTriggered}})
	if len(open) != 0 {
		t.Fatal("quiet alert was not auto-resolved")
	}
}

func TestGroupingByComponentWithinWindow(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	b := testBundle(h.recv.srv.URL)
	b.Services[0].Grouping = &catalog.Grouping{By: catalog.GroupByComponent, Window: mustDur("10m")}
	if _, err := h.org.Apply(h.ctx, b, "test", false); err != nil {
		t.Fatal(err)
	}
	ev := func(dedup, component string) ingest.Event {
		return ingest.Event{Action: ingest.ActionTrigger, DedupKey: dedup, Summary: dedup, Source: "x", Severity: "critical", Component: component}
	}
	h.send(pdKey, ev("a", "db"))
	h.send(pdKey, ev("b", "db"))  // joins
	h.send(pdKey, ev("c", "web")) // another component: its own incident
	h.clock.Add(11 * time.Minute)
	h.send(pdKey, ev("d", "db")) // outside the window: its own incident
	incs, _ := h.store.ListIncidents(h.ctx, store.IncidentQuery{})
	if len(incs) != 3 {
		t.Fatalf("incidents = %d, want 3", len(incs))
	}
	first := incs[len(incs)-1]
	if first.AlertCount != 2 {
		t.Fatalf("first incident has %d alerts, want 2", first.AlertCount)
	}
}

func TestReassignAndSnooze(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.trigger("r", alert.SeverityCritical)
	h.tick()
	inc := h.onlyIncident()
	if _, err := h.p.Incidents.Reassign(h.ctx, inc.ID, "gina", "", Actor{Name: "user:alice"}); err != nil {
		t.Fatal(err)
	}
	h.tick()
	h.expectPaths("/alice", "/gina")
	if _, err := h.p.Incidents.Snooze(h.ctx, inc.ID, 30*time.Minute, Actor{Name: "user:gina"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(29 * time.Minute)
	h.tick()
	h.expectPaths("/alice", "/gina")
	h.clock.Add(2 * time.Minute) // the snooze is over: escalation starts over
	h.tick()
	h.expectPaths("/alice", "/gina", "/alice")
	if got := h.onlyIncident().Status; got != alert.StatusTriggered {
		t.Fatalf("status after snooze = %s", got)
	}
	if _, err := h.p.Incidents.Snooze(h.ctx, inc.ID, 0, Actor{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("zero snooze = %v", err)
	}
}

func TestEventLinksAndImagesReachTheAlert(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	links := []ingest.Link{{Href: "https://grafana.example/d/1", Text: "Dashboard"}, {Href: "https://runbook.example"}}
	images := []ingest.Image{{Src: "https://img.example/p.png", Href: "https://img.example", Alt: "graph"}}
	h.send(pdKey, ingest.Event{Action: ingest.ActionTrigger, DedupKey: "l", Summary: "slow", Severity: "critical", Links: links, Images: images})
	as, err := h.store.ListAlerts(h.ctx, store.AlertQuery{DedupKey: "l"})
	if err != nil || len(as) != 1 {
		t.Fatalf("alerts = %+v, %v", as, err)
	}
	if !reflect.DeepEqual(as[0].Links, links) || !reflect.DeepEqual(as[0].Images, images) {
		t.Fatalf("alert links %+v images %+v, want %+v %+v", as[0].Links, as[0].Images, links, images)
	}

	body, _ := json.Marshal(ingest.ChangeEvent{Summary: "deployed", Links: links})
	if err := h.store.AppendInbox(h.ctx, []store.InboxEvent{{ReceivedAt: h.clock.Now(), Kind: store.InboxChange,
		IntegrationKey: pdKey, Service: "checkout", Payload: body}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.Processor.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	cs, err := h.store.ListChanges(h.ctx, store.ChangeQuery{Services: []string{"checkout"}, Limit: 10})
	if err != nil || len(cs) != 1 || !reflect.DeepEqual(cs[0].Links, links) {
		t.Fatalf("changes = %+v, %v; want one with links %+v", cs, err, links)
	}
}

// TestEverySeverityChangeIsOnTheTimeline: an incident whose severity rises
// because a worse alert joins it (grouping, correlation) or a worse
// incident is merged into it says so on its timeline.
func TestEverySeverityChangeIsOnTheTimeline(t *testing.T) {
	severityEntries := func(h *harness, id int64) []string {
		var out []string
		for _, e := range h.timeline(id) {
			if e.Kind == incident.EntrySeverity {
				out = append(out, e.Message)
			}
		}
		return out
	}
	t.Run("grouping", func(t *testing.T) {
		h := newHarness(t, thursdayNoon)
		b := testBundle(h.recv.srv.URL)
		b.Services[0].Grouping = &catalog.Grouping{By: catalog.GroupByComponent, Window: mustDur("10m")}
		h.apply(b)
		ev := func(dedup string, severity alert.Severity) ingest.Event {
			return ingest.Event{Action: ingest.ActionTrigger, DedupKey: dedup, Summary: dedup, Source: "x", Severity: severity, Component: "db"}
		}
		h.send(pdKey, ev("a", alert.SeverityError))
		h.send(pdKey, ev("b", alert.SeverityCritical))
		h.send(pdKey, ev("c", alert.SeverityWarning)) // milder: no change
		inc := h.onlyIncident()
		want := []string{"severity changed from SEV3 to SEV2: a critical alert on checkout was grouped into it"}
		if got := severityEntries(h, inc.ID); inc.Severity != incident.SEV2 || !reflect.DeepEqual(got, want) {
			t.Fatalf("incident %s with severity entries %q, want SEV2 with %q", inc.Severity, got, want)
		}
	})
	t.Run("correlation and merge", func(t *testing.T) {
		h := newHarness(t, thursdayNoon)
		h.apply(irtBundle(h.recv.srv.URL, nil))
		h.send("gen-storage", ingest.Event{Action: ingest.ActionTrigger, DedupKey: "s", Summary: "storage slow", Severity: alert.SeverityError})
		h.send("gen-payments", ingest.Event{Action: ingest.ActionTrigger, DedupKey: "p", Summary: "payments down", Severity: alert.SeverityCritical})
		h.send("gen-mail", ingest.Event{Action: ingest.ActionTrigger, DedupKey: "m", Summary: "mail down", Severity: alert.SeverityCritical})
		incs, err := h.store.ListIncidents(h.ctx, store.IncidentQuery{})
		if err != nil || len(incs) != 2 {
			t.Fatalf("incidents = %d (%v), want 2: storage with payments, and mail", len(incs), err)
		}
		mail, storage := incs[0], incs[1]
		want := []string{"severity changed from SEV3 to SEV2: a critical alert on payments was correlated into it"}
		if got := severityEntries(h, storage.ID); storage.Severity != incident.SEV2 || !reflect.DeepEqual(got, want) {
			t.Fatalf("correlated incident %s with severity entries %q, want SEV2 with %q", storage.Severity, got, want)
		}
		if _, err := h.p.Incidents.SetSeverity(h.ctx, mail.ID, incident.SEV1, Actor{Name: "user:gina", Channel: "api"}); err != nil {
			t.Fatal(err)
		}
		merged, err := h.p.Incidents.Merge(h.ctx, storage.ID, mail.ID, Actor{Name: "user:gina", Channel: "api"})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("severity changed from SEV2 to SEV1: incident %d (SEV1) was merged into it", mail.ID))
		if got := severityEntries(h, storage.ID); merged.Severity != incident.SEV1 || !reflect.DeepEqual(got, want) {
			t.Fatalf("merged incident %s with severity entries %q, want SEV1 with %q", merged.Severity, got, want)
		}
		if got := severityEntries(h, mail.ID); !reflect.DeepEqual(got, []string{"severity changed from SEV2 to SEV1"}) {
			t.Fatalf("the incident raised by hand has severity entries %q", got)
		}
	})
}
