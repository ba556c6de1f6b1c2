package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Bench measures the store's write and read paths; backends call it from a
// Benchmark function. newStore is as for Run.
func Bench(b *testing.B, newStore func(b *testing.B) store.Store) {
	body := []byte(`{"name":"Checkout","owner":"shop","tier":1,"integrations":[{"type":"pagerduty","key":"0123456789abcdef"}]}`)
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("ApplyChanges/%d_objects", size), func(b *testing.B) {
			s := newStore(b)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				changes := make([]store.Change, size)
				for i := range changes {
					n++
					changes[i] = store.Change{Object: store.Object{Kind: store.KindService, ID: fmt.Sprintf("svc-%d", n),
						Body: body, Source: store.SourceConfig, UpdatedAt: t0}}
				}
				audit := []store.AuditEntry{{At: t0, Actor: "config", Action: "config.apply", Details: "bench"}}
				if err := s.ApplyChanges(ctx, changes, audit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "objects/s")
		})
	}
	b.Run("ListObjects/1000_objects", func(b *testing.B) {
		s := newStore(b)
		ctx := context.Background()
		changes := make([]store.Change, 1000)
		for i := range changes {
			changes[i] = store.Change{Object: store.Object{Kind: store.KindService, ID: fmt.Sprintf("svc-%04d", i),
				Body: body, Source: store.SourceConfig, UpdatedAt: t0}}
		}
		if err := s.ApplyChanges(ctx, changes, nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			objects, err := s.ListObjects(ctx, "")
			if err != nil || len(objects) != 1000 {
				b.Fatalf("ListObjects: %d objects, %v", len(objects), err)
			}
		}
	})
}

// BenchTriggerTx measures the transaction the pipeline runs for a new
// alert that pages someone: an incident, its alert, three timeline
// entries, a notification and the escalation state, one alert per
// transaction. newStore is as for Bench.
func BenchTriggerTx(b *testing.B, newStore func(b *testing.B) store.Store) {
	s := newStore(b)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	i := 0
	for b.Loop() {
		i++
		err := s.Update(ctx, func(tx store.Tx) error {
			key := fmt.Sprintf("bench-%d", i)
			if _, err := tx.OpenAlert("pd-key", key); err == nil {
				return fmt.Errorf("alert %s exists", key)
			}
			inc := &incident.Incident{Title: key, Status: alert.StatusTriggered, Severity: incident.SEV2, Urgency: alert.UrgencyHigh,
				Service: "checkout", Services: []string{"checkout"}, AlertCount: 1, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertIncident(inc); err != nil {
				return err
			}
			a := &alert.Alert{Service: "checkout", IntegrationKey: "pd-key", DedupKey: key, Summary: key, Severity: alert.SeverityCritical,
				Status: alert.StatusTriggered, Count: 1, IncidentID: inc.ID, CreatedAt: now, UpdatedAt: now, LastEventAt: now}
			if err := tx.InsertAlert(a); err != nil {
				return err
			}
			for _, kind := range []string{incident.EntryTriggered, incident.EntryAlert, incident.EntryEscalated} {
				if err := tx.AppendTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: kind, Actor: "system", Message: key}); err != nil {
					return err
				}
			}
			n := &notify.Notification{IncidentID: inc.ID, Kind: notify.KindPage, UserID: "alice", ContactMethod: "alice-hook",
				MethodType: "webhook", IdempotencyKey: "vigil-" + key, Status: notify.StatusPending, DueAt: now, CreatedAt: now}
			if err := tx.InsertNotifications(n); err != nil {
				return err
			}
			inc.Responders = append(inc.Responders, incident.Responder{User: "alice", AddedAt: now})
			if err := tx.UpdateIncident(inc); err != nil {
				return err
			}
			return tx.PutEscalation(escalation.State{IncidentID: inc.ID, Policy: escalation.Policy{ID: "p"}, Step: 1, NextAt: now.Add(time.Hour), StartedAt: now})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchIncidentPage measures what a page of the incident list reads: 100
// incidents, their timelines (five entries each) and their notifications.
// newStore is as for Bench.
func BenchIncidentPage(b *testing.B, newStore func(b *testing.B) store.Store) {
	s := newStore(b)
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		for i := range 100 {
			inc := &incident.Incident{Title: fmt.Sprintf("incident %d", i), Status: alert.StatusTriggered, Severity: incident.SEV2,
				Urgency: alert.UrgencyHigh, Service: "checkout", Services: []string{"checkout"}, CreatedAt: at(i), UpdatedAt: at(i)}
			if err := tx.InsertIncident(inc); err != nil {
				return err
			}
			for k := range 5 {
				e := &incident.TimelineEntry{IncidentID: inc.ID, At: at(i + k), Kind: incident.EntryAlert, Actor: "system", Message: "m"}
				if err := tx.AppendTimeline(e); err != nil {
					return err
				}
			}
			n := &notify.Notification{IncidentID: inc.ID, Kind: notify.KindPage, UserID: "alice", ContactMethod: "alice-hook",
				MethodType: "webhook", IdempotencyKey: fmt.Sprintf("page-%d", i), Status: notify.StatusPending, DueAt: at(i), CreatedAt: at(i)}
			if err := tx.InsertNotifications(n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		incidents, err := s.ListIncidents(ctx, store.IncidentQuery{Service: "checkout", Statuses: []alert.Status{alert.StatusTriggered}, Limit: 100})
		if err != nil || len(incidents) != 100 {
			b.Fatalf("ListIncidents: %d, %v", len(incidents), err)
		}
		ids := make([]int64, len(incidents))
		for k, i := range incidents {
			ids[k] = i.ID
		}
		timelines, err := s.Timelines(ctx, ids)
		if err != nil || len(timelines) != 100 {
			b.Fatalf("Timelines: %d, %v", len(timelines), err)
		}
		ns, err := s.ListNotifications(ctx, store.NotificationQuery{UserID: "alice", Limit: 100})
		if err != nil || len(ns) != 100 {
			b.Fatalf("ListNotifications: %d, %v", len(ns), err)
		}
	}
}
