package release

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/gate"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// shop: checkout (owned by storefront, Berlin, DE) needs payments hard and
// fraud soft; payments needs ledger hard. The org, the team and checkout
// each have a freeze.
func shop() *org.Snapshot {
	freeze := func(id string) catalog.Freeze { return catalog.Freeze{ID: id, Every: "fri 16:00-23:59", Reason: id} }
	return org.SnapshotOf(&config.Bundle{
		Org:   catalog.Org{Freezes: []catalog.Freeze{freeze("org-wide")}},
		Teams: []catalog.Team{{ID: "storefront", Kind: catalog.KindDev, TimeZone: "Europe/Berlin", Country: "DE", Freezes: []catalog.Freeze{freeze("team")}}},
		Services: []catalog.Service{
			{ID: "checkout", Owner: "storefront", Freezes: []catalog.Freeze{freeze("service")},
				DependsOn: []catalog.Dependency{{Service: "payments", Kind: catalog.Hard}, {Service: "fraud", Kind: catalog.Soft}}},
			{ID: "payments", Owner: "storefront", DependsOn: []catalog.Dependency{{Service: "ledger", Kind: catalog.Hard}}},
			{ID: "ledger", Owner: "storefront"},
			{ID: "fraud", Owner: "storefront"},
		},
	})
}

func TestInput(t *testing.T) {
	snap := shop()
	open := []incident.Incident{
		{ID: 7, Title: "ledger slow", Severity: incident.SEV2, Service: "ledger", Services: []string{"ledger", "payments"}},
		{ID: 8, Title: "declared", Severity: incident.SEV1, Services: []string{"fraud"}},
	}
	overrides := []store.GateOverride{{ID: 3, Service: "checkout", Reason: "hotfix", CreatedBy: "user:alice", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}}
	budgets := []gate.Budget{{SLO: "checkout-availability", Frozen: true}}
	in := Input(snap, snap.Service("checkout"), t0, budgets, open, overrides)

	var freezes []string
	for _, f := range in.Freezes {
		freezes = append(freezes, f.ID)
	}
	if got := strings.Join(freezes, ","); got != "org-wide,team,service" {
		t.Errorf("freezes %s, want the org's, the owner team's and the service's", got)
	}
	if in.Country != "DE" || in.TimeZone == nil || in.TimeZone.String() != "Europe/Berlin" {
		t.Errorf("country %q zone %v, want the owner team's DE and Europe/Berlin", in.Country, in.TimeZone)
	}
	if got := strings.Join(in.HardDependencies, ","); got != "ledger,payments" && got != "payments,ledger" {
		t.Errorf("hard dependencies %s, want payments and ledger (not fraud)", got)
	}
	wantIncidents := []gate.Incident{
		{ID: "7", Severity: incident.SEV2, Title: "ledger slow", Services: []string{"ledger", "ledger", "payments"}},
		{ID: "8", Severity: incident.SEV1, Title: "declared", Services: []string{"fraud"}},
	}
	if !reflect.DeepEqual(in.Incidents, wantIncidents) {
		t.Errorf("incidents %+v, want %+v", in.Incidents, wantIncidents)
	}
	wantOverrides := []gate.Override{{Reason: "hotfix", By: "user:alice", Start: t0, Expires: t0.Add(time.Hour)}}
	if !reflect.DeepEqual(in.Overrides, wantOverrides) || !reflect.DeepEqual(in.Budgets, budgets) || in.Service != "checkout" || !in.At.Equal(t0) {
		t.Errorf("input %+v", in)
	}
	// A service whose owner team is unknown has no calendar of its own.
	orphan := catalog.Service{ID: "orphan", Owner: "nobody"}
	if in := Input(snap, &orphan, t0, nil, nil, nil); in.Country != "" || in.TimeZone != nil || len(in.Freezes) != 1 {
		t.Errorf("a service without its team: country %q zone %v freezes %v", in.Country, in.TimeZone, in.Freezes)
	}
}

// overrideStore records the overrides granted.
type overrideStore struct {
	Store
	granted []store.GateOverride
}

func (s *overrideStore) CreateGateOverride(_ context.Context, o *store.GateOverride, _ store.AuditEntry) error {
	o.ID = int64(len(s.granted) + 1)
	s.granted = append(s.granted, *o)
	return nil
}

func TestGrant(t *testing.T) {
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	tests := []struct {
		name     string
		req      OverrideRequest
		problems string
		expires  time.Time
	}{
		{"for two hours", OverrideRequest{Service: "checkout", Reason: " hotfix ", ExpiresIn: "2h"}, "", t0.Add(2 * time.Hour)},
		{"until an instant", OverrideRequest{Service: "checkout", Reason: "hotfix", ExpiresAt: at(time.Hour)}, "", t0.Add(time.Hour)},
		{"no reason", OverrideRequest{Service: "checkout", Reason: "  ", ExpiresIn: "2h"}, "reason: required: say why releases must pass", time.Time{}},
		{"a reason too long", OverrideRequest{Service: "checkout", Reason: strings.Repeat("x", MaxReason+1), ExpiresIn: "1h"}, "reason: longer than 2000 bytes", time.Time{}},
		{"no end", OverrideRequest{Service: "checkout", Reason: "hotfix"}, "expires_at or expires_in is required: an override always ends", time.Time{}},
		{"both ends", OverrideRequest{Service: "checkout", Reason: "hotfix", ExpiresIn: "1h", ExpiresAt: at(time.Hour)}, "give expires_at or expires_in, not both", time.Time{}},
		{"a bad duration", OverrideRequest{Service: "checkout", Reason: "hotfix", ExpiresIn: "soon"}, "expires_in: ", time.Time{}},
		{"in the past", OverrideRequest{Service: "checkout", Reason: "hotfix", ExpiresAt: at(-time.Minute)}, "the expiry must be in the future", time.Time{}},
		{"longer than a week", OverrideRequest{Service: "checkout", Reason: "hotfix", ExpiresIn: "8d"}, "an override lasts at most 1w", time.Time{}},
		{"every problem at once", OverrideRequest{Service: "checkout"}, "reason: required: say why releases must pass; expires_at or expires_in is required", time.Time{}},
	}
	for _, tt := range tests {
		st := &overrideStore{}
		g := New(st, shop, nil, func() time.Time { return t0 })
		o, err := g.Grant(context.Background(), tt.req, "user:alice")
		var invalid *InvalidError
		switch {
		case tt.problems == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.problems == "" && (len(st.granted) != 1 || !o.ExpiresAt.Equal(tt.expires) || o.Reason != "hotfix" || o.CreatedBy != "user:alice"):
			t.Errorf("%s: granted %+v (%d stored), want until %s", tt.name, o, len(st.granted), tt.expires)
		case tt.problems != "" && (!errors.As(err, &invalid) || !strings.HasPrefix(strings.Join(invalid.Problems(), "; "), tt.problems) || len(st.granted) != 0):
			t.Errorf("%s: %v (%d stored), want problems starting %q", tt.name, err, len(st.granted), tt.problems)
		}
	}
}
