package reliability

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
)

// haKey is the PagerDuty routing key of the HA test's service.
const haKey = "4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a"

// TestReplicasOnPostgres runs three replicas on one PostgreSQL schema,
// spreads unique triggers over them round-robin and SIGKILLs one mid-load.
// Nothing answered 202 may be lost, each escalation step must run on
// exactly one replica (one timeline entry, one idempotency key at the
// receiver), and paging must go on within seconds of the kill. The
// replicas run with the default claim lease; the receiver holds the
// victim's sends open from a second before the kill, so that it dies with
// pages in flight, and those pages must be sent again by a survivor
// within 15 s of the kill (the failover gap).
func TestReplicasOnPostgres(t *testing.T) {
	// A schema of its own; its cleanup, registered before any replica
	// starts, runs after they are killed.
	dsn := pgtest.Schema(t)
	const replicas, clients = 3, 9
	load := scaled(6*time.Second, 60*time.Second)
	rng := newRand(t)
	killAfter := load/4 + time.Duration(rng.Int64N(int64(load/4)))
	victim := rng.IntN(replicas)

	recv := newPageReceiver(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "vigil.yaml", strings.ReplaceAll(strings.ReplaceAll(crashConfig(recv.URL()), crashKey, haKey), "crash", "ha"))
	procs := make([]*vigilProcess, replicas)
	// The first replica migrates the schema and applies the configuration;
	// the others start on it together.
	procs[0] = startVigil(t, "replica-0", serveArgs{db: dsn, config: cfg})
	var wg sync.WaitGroup
	for i := 1; i < replicas; i++ {
		wg.Add(1)
		go func() { // owner: this test; ends when the replica is ready
			defer wg.Done()
			procs[i] = startVigil(t, fmt.Sprintf("replica-%d", i), serveArgs{db: dsn})
		}()
	}
	wg.Wait()
	for i, p := range procs {
		if p == nil {
			t.Fatalf("replica %d did not start", i)
		}
	}
	replicaOf := map[string]int{}
	for i, p := range procs {
		replicaOf[strings.TrimPrefix(p.base, "http://")] = i
	}

	// Triggers go out at a steady rate the replicas can page at, so that
	// the time from trigger to page measures failover, not a backlog.
	rate := scaled(60.0, 100.0) // triggers per second
	tally := newIngestTally()
	var dead atomic.Bool
	var acceptMu sync.Mutex
	acceptedAt := map[string]time.Time{} // dedup key -> 202 answer
	client := newClient(clients)
	ctx, cancel := context.WithTimeout(context.Background(), load)
	defer cancel()
	jobs := make(chan int)
	var senders sync.WaitGroup
	for range clients {
		senders.Add(1)
		go func() { // owner: this test; ends when jobs closes
			defer senders.Done()
			for seq := range jobs {
				target := seq % replicas
				if target == victim && dead.Load() {
					target = (target + 1) % replicas
				}
				key := fmt.Sprintf("ha-%d", seq)
				code, err := call(ctx, client, "POST", procs[target].base+"/v2/enqueue", "", pdTrigger(haKey, key, "ha test "+key, "critical"), nil)
				tally.record(key, code, err)
				if err == nil && code == 202 {
					acceptMu.Lock()
					acceptedAt[key] = time.Now()
					acceptMu.Unlock()
				}
			}
		}()
	}
	var killedAt time.Time
	holding := false
	started := time.Now()
	for seq := 0; ctx.Err() == nil; seq++ {
		if wait := time.Until(started.Add(time.Duration(float64(seq) / rate * float64(time.Second)))); wait > 0 {
			time.Sleep(wait)
		}
		if !holding && time.Since(started) >= killAfter-time.Second {
			recv.hold(strings.TrimPrefix(procs[victim].base, "http://"))
			holding = true
		}
		// The kill waits for a page in flight on the victim (on a loaded
		// machine a second may pass without one), up to three quarters
		// into the load, so that the failover gap is measured.
		if into := time.Since(started); killedAt.IsZero() && into >= killAfter && (len(recv.heldPages()) > 0 || into >= load*3/4) {
			killAfter = into
			procs[victim].Kill()
			dead.Store(true)
			killedAt = time.Now()
			t.Logf("SIGKILL replica %d at %s into the load", victim, killAfter)
		}
		select {
		case jobs <- seq:
		case <-ctx.Done():
		}
	}
	close(jobs)
	senders.Wait()

	// Wait until every accepted trigger is an alert whose incident paged
	// both steps.
	alive := procs[(victim+1)%replicas]
	done := waitUntil(defaultClaimLease+60*time.Second, 500*time.Millisecond, func() bool {
		if len(allAlerts(t, alive.base)) < len(tally.accepted) {
			return false
		}
		st := statsOf(recv.snapshot())
		for _, inc := range allIncidents(t, alive.base) {
			if len(st.keys[pageSlot{inc.ID, "/first", 0}]) == 0 || len(st.keys[pageSlot{inc.ID, "/second", 1}]) == 0 {
				return false
			}
		}
		return true
	})
	if !done {
		t.Errorf("not every incident paged both steps within %s of the end of the load", defaultClaimLease+60*time.Second)
	}
	alerts := allAlerts(t, alive.base)
	incidents := allIncidents(t, alive.base)

	incidentOfKey := map[string]int64{}
	for _, a := range alerts {
		incidentOfKey[a.DedupKey] = a.IncidentID
	}
	if len(incidents) != len(alerts) {
		t.Errorf("%d incidents for %d alerts: each trigger opens its own incident", len(incidents), len(alerts))
	}
	lost, doubled := tally.checkAlerts(t, alerts)

	pages := recv.snapshot()
	st := statsOf(pages)
	stepRuns, twoKeys := 0, 0
	for _, inc := range incidents {
		steps := escalatedSteps(inc)
		for _, want := range []string{"escalation policy ha step 1", "escalation policy ha step 2"} {
			stepRuns += steps[want]
			if steps[want] != 1 {
				t.Errorf("incident %d: %d timeline entries %q, want exactly 1: replicas must not both run a step", inc.ID, steps[want], want)
			}
		}
		for _, slot := range []pageSlot{{inc.ID, "/first", 0}, {inc.ID, "/second", 1}} {
			if n := len(st.keys[slot]); n > 1 {
				twoKeys++
				t.Errorf("incident %d step %d paged under %d idempotency keys", inc.ID, slot.step+1, n)
			}
		}
	}

	// Paging goes on: how long each trigger took to page its first step,
	// before and after the kill, and the longest pause in deliveries after
	// the kill.
	firstPage := map[int64]time.Time{}
	sentBy := make([]int, replicas)
	seenKey := map[string]bool{}
	var stall time.Duration
	last := killedAt
	for _, p := range pages {
		if !seenKey[p.Key] {
			seenKey[p.Key] = true
			if u, err := url.Parse(p.IncidentURL); err == nil {
				if i, ok := replicaOf[u.Host]; ok {
					sentBy[i]++
				}
			}
		}
		if stepOf(p.Key) == 0 {
			if at, ok := firstPage[p.IncidentID]; !ok || p.At.Before(at) {
				firstPage[p.IncidentID] = p.At
			}
		}
		if p.At.After(last) {
			stall = max(stall, p.At.Sub(last))
			last = p.At
		}
	}
	var before, after []time.Duration
	for key, at := range acceptedAt {
		paged, ok := firstPage[incidentOfKey[key]]
		if !ok {
			continue // reported above
		}
		if at.Before(killedAt) {
			before = append(before, paged.Sub(at))
		} else {
			after = append(after, paged.Sub(at))
		}
	}
	if len(before) == 0 || len(after) == 0 {
		t.Fatalf("%d triggers accepted before the kill and %d after: the kill did not land mid-load", len(before), len(after))
	}
	afterP99 := percentile(after, 99)
	if afterP99 > 10*time.Second {
		t.Errorf("triggers accepted after the kill paged in p99 %s, want within 10s", afterP99)
	}
	if stall > defaultClaimLease+5*time.Second {
		t.Errorf("deliveries paused %s after the kill, want at most the claim lease (%s) and a few seconds", stall, defaultClaimLease)
	}
	// The failover gap: from the kill to the last of the pages the victim
	// had in flight going out again from a survivor, under the same key.
	held := recv.heldPages()
	if len(held) == 0 {
		t.Fatal("the victim had no page in flight when it was killed: the failover gap was not measured")
	}
	firstAt := map[string]time.Time{}
	for _, p := range pages {
		if at, ok := firstAt[p.Key]; !ok || p.At.Before(at) {
			firstAt[p.Key] = p.At
		}
	}
	var gap time.Duration
	for _, h := range held {
		at, ok := firstAt[h.Key]
		if !ok {
			t.Errorf("page %s (incident %d) was in flight on the victim and never sent again", h.Key, h.IncidentID)
			continue
		}
		gap = max(gap, at.Sub(killedAt))
	}
	if gap > 15*time.Second {
		t.Errorf("the pages in flight on the victim went out again %s after the kill, want within 15s", gap)
	}
	recordFigures(t,
		"replicas", replicas,
		"killed replica, moment", fmt.Sprintf("%d at %s", victim, killAfter),
		"trigger rate offered", fmt.Sprintf("%.0f/s", rate),
		"triggers sent", len(tally.sent),
		"triggers answered 202 (before, after the kill)", fmt.Sprintf("%d (%d, %d)", len(tally.accepted), len(before), len(after)),
		"requests cut off by the kill", tally.errors,
		"other answers", fmt.Sprint(tally.status),
		"accepted triggers lost", lost,
		"triggers stored twice", doubled,
		"incidents", len(incidents),
		"escalation steps run (timeline entries)", stepRuns,
		"steps paged under two keys", twoKeys,
		"repeated deliveries (same key)", st.repeats(),
		"pages sent per replica", fmt.Sprint(sentBy),
		"trigger to page p50, p99 before the kill", fmt.Sprintf("%s, %s", percentile(before, 50).Round(time.Millisecond), percentile(before, 99).Round(time.Millisecond)),
		"trigger to page p50, p99 after the kill", fmt.Sprintf("%s, %s", percentile(after, 50).Round(time.Millisecond), afterP99.Round(time.Millisecond)),
		"longest pause in deliveries after the kill", stall,
		"pages in flight on the victim at the kill", len(held),
		"failover gap: kill to the last of them sent again", gap.Round(time.Millisecond),
	)
}
