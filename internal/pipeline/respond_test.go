package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/store"
)

func TestDeclareSEV1PagesTheGlobalIRT(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.apply(irtBundle(h.recv.srv.URL, nil))
	inc, err := h.p.Incidents.Declare(h.ctx, Declaration{Title: "site down", Services: []string{"search"}, Severity: "SEV1"}, Actor{Name: "user:alice", Channel: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if !inc.Major || inc.Roles["commander"] != "gina" {
		t.Fatalf("declared SEV1: major=%v roles=%v", inc.Major, inc.Roles)
	}
	h.tick()
	h.expectPaths("/alice", "/gina") // search's owner, and the global IRT
	bad := []Declaration{
		{Services: []string{"search"}},
		{Title: "x"},
		{Title: "x", Services: []string{"nope"}},
		{Title: "x", Services: []string{"search"}, Severity: "SEV0"},
	}
	for _, d := range bad {
		if _, err := h.p.Incidents.Declare(h.ctx, d, Actor{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Declare(%+v) = %v, want ErrInvalid", d, err)
		}
	}
}

func TestRolesPagesUpdatesMergeSplit(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.apply(irtBundle(h.recv.srv.URL, nil))
	h.alertOn("search", "a")
	h.alertOn("mail", "b") // unrelated: its own incident
	h.tick()
	incs, _ := h.store.ListIncidents(h.ctx, store.IncidentQuery{})
	mail, search := incs[0], incs[1]
	by := Actor{Name: "user:alice", Channel: "api"}

	if _, err := h.p.Incidents.AssignRole(h.ctx, search.ID, "commander", "alice", by); err != nil {
		t.Fatal(err)
	}
	inc, err := h.p.Incidents.AssignRole(h.ctx, search.ID, "commander", "carl", by)
	if err != nil || inc.Roles["commander"] != "carl" {
		t.Fatalf("handover: %v %v", inc.Roles, err)
	}
	if _, err := h.p.Incidents.AssignRole(h.ctx, search.ID, "captain", "carl", by); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad role = %v", err)
	}
	if _, err := h.p.Incidents.Page(h.ctx, search.ID, PageRequest{Team: "infra", Message: "storage looks slow"}, by); err != nil {
		t.Fatal(err)
	}
	h.tick()
	h.expectPaths("/alice", "/bob", "/carl")
	if _, err := h.p.Incidents.Subscribe(h.ctx, search.ID, "zed", by); err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.Incidents.PostUpdate(h.ctx, search.ID, "failing over storage", AudienceInternal, by); err != nil {
		t.Fatal(err)
	}
	h.tick()
	h.expectPaths("/alice", "/bob", "/carl", "/alice", "/carl") // responders only
	if _, err := h.p.Incidents.PostUpdate(h.ctx, search.ID, "recovering", AudienceStakeholders, by); err != nil {
		t.Fatal(err)
	}
	h.tick()
	h.expectPaths("/alice", "/bob", "/carl", "/alice", "/carl", "/alice", "/carl", "/zed")
	var update map[string]any
	for _, d := range h.recv.got {
		if d.Path == "/zed" {
			update = d.Body
		}
	}
	if update["kind"] != notify.KindUpdate || !strings.Contains(update["incident"].(map[string]any)["summary"].(string), "recovering") {
		t.Fatalf("stakeholder update payload = %v", update)
	}

	merged, err := h.p.Incidents.Merge(h.ctx, search.ID, mail.ID, by)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(merged.Services, ",") != "search,mail" || merged.AlertCount != 2 {
		t.Fatalf("merged = services %v, %d alerts", merged.Services, merged.AlertCount)
	}
	gone, _ := h.store.GetIncident(h.ctx, mail.ID)
	if gone.Open() {
		t.Fatal("the merged incident is still open")
	}
	alerts, _ := h.store.ListAlerts(h.ctx, store.AlertQuery{IncidentID: search.ID})
	var mailAlert int64
	for _, a := range alerts {
		if a.Service == "mail" {
			mailAlert = a.ID
		}
	}
	split, err := h.p.Incidents.Split(h.ctx, search.ID, []int64{mailAlert}, by)
	if err != nil {
		t.Fatal(err)
	}
	if split.Service != "mail" || split.ID == search.ID {
		t.Fatalf("split = %+v", split)
	}
	after, _ := h.store.GetIncident(h.ctx, search.ID)
	if strings.Join(after.Services, ",") != "search" || after.AlertCount != 1 {
		t.Fatalf("after split: services %v, %d alerts", after.Services, after.AlertCount)
	}
	if _, err := h.p.Incidents.Split(h.ctx, search.ID, []int64{alerts[0].ID, alerts[1].ID}, by); !errors.Is(err, ErrInvalid) {
		t.Fatalf("splitting off everything = %v", err)
	}
	audit, _ := h.store.ListAudit(h.ctx, store.AuditQuery{Kind: "incident"})
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "incident.merge") || !strings.Contains(got, "incident.split") || !strings.Contains(got, "incident.role") {
		t.Fatalf("audit = %s", got)
	}
	tl, _ := h.store.Timeline(h.ctx, search.ID)
	var kinds []string
	for _, e := range tl {
		kinds = append(kinds, e.Kind)
	}
	for _, want := range []string{incident.EntryRole, incident.EntryUpdate, incident.EntryMerged} {
		if !strings.Contains(strings.Join(kinds, ","), want) {
			t.Errorf("timeline %v lacks %s", kinds, want)
		}
	}
}

func TestResponders(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.apply(irtBundle(h.recv.srv.URL, nil))
	cov, rs, _ := routing.Responders(h.p.env.oncall, h.org.Snapshot(), "checkout", thursdayNoon)
	var got []string
	for _, r := range rs {
		got = append(got, r.User+"@"+r.After.String())
	}
	if strings.Join(got, ",") != "alice@0s,ivan@0s,zed@10m0s" || !cov.Critical || cov.IRT.ID != "irt-core" {
		t.Fatalf("responders = %v, coverage %+v", got, cov)
	}
	if !strings.Contains(rs[1].Why, "checkout") || !rs[1].IRT {
		t.Fatalf("IRT responder = %+v", rs[1])
	}
	_, rs, _ = routing.Responders(h.p.env.oncall, h.org.Snapshot(), "search", thursdayNoon.Add(time.Hour))
	if len(rs) != 2 || rs[0].User != "alice" || rs[0].IRT {
		t.Fatalf("non-critical responders = %+v", rs)
	}
}
