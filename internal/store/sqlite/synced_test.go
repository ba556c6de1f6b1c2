package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/store"
)

// An incident written several times in one transaction keeps its services
// index right, and what one transaction remembers does not leak into the
// next.
func TestIncidentServicesWrittenTwiceInOneTransaction(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	inc := &incident.Incident{Title: "t", Status: alert.StatusTriggered, Severity: incident.SEV2, Urgency: alert.UrgencyHigh,
		Service: "web", Services: []string{"web"}, CreatedAt: now, UpdatedAt: now}
	update := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	onService := func(service string) []int64 {
		t.Helper()
		incs, err := s.ListIncidents(ctx, store.IncidentQuery{Service: service, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, i := range incs {
			ids = append(ids, i.ID)
		}
		return ids
	}
	update(func(tx store.Tx) error {
		if err := tx.InsertIncident(inc); err != nil {
			return err
		}
		inc.UpdatedAt = now.Add(time.Second)
		if err := tx.UpdateIncident(inc); err != nil { // the same services
			return err
		}
		inc.Services = []string{"web", "cache"}
		return tx.UpdateIncident(inc)
	})
	if got := onService("web"); len(got) != 1 || got[0] != inc.ID {
		t.Errorf("incidents on web = %v, want [%d]", got, inc.ID)
	}
	if got := onService("cache"); len(got) != 1 || got[0] != inc.ID {
		t.Errorf("incidents on cache = %v, want [%d]", got, inc.ID)
	}
	// A transaction that rolls back leaves the services as they were...
	errRollback := errors.New("roll back")
	if err := s.Update(ctx, func(tx store.Tx) error {
		inc.Services = []string{"web"}
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		return errRollback
	}); !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v, want the rollback", err)
	}
	if got := onService("cache"); len(got) != 1 {
		t.Errorf("incidents on cache = %v after a rollback, want [%d]", got, inc.ID)
	}
	// ... and the next one writes the same change again.
	update(func(tx store.Tx) error {
		inc.Services = []string{"web"}
		return tx.UpdateIncident(inc)
	})
	if got := onService("cache"); len(got) != 0 {
		t.Errorf("incidents on cache = %v after cache left the incident, want none", got)
	}
}
