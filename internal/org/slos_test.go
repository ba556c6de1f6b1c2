package org

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/slo/slotest"
	"github.com/vigil-oncall/vigil/internal/store/sqlite"
	"github.com/vigil-oncall/vigil/internal/store/sqlite/sqlitetest"
)

const sloOrg = `users:
  - {id: alice, name: Alice, time_zone: UTC}
teams:
  - {id: shop, kind: dev, members: [alice]}
  - {id: irt, kind: global-irt, members: [alice]}
services:
  - {id: checkout, owner: shop}
---
` + slotest.CheckoutAvailability

func TestSLOsAreConfiguration(t *testing.T) {
	ctx := context.Background()
	st := sqlitetest.OpenPath(t, sqlite.MemoryPath)
	m := NewManager(st, func() time.Time { return time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC) })
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	good := config.LoadBytes("shop.yaml", []byte(sloOrg))
	changes, err := m.Apply(ctx, &good.Bundle, "test", false)
	if err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, c := range changes {
		if c.Kind == KindOpenSLO {
			created = append(created, c.Action+" "+c.ID)
		}
	}
	if strings.Join(created, ",") != "create SLO/checkout-availability" {
		t.Errorf("OpenSLO changes = %v", created)
	}
	snap := m.Snapshot()
	if s := snap.SLO("checkout-availability"); s == nil || s.Objective != 0.999 || len(snap.ServiceSLOs("checkout")) != 1 {
		t.Fatalf("snapshot SLOs = %+v", snap.SLOs())
	}
	if again, err := m.Apply(ctx, &good.Bundle, "test", false); err != nil || len(again) != 0 {
		t.Errorf("second apply = %v, %v; want no changes", again, err)
	}
	// A fresh manager reads the SLO back from the store.
	fresh := NewManager(st, time.Now)
	if err := fresh.Load(ctx); err != nil || fresh.Snapshot().SLO("checkout-availability") == nil {
		t.Fatalf("reloaded SLOs = %v, %v", fresh.Snapshot().SLOs(), err)
	}

	// A bad SLO refuses the whole write, with its file, line and field.
	bad := config.LoadBytes("shop.yaml", []byte(strings.Replace(sloOrg, "target: 0.999", "target: 0.999, op: nope", 1)))
	_, err = m.Apply(ctx, &bad.Bundle, "test", false)
	var invalid *InvalidError
	if !errors.As(err, &invalid) || len(invalid.Problems) == 0 || invalid.Problems[0].File != "shop.yaml" || invalid.Problems[0].Line != 23 {
		t.Fatalf("apply with a bad SLO = %v, want a problem at shop.yaml:23", err)
	}
	// So does removing the service an SLO names.
	noService := good.Bundle
	noService.Services = nil
	if _, err := m.Apply(ctx, &noService, "test", false); !errors.As(err, &invalid) || !strings.Contains(err.Error(), `unknown service "checkout"`) {
		t.Errorf("removing the SLO's service = %v, want refused", err)
	}
	// Two documents with one name are both kept for validation to see.
	dup := good.Bundle
	dup.OpenSLO = append(dup.OpenSLO, dup.OpenSLO[0])
	if _, err := m.Apply(ctx, &dup, "test", true); !errors.As(err, &invalid) || !strings.Contains(err.Error(), "duplicate SLO name") {
		t.Errorf("two SLOs of one name = %v, want refused", err)
	}
	// Removing the documents deletes the SLO.
	none := good.Bundle
	none.OpenSLO = nil
	if _, err := m.Apply(ctx, &none, "test", false); err != nil || len(m.Snapshot().SLOs()) != 0 {
		t.Errorf("apply without SLOs = %v, SLOs %v", err, m.Snapshot().SLOs())
	}
}
