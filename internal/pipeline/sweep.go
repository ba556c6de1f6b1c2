package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/store"
)

// sweepBatch bounds the alerts or heartbeats one sweep handles per kind.
const sweepBatch = 256

// HeartbeatDedupKey is the dedup key of a heartbeat's "no beat" alert.
const HeartbeatDedupKey = "heartbeat"

// Sweep resolves alerts that have been quiet for their integration's
// auto_resolve time and opens alerts for overdue heartbeats. It reports how
// many alerts it opened or resolved.
func (sw *Sweeper) RunOnce(ctx context.Context) (int, error) {
	snap := sw.org.Snapshot()
	now := sw.now().UTC()
	var n int
	err := sw.update(ctx, func(tx store.Tx) error {
		for _, svc := range snap.Bundle.Services {
			for _, in := range svc.Integrations {
				if in.AutoResolve.Std() <= 0 {
					continue
				}
				quiet, err := tx.QuietAlerts(in.Key, now.Add(-in.AutoResolve.Std()), sweepBatch)
				if err != nil {
					return fmt.Errorf("quiet alerts of %s: %w", in.Key, err)
				}
				for i := range quiet {
					why := fmt.Sprintf("auto-resolved: no event for %s", in.AutoResolve)
					if err := sw.flow.closeAlert(tx, &quiet[i], "system", why, now); err != nil {
						return err
					}
					n++
				}
			}
		}
		overdue, err := tx.OverdueHeartbeats(now, sweepBatch)
		if err != nil {
			return fmt.Errorf("overdue heartbeats: %w", err)
		}
		for _, hb := range overdue {
			svc := snap.Service(hb.Service)
			in := integrationOf(svc, hb.Key)
			if in == nil {
				continue // no longer configured
			}
			severity := alert.Severity(in.DefaultSeverity)
			if severity == "" {
				severity = alert.SeverityCritical
			}
			ev := ingest.Event{
				Action: ingest.ActionTrigger, DedupKey: HeartbeatDedupKey, Severity: severity, Timestamp: now,
				Summary: fmt.Sprintf("No heartbeat from %s for %s (last beat %s)", hb.Key, duration.Format(hb.Interval), hb.LastBeatAt.Format(time.RFC3339)),
				Source:  hb.Key,
			}
			if err := sw.flow.trigger(ctx, tx, snap, svc, hb.Key, ev, now); err != nil {
				return err
			}
			hb.Alerting = true
			if err := tx.PutHeartbeat(hb); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func integrationOf(svc *catalog.Service, key string) *catalog.Integration {
	if svc == nil {
		return nil
	}
	for i := range svc.Integrations {
		if svc.Integrations[i].Key == key {
			return &svc.Integrations[i]
		}
	}
	return nil
}

// applyBeat records a heartbeat; a beat resolves the "no beat" alert.
func (p *Processor) applyBeat(tx store.Tx, svc *catalog.Service, ev store.InboxEvent, now time.Time) error {
	in := integrationOf(svc, ev.IntegrationKey)
	if in == nil {
		return nil
	}
	hb, err := tx.GetHeartbeat(ev.IntegrationKey)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	wasAlerting := err == nil && hb.Alerting
	hb = store.Heartbeat{Key: ev.IntegrationKey, Service: svc.ID, Interval: in.Interval.Std(), LastBeatAt: ev.ReceivedAt}
	if err := tx.PutHeartbeat(hb); err != nil {
		return err
	}
	if wasAlerting {
		if err := p.flow.resolveAlert(tx, ev.IntegrationKey, HeartbeatDedupKey, "integration:"+ev.IntegrationKey, now); err != nil {
			return err
		}
	}
	return nil
}
