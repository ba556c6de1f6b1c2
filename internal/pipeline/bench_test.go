package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/sqlite"
	"github.com/vigil-oncall/vigil/internal/store/sqlite/sqlitetest"
)

// go test -run '^$' -bench ProcessTrigger ./internal/pipeline/
//
// BenchmarkProcessTrigger processes one new alert per iteration, each
// opening an incident that pages a user at once. The database is on
// /dev/shm where there is one, so that the figure is the CPU cost, not the
// disk's (the pipeline reads outside its transactions, which an in-memory
// database cannot serve). In "linked" the service
// has a dependency, so every alert looks for an open incident to correlate
// with among those of the last five minutes, which pile up here.
func BenchmarkProcessTrigger(b *testing.B) {
	b.Run("standalone", func(b *testing.B) { benchProcessTrigger(b, false) })
	b.Run("linked", func(b *testing.B) { benchProcessTrigger(b, true) })
}

func benchProcessTrigger(b *testing.B, linked bool) {
	st, p, now := benchPipeline(b, linked)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		body, err := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: fmt.Sprint("k", i),
			Summary: fmt.Sprint("alert ", i), Source: "bench", Severity: "critical"})
		if err != nil {
			b.Fatal(err)
		}
		if err := st.AppendInbox(ctx, []store.InboxEvent{{ReceivedAt: now, Kind: store.InboxAlert, IntegrationKey: pdKey, Service: "web", Payload: body}}); err != nil {
			b.Fatal(err)
		}
		if n, err := p.Processor.RunOnce(ctx); err != nil || n != 1 {
			b.Fatalf("ProcessInbox = %d, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// go test -run '^$' -bench DrainBacklog ./internal/pipeline/
//
// BenchmarkDrainBacklog processes a backlog of 4,096 new alerts, as after
// a storm, with transactions of several sizes: high urgency (each alert
// opens an incident and pages) and low urgency (each a notice for
// business hours). alerts/s is the drain rate.
func BenchmarkDrainBacklog(b *testing.B) {
	for _, urgency := range []string{"high", "low"} {
		for _, batch := range []int{64, 256, 1024} {
			b.Run(fmt.Sprintf("%s/batch=%d", urgency, batch), func(b *testing.B) { benchDrain(b, urgency, batch) })
		}
	}
}

func benchDrain(b *testing.B, urgency string, batch int) {
	const backlog = 4096
	st, p, now := benchPipeline(b, false)
	p.Processor.batch = batch
	severity := "critical"
	if urgency == "low" {
		severity = "warning"
	}
	ctx := context.Background()
	run := 0
	var drained time.Duration
	for b.Loop() {
		b.StopTimer()
		run++
		events := make([]store.InboxEvent, backlog)
		for i := range events {
			body, err := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: fmt.Sprint("k", run, "-", i),
				Summary: fmt.Sprint("alert ", i), Source: "bench", Severity: alert.Severity(severity)})
			if err != nil {
				b.Fatal(err)
			}
			events[i] = store.InboxEvent{ReceivedAt: now, Kind: store.InboxAlert, IntegrationKey: pdKey, Service: "web", Payload: body}
		}
		if err := st.AppendInbox(ctx, events); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for left := backlog; left > 0; {
			n, err := p.Processor.RunOnce(ctx)
			if err != nil || n == 0 {
				b.Fatalf("RunOnce = %d, %v with %d events left", n, err, left)
			}
			left -= n
		}
		drained += time.Since(start)
	}
	b.ReportMetric(float64(run*backlog)/drained.Seconds(), "alerts/s")
}

// benchPipeline is a pipeline on a fresh database (on /dev/shm where there
// is one) whose service web pages olga at once; with linked, web depends
// on db.
func benchPipeline(b *testing.B, linked bool) (*sqlite.Store, *Pipeline, time.Time) {
	ctx := context.Background()
	dir := b.TempDir()
	if shm, err := os.MkdirTemp("/dev/shm", "vigil-bench-"); err == nil {
		dir = shm
		b.Cleanup(func() { os.RemoveAll(shm) })
	}
	st := sqlitetest.OpenPath(b, filepath.Join(dir, "vigil.db"))
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	m := org.NewManager(st, clock)
	if err := m.Load(ctx); err != nil {
		b.Fatal(err)
	}
	bundle := &config.Bundle{
		Users: []catalog.User{{ID: "olga", Name: "Olga", TimeZone: "UTC",
			ContactMethods:    []catalog.ContactMethod{{ID: "olga-hook", Type: "webhook", URL: "http://127.0.0.1:9/page"}},
			NotificationRules: []catalog.NotificationRule{{ContactMethod: "olga-hook"}}}},
		Teams: []catalog.Team{
			{ID: "web", Kind: "dev", TimeZone: "UTC", Members: []string{"olga"}, EscalationPolicy: "now"},
			{ID: "irt", Kind: "global-irt", Members: []string{"olga"}},
		},
		EscalationPolicies: []escalation.Policy{{ID: "now", Steps: []escalation.Step{
			{Targets: []escalation.Target{{User: "olga"}}, EscalateAfter: mustDur("30m")},
		}}},
		Services: []catalog.Service{
			{ID: "web", Owner: "web", Integrations: []catalog.Integration{{Type: "pagerduty", Key: pdKey}}},
			{ID: "db", Owner: "web"},
		},
	}
	if linked {
		bundle.Services[0].DependsOn = []catalog.Dependency{{Service: "db", Kind: catalog.Soft}}
	}
	if _, err := m.Apply(ctx, bundle, "bench", false); err != nil {
		b.Fatal(err)
	}
	p := New(Options{Store: st, Org: m, Now: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	return st, p, now
}
