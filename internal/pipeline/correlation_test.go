package pipeline

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/store"
)

// correlationBundle is a company of twelve services, every edge hard:
//
//	checkout (shop) -> payments (pay) -> ledger (pay) -> storage
//	orders (shop), billing (pay), reports (data) -> db (infra) -> storage
//	search (shop), mail (data), images (data), audit (infra) -> storage
//
// storage (infra), below the other eleven, is a hub; db, below three, is
// not. Each team's policy pages its one member; gina is the global IRT.
func correlationBundle(hook string) *config.Bundle {
	b := &config.Bundle{}
	for team, user := range map[string]string{"shop": "alice", "pay": "bob", "infra": "carl", "data": "dora", "irt-global": "gina"} {
		kind := catalog.KindDev
		if team == "irt-global" {
			kind = catalog.KindGlobalIRT
		}
		b.Users = append(b.Users, catalog.User{ID: user, TimeZone: "UTC", ContactMethods: []catalog.ContactMethod{{ID: user + "-hook", Type: "webhook", URL: hook + "/" + user}}})
		b.Teams = append(b.Teams, catalog.Team{ID: team, Kind: kind, Members: []string{user}, EscalationPolicy: team})
		b.EscalationPolicies = append(b.EscalationPolicies, escalation.Policy{ID: team, Steps: []escalation.Step{
			{Targets: []escalation.Target{{User: user}}, EscalateAfter: mustDur("30m")}}})
	}
	for _, s := range []struct{ id, owner, needs string }{
		{"checkout", "shop", "payments"}, {"payments", "pay", "ledger"}, {"ledger", "pay", "storage"},
		{"orders", "shop", "db"}, {"billing", "pay", "db"}, {"reports", "data", "db"}, {"db", "infra", "storage"},
		{"search", "shop", "storage"}, {"mail", "data", "storage"}, {"images", "data", "storage"}, {"audit", "infra", "storage"},
		{"storage", "infra", ""},
	} {
		svc := catalog.Service{ID: s.id, Owner: s.owner, Integrations: []catalog.Integration{{Type: "generic", Key: "gen-" + s.id}}}
		if s.needs != "" {
			svc.DependsOn = []catalog.Dependency{{Service: s.needs, Kind: catalog.Hard}}
		}
		b.Services = append(b.Services, svc)
	}
	return b
}

// changeOn reports a deploy of a service made at at, arriving now.
func (h *harness) changeOn(service string, at time.Time) {
	h.t.Helper()
	body, _ := json.Marshal(ingest.ChangeEvent{Summary: service + " deployed", Source: "ci", Timestamp: at})
	if err := h.store.AppendInbox(h.ctx, []store.InboxEvent{{ReceivedAt: h.clock.Now(), Kind: store.InboxChange,
		IntegrationKey: "gen-" + service, Service: service, Payload: body}}); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.p.Processor.RunOnce(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

// open returns the open incidents, oldest first.
func (h *harness) open() []incident.Incident {
	h.t.Helper()
	incs, err := h.store.ListIncidents(h.ctx, store.IncidentQuery{})
	if err != nil {
		h.t.Fatal(err)
	}
	slices.Reverse(incs)
	return slices.DeleteFunc(incs, func(inc incident.Incident) bool { return !inc.Open() })
}

// entries returns an incident's timeline messages of one kind.
func (h *harness) entries(id int64, kind string) []string {
	var out []string
	for _, e := range h.timeline(id) {
		if e.Kind == kind {
			out = append(out, e.Message)
		}
	}
	return out
}

// correlationCase alerts on services a minute apart (a change event when
// the name starts with "deploy "), then checks the open incidents.
func correlationCase(t *testing.T, steps ...string) (*harness, []incident.Incident) {
	h := newHarness(t, thursdayNoon)
	h.apply(correlationBundle(h.recv.srv.URL))
	for i, s := range steps {
		if i > 0 {
			h.clock.Add(time.Minute)
		}
		if service, ok := strings.CutPrefix(s, "deploy "); ok {
			h.changeOn(service, h.clock.Now())
			continue
		}
		h.alertOn(s, "down")
		h.tick()
	}
	return h, h.open()
}

func servicesOf(incs []incident.Incident) string {
	var out []string
	for _, inc := range incs {
		out = append(out, strings.Join(inc.Services, "+"))
	}
	return strings.Join(out, " ")
}

func TestACascadeJoinsOneMajorIncident(t *testing.T) {
	h, incs := correlationCase(t, "ledger", "payments", "checkout")
	if got := servicesOf(incs); got != "ledger+payments+checkout" {
		t.Fatalf("open incidents = %s, want one of ledger, payments and checkout", got)
	}
	inc := incs[0]
	if !inc.Major || inc.Suspects[0].Service != "ledger" {
		t.Errorf("major %v, suspects %+v; want major (shop and pay), ledger first", inc.Major, inc.Suspects)
	}
	want := []string{
		"alert on payments correlated into this incident: payments depends on ledger",
		"alert on checkout correlated into this incident: checkout depends on ledger",
	}
	if got := h.entries(inc.ID, incident.EntryMerged); !slices.Equal(got, want) {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	h.expectPaths("/bob", "/alice", "/gina") // pay, then shop, then the IRT for a major incident
}

func TestAlertsSharingOnlyAHubStayApart(t *testing.T) {
	h, incs := correlationCase(t, "search", "mail", "deploy storage", "audit")
	if got := servicesOf(incs); got != "search mail audit" {
		t.Fatalf("open incidents = %s, want three: search, mail and audit share only storage, a hub, deployed or not", got)
	}
	for _, inc := range incs {
		if inc.Major || len(inc.Related) != 0 {
			t.Errorf("incident on %s: major %v, related %+v; want neither", inc.Service, inc.Major, inc.Related)
		}
	}
	h.expectPaths("/alice", "/dora", "/carl")
}

func TestIncidentsSharingADependencyAreRelated(t *testing.T) {
	h, incs := correlationCase(t, "orders", "billing")
	if got := servicesOf(incs); got != "orders billing" {
		t.Fatalf("open incidents = %s, want orders and billing apart: db, which they share, shows no sign of trouble", got)
	}
	orders, billing := incs[0], incs[1]
	reason := "billing and orders both depend on db, which shows no sign of trouble"
	if want := []incident.Related{{Incident: billing.ID, Via: []string{"db"}, Reason: reason}}; !relatedEqual(orders.Related, want) {
		t.Errorf("orders' related = %+v, want %+v", orders.Related, want)
	}
	if want := []incident.Related{{Incident: orders.ID, Via: []string{"db"}, Reason: reason}}; !relatedEqual(billing.Related, want) {
		t.Errorf("billing's related = %+v, want %+v", billing.Related, want)
	}
	for _, c := range []struct {
		inc   incident.Incident
		other string
	}{{orders, "billing"}, {billing, "orders"}} {
		got := h.entries(c.inc.ID, incident.EntryRelated)
		want := "related to incident " + itoa(otherID(c.inc, incs)) + " (" + c.other + "): " + reason + "; merge them if they are one failure"
		if len(got) != 1 || got[0] != want {
			t.Errorf("incident on %s: related entries %q, want %q", c.inc.Service, got, want)
		}
		if c.inc.Major {
			t.Errorf("incident on %s is major", c.inc.Service)
		}
	}

	// A responder merges them with one action.
	merged, err := h.p.Incidents.Merge(h.ctx, orders.ID, billing.ID, Actor{Name: "user:alice", Channel: "api"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(merged.Services, "+") != "orders+billing" || len(merged.Related) != 0 {
		t.Errorf("merged: services %v, related %+v; want both services, related to nothing", merged.Services, merged.Related)
	}
}

func relatedEqual(a, b []incident.Related) bool {
	return slices.EqualFunc(a, b, func(x, y incident.Related) bool {
		return x.Incident == y.Incident && slices.Equal(x.Via, y.Via) && x.Reason == y.Reason
	})
}

func otherID(inc incident.Incident, incs []incident.Incident) int64 {
	for _, o := range incs {
		if o.ID != inc.ID {
			return o.ID
		}
	}
	return 0
}

func itoa(id int64) string { b, _ := json.Marshal(id); return string(b) }

// Evidence for the dependency two incidents share joins them, whenever it
// comes, and the dependency becomes their first suspect.
func TestEvidenceOnASharedDependencyJoins(t *testing.T) {
	for _, c := range []struct {
		name   string
		steps  []string
		reason string // on the incident that stays
	}{
		{"a deploy just before", []string{"deploy db", "orders", "billing"},
			"alert on billing correlated into this incident: billing shares db with the incident, and db changed just before"},
		{"a deploy reported late", nil,
			"incident 2 (billing, 1 alerts) correlated into this one: db changed just before the incidents began (db deployed), and each depends on it"},
		{"the dependency alerts after them", []string{"orders", "billing", "db"},
			"incident 2 (billing, 1 alerts) correlated into this one: db alerted, and billing depends on db"},
		{"three services fail below it", []string{"orders", "billing", "reports"},
			"incident 2 (billing, 1 alerts) correlated into this one: reports alerted, and reports shares db with the incident, and at least 3 services that need db fail at once"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h *harness
			var incs []incident.Incident
			if c.steps == nil {
				h, _ = correlationCase(t, "orders", "billing")
				h.clock.Add(time.Minute)
				h.changeOn("db", h.clock.Now().Add(-4*time.Minute)) // a minute before orders
				incs = h.open()
			} else {
				h, incs = correlationCase(t, c.steps...)
			}
			if len(incs) != 1 {
				t.Fatalf("open incidents = %s, want one", servicesOf(incs))
			}
			inc := incs[0]
			if !slices.Contains(inc.Services, "orders") || !slices.Contains(inc.Services, "billing") || !inc.Major || len(inc.Related) != 0 {
				t.Errorf("incident: services %v, major %v, related %+v; want orders and billing, major, related to nothing", inc.Services, inc.Major, inc.Related)
			}
			if inc.Suspects[0].Service != "db" {
				t.Errorf("first suspect %+v, want db", inc.Suspects[0])
			}
			if got := h.entries(inc.ID, incident.EntryMerged); !slices.Contains(got, c.reason) {
				t.Errorf("timeline:\n%s\nlacks %q", strings.Join(got, "\n"), c.reason)
			}
		})
	}
}

// A deploy long before the first alert, outside the window, is no
// evidence: the incidents stay related.
func TestAnOldDeployIsNoEvidence(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.apply(correlationBundle(h.recv.srv.URL))
	h.changeOn("db", thursdayNoon.Add(-6*time.Minute))
	h.alertOn("orders", "down")
	h.clock.Add(time.Minute)
	h.alertOn("billing", "down")
	if got := servicesOf(h.open()); got != "orders billing" {
		t.Errorf("open incidents = %s, want orders and billing apart", got)
	}
}
