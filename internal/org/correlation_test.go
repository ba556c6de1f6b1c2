package org

import (
	"fmt"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
)

// TestCorrelationFollowsTheHubShare: db sits below 12 of 25 services (48%):
// a hub only when org.correlation_hub_share is at most that.
func TestCorrelationFollowsTheHubShare(t *testing.T) {
	var services []catalog.Service
	for i := range 12 {
		services = append(services, catalog.Service{ID: fmt.Sprintf("s%d", i), DependsOn: []catalog.Dependency{{Service: "db", Kind: catalog.Hard}}})
		services = append(services, catalog.Service{ID: fmt.Sprintf("alone%d", i)})
	}
	services = append(services, catalog.Service{ID: "db"})
	for _, c := range []struct {
		share float64
		hub   bool
	}{{0, false}, {0.5, false}, {0.48, true}, {0.2, true}} {
		snap := SnapshotOf(&config.Bundle{Org: catalog.Org{CorrelationHubShare: c.share}, Services: services})
		x := snap.Correlation()
		if got := x.Hub("db"); got != c.hub {
			t.Errorf("correlation_hub_share %v: db is a hub: %v, want %v", c.share, got, c.hub)
		}
		if snap.Correlation() != x {
			t.Errorf("correlation_hub_share %v: the index is built again", c.share)
		}
	}
}
