package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/store"
)

// irtBundle is a small organisation:
//
//	checkout (revenue-critical, team shop: alice) -hard-> payments (team pay: bob) -hard-> storage (team infra: carl)
//	search (team shop) -hard-> storage
//	mail (team pay), linked to nothing
//
// irt-core (ivan) covers checkout; irt-global (gina) covers everything else.
// Every team's policy pages its members one step, then repeats nothing.
func irtBundle(hook string, coverage *catalog.Coverage) *config.Bundle {
	user := func(id string) catalog.User {
		return catalog.User{ID: id, TimeZone: "UTC", ContactMethods: []catalog.ContactMethod{{ID: id + "-hook", Type: "webhook", URL: hook + "/" + id}}}
	}
	team := func(id, kind string, members ...string) catalog.Team {
		return catalog.Team{ID: id, Kind: kind, Members: members, EscalationPolicy: id + "-policy"}
	}
	policy := func(id string, users ...string) escalation.Policy {
		var targets []escalation.Target
		for _, u := range users {
			targets = append(targets, escalation.Target{User: u})
		}
		return escalation.Policy{ID: id + "-policy", Steps: []escalation.Step{
			{Targets: targets, EscalateAfter: mustDur("10m")},
			{Targets: []escalation.Target{{User: "zed"}}, EscalateAfter: mustDur("10m")},
		}}
	}
	irtCore := team("irt-core", "irt", "ivan")
	irtCore.Covers = []string{"checkout"}
	hard := func(id string) []catalog.Dependency { return []catalog.Dependency{{Service: id, Kind: "hard"}} }
	key := func(id string) []catalog.Integration {
		return []catalog.Integration{{Type: "generic", Key: "gen-" + id}}
	}
	return &config.Bundle{
		Users: []catalog.User{user("alice"), user("bob"), user("carl"), user("ivan"), user("gina"), user("zed")},
		Teams: []catalog.Team{team("shop", "dev", "alice"), team("pay", "dev", "bob"), team("infra", "dev", "carl"),
			irtCore, team("irt-global", "global-irt", "gina")},
		EscalationPolicies: []escalation.Policy{policy("shop", "alice"), policy("pay", "bob"), policy("infra", "carl"),
			policy("irt-core", "ivan"), policy("irt-global", "gina")},
		Services: []catalog.Service{
			{ID: "checkout", Owner: "shop", RevenueCritical: true, Coverage: coverage, DependsOn: hard("payments"), Integrations: key("checkout")},
			{ID: "payments", Owner: "pay", DependsOn: hard("storage"), Integrations: key("payments")},
			{ID: "storage", Owner: "infra", Integrations: key("storage")},
			{ID: "search", Owner: "shop", DependsOn: hard("storage"), Integrations: key("search")},
			{ID: "mail", Owner: "pay", Integrations: key("mail")},
		},
	}
}

func (h *harness) alertOn(service, dedup string) {
	h.t.Helper()
	h.send("gen-"+service, ingest.Event{Action: ingest.ActionTrigger, DedupKey: dedup, Summary: service + " " + dedup, Severity: "critical"})
}

func TestCoverageModes(t *testing.T) {
	tests := []struct {
		name      string
		service   string
		coverage  *catalog.Coverage
		at0, at5  string // deliveries at once, and after 5 more minutes
		at10      string // and at 10 minutes
		commander string
	}{
		// checkout is covered by irt-core: parallel pages ivan with alice.
		{"parallel", "checkout", nil, "/alice,/ivan", "/alice,/ivan", "/alice,/ivan,/zed", "ivan"},
		// backup: ivan only when unacknowledged after 5 minutes.
		{"backup", "checkout", &catalog.Coverage{Mode: "backup", After: mustDur("5m")}, "/alice", "/alice,/ivan", "/alice,/ivan,/zed", ""},
		// primary: ivan first; the owner after the IRT's first delay (10m).
		{"primary", "checkout", &catalog.Coverage{Mode: "primary"}, "/ivan", "/ivan", "/ivan,/alice", "ivan"},
		// payments is critical through checkout, covered by the global IRT.
		{"global covers the rest", "payments", nil, "/bob,/gina", "/bob,/gina", "/bob,/gina,/zed", "gina"},
		// search is not critical: no IRT, ever.
		{"not critical", "search", nil, "/alice", "/alice", "/alice,/zed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, thursdayNoon)
			h.apply(irtBundle(h.recv.srv.URL, tt.coverage))
			h.alertOn(tt.service, "x")
			h.tick()
			h.expectPaths(strings.Split(tt.at0, ",")...)
			h.clock.Add(5 * time.Minute)
			h.tick()
			h.expectPaths(strings.Split(tt.at5, ",")...)
			h.clock.Add(5 * time.Minute)
			h.tick()
			h.expectPaths(strings.Split(tt.at10, ",")...)
			if got := h.onlyIncident().Roles["commander"]; got != tt.commander {
				t.Fatalf("commander = %q, want %q", got, tt.commander)
			}
		})
	}
}

func TestCorrelationAcrossTeamsMakesAMajorIncident(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.apply(irtBundle(h.recv.srv.URL, nil))
	// storage was deployed ten minutes before the first alert.
	err := h.store.Update(h.ctx, func(tx store.Tx) error {
		return tx.InsertChange(&change.Event{Service: "storage", Summary: "storage v9", At: thursdayNoon.Add(-3 * time.Minute), ReceivedAt: thursdayNoon})
	})
	if err != nil {
		t.Fatal(err)
	}
	h.alertOn("search", "a") // shop
	h.tick()
	h.clock.Add(time.Minute)
	h.alertOn("payments", "b") // pay: shares storage with search
	h.tick()
	h.clock.Add(time.Minute)
	h.alertOn("mail", "c") // linked to nothing: its own incident
	h.tick()

	incs, _ := h.store.ListIncidents(h.ctx, store.IncidentQuery{})
	if len(incs) != 2 {
		t.Fatalf("incidents = %d, want 2", len(incs))
	}
	mail, merged := incs[0], incs[1]
	if strings.Join(mail.Services, ",") != "mail" || mail.Major {
		t.Fatalf("mail incident = %+v", mail)
	}
	if strings.Join(merged.Services, ",") != "search,payments" || !merged.Major {
		t.Fatalf("merged incident services=%v major=%v", merged.Services, merged.Major)
	}
	if merged.Roles["commander"] != "gina" {
		t.Fatalf("commander = %q, want the global IRT's gina", merged.Roles["commander"])
	}
	if len(merged.Suspects) == 0 || merged.Suspects[0].Service != "storage" || len(merged.Suspects[0].Changes) != 1 {
		t.Fatalf("suspects = %+v, want storage first with its deploy", merged.Suspects)
	}
	// Pages: alice (search); then bob (payments' owner) and the global IRT
	// (gina) for the major incident; then bob again for mail, which is not
	// critical.
	h.expectPaths("/alice", "/bob", "/bob", "/gina")
	tl, _ := h.store.Timeline(h.ctx, merged.ID)
	var major bool
	for _, e := range tl {
		if e.Kind == "major" && strings.Contains(e.Message, "2 teams") {
			major = true
		}
	}
	if !major {
		t.Fatal("the timeline does not say why the incident became major")
	}
	if got := h.alertStatus("b"); got != alert.StatusTriggered {
		t.Fatalf("payments alert = %s", got)
	}
}

func (h *harness) alertStatus(dedup string) alert.Status {
	as, _ := h.store.ListAlerts(h.ctx, store.AlertQuery{DedupKey: dedup})
	if len(as) == 0 {
		return ""
	}
	return as[0].Status
}
