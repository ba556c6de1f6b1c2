package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/store"
)

// TestUpdateRerunsADeadlockedTransaction takes an alert's and its
// incident's locks in opposite orders in two transactions, which
// PostgreSQL aborts as a deadlock: both updates must still succeed.
func TestUpdateRerunsADeadlockedTransaction(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	s := openTestStore(t, freshSchema(t))
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	inc := &incident.Incident{Title: "t", Status: alert.StatusTriggered, Severity: "SEV2", Urgency: "high", Service: "svc", Services: []string{"svc"}, CreatedAt: now, UpdatedAt: now}
	a := &alert.Alert{Service: "svc", IntegrationKey: "k", DedupKey: "d", Summary: "s", Severity: "error", Status: alert.StatusTriggered, Count: 1, CreatedAt: now, UpdatedAt: now, LastEventAt: now}
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.InsertIncident(inc); err != nil {
			return err
		}
		a.IncidentID = inc.ID
		return tx.InsertAlert(a)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each transaction takes its first lock, waits for the other to have
	// its own (on the first run only), then asks for the other's.
	var firstLocks sync.WaitGroup
	firstLocks.Add(2)
	var once [2]sync.Once
	arrive := func(i int) {
		once[i].Do(func() {
			firstLocks.Done()
			firstLocks.Wait()
		})
	}
	errs := make(chan error, 2)
	go func() {
		errs <- s.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.OpenAlert("k", "d"); err != nil {
				return err
			}
			arrive(0)
			_, err := tx.GetIncident(inc.ID)
			return err
		})
	}()
	go func() {
		errs <- s.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.GetIncident(inc.ID); err != nil {
				return err
			}
			arrive(1)
			_, err := tx.OpenAlert("k", "d")
			return err
		})
	}()
	for i := 0; i < 2; i++ {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatalf("update failed: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("updates did not finish")
		}
	}
}
