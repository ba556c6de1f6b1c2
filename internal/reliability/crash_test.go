package reliability

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashKey is the PagerDuty routing key of the crash test's service.
const crashKey = "c0ffee00c0ffee00c0ffee00c0ffee00"

// crashConfig pages "first" at once and "second" two seconds later, so
// that second steps fall due while the server is down or just restarted.
func crashConfig(receiver string) string {
	return fmt.Sprintf(`
users:
  - id: first
    name: First Responder
    time_zone: UTC
    contact_methods:
      - {id: first-hook, type: webhook, url: "%[1]s/first"}
  - id: second
    name: Second Responder
    time_zone: UTC
    contact_methods:
      - {id: second-hook, type: webhook, url: "%[1]s/second"}
  - {id: gina, name: Gina, time_zone: UTC}
teams:
  - {id: ops, name: Ops, kind: dev, time_zone: UTC, country: DE, members: [first, second], escalation_policy: crash}
  - {id: irt, name: IRT, kind: global-irt, members: [gina]}
escalation_policies:
  - id: crash
    repeat: 0
    steps:
      - {targets: [{user: first}], escalate_after: 2s}
      - {targets: [{user: second}], escalate_after: 1h}
services:
  - id: crashy
    name: Crashy
    owner: ops
    integrations:
      - {type: pagerduty, key: "%[2]s"}
`, receiver, crashKey)
}

// ingestTally counts what concurrent senders were answered.
type ingestTally struct {
	mu       sync.Mutex
	sent     map[string]bool // every dedup key a request was sent for
	accepted map[string]bool // answered 202: must become an alert
	status   map[int]int     // other answers
	errors   int             // no answer (the process died mid-request)
}

func newIngestTally() *ingestTally {
	return &ingestTally{sent: map[string]bool{}, accepted: map[string]bool{}, status: map[int]int{}}
}

func (tally *ingestTally) record(key string, code int, err error) {
	tally.mu.Lock()
	defer tally.mu.Unlock()
	tally.sent[key] = true
	switch {
	case err != nil:
		tally.errors++
	case code == http.StatusAccepted:
		tally.accepted[key] = true
	default:
		tally.status[code]++
	}
}

// checkAlerts holds the stored alerts against what the senders were
// answered: each alert's key was sent, and each trigger answered 202 is
// exactly one alert. It returns how many accepted triggers are no alert
// (lost) and how many are several (doubled).
func (tally *ingestTally) checkAlerts(t testing.TB, alerts []apiAlert) (lost, doubled int) {
	t.Helper()
	alertsOf := map[string]int{}
	for _, a := range alerts {
		alertsOf[a.DedupKey]++
		if !tally.sent[a.DedupKey] {
			t.Errorf("alert %d has dedup key %q, which no client sent", a.ID, a.DedupKey)
		}
	}
	for key := range tally.accepted {
		switch n := alertsOf[key]; {
		case n == 0:
			lost++
			if lost <= 10 {
				t.Errorf("trigger %s was answered 202 but is not an alert", key)
			}
		case n > 1:
			doubled++
			t.Errorf("trigger %s is %d alerts", key, n)
		}
	}
	return lost, doubled
}

// TestCrashRecoverySQLite kills vigil serve with SIGKILL at random moments
// while clients send unique triggers, restarts it on the same SQLite file,
// and checks that nothing answered 202 is lost, that every incident's
// escalation ran each step exactly once (also the steps that fell due
// while the server was down), and that the receiver saw each page under
// one idempotency key only.
func TestCrashRecoverySQLite(t *testing.T) {
	rounds := scaled(10, 40)
	const clients = 8
	perClient := scaled(60, 150) // triggers per client per round at most
	minKillAfter, maxKillAfter := 300*time.Millisecond, scaled(2*time.Second, 4*time.Second)
	rng := newRand(t)

	recv := newPageReceiver(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "vigil.yaml", crashConfig(recv.URL()))
	args := serveArgs{db: "sqlite:" + filepath.Join(dir, "vigil.db"), config: cfg, extra: leaseFlags()}
	tally := newIngestTally()
	client := newClient(clients)

	var kills []string
	for round := range rounds {
		p := startVigil(t, fmt.Sprintf("crash-%d", round), args)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() { // owner: this round; ends at cancel or after perClient sends
				defer wg.Done()
				for seq := 0; seq < perClient && ctx.Err() == nil; seq++ {
					key := fmt.Sprintf("crash-r%d-c%d-%d", round, c, seq)
					code, err := call(ctx, client, "POST", p.base+"/v2/enqueue", "", pdTrigger(crashKey, key, "crash test "+key, "critical"), nil)
					tally.record(key, code, err)
					if err != nil {
						return // the server is gone
					}
				}
			}()
		}
		after := minKillAfter + time.Duration(rng.Int64N(int64(maxKillAfter-minKillAfter)))
		time.Sleep(after)
		p.Kill()
		cancel()
		wg.Wait()
		kills = append(kills, after.String())
		t.Logf("round %d: SIGKILL %s after start; %d accepted so far", round, after, len(tally.accepted))
	}

	// The last start is not killed: it must finish what the others left.
	final := startVigil(t, "crash-final", args)
	restarted := time.Now()

	var alerts []apiAlert
	complete := waitUntil(60*time.Second, 500*time.Millisecond, func() bool {
		alerts = allAlerts(t, final.base)
		seen := map[string]bool{}
		for _, a := range alerts {
			seen[a.DedupKey] = true
		}
		for key := range tally.accepted {
			if !seen[key] {
				return false
			}
		}
		return true
	})
	lost, doubled := tally.checkAlerts(t, alerts)
	for _, a := range alerts {
		if a.IncidentID == 0 {
			t.Errorf("alert %d (%s) has no incident", a.ID, a.DedupKey)
		}
	}
	if !complete && lost == 0 {
		t.Errorf("alerts incomplete at the deadline")
	}

	// Every incident pages first (step 1) and, two seconds later, second
	// (step 2): also when the step fell due while no server ran.
	var incidents []apiIncident
	escalated := waitUntil(testClaimLease+60*time.Second, time.Second, func() bool {
		incidents = allIncidents(t, final.base)
		st := statsOf(recv.snapshot())
		for _, inc := range incidents {
			if len(st.keys[pageSlot{inc.ID, "/first", 0}]) == 0 || len(st.keys[pageSlot{inc.ID, "/second", 1}]) == 0 {
				return false
			}
		}
		return true
	})
	settled := time.Since(restarted)
	// After the pages the timelines are complete. A trigger whose answer a
	// kill cut off may still have been stored, and be processed after
	// every accepted one showed up: alerts and incidents are compared
	// once both lists are read again and agree, or at a short deadline.
	waitUntil(10*time.Second, 500*time.Millisecond, func() bool {
		incidents = allIncidents(t, final.base)
		alerts = allAlerts(t, final.base)
		return len(incidents) == len(alerts)
	})
	if len(incidents) != len(alerts) {
		t.Errorf("%d incidents for %d alerts: each trigger opens its own incident", len(incidents), len(alerts))
		reportUnpaired(t, incidents, alerts)
	}
	pages := recv.snapshot()
	st := statsOf(pages)
	senderOf := map[string]string{} // idempotency key -> replica URL that first sent it
	for _, p := range pages {
		if _, ok := senderOf[p.Key]; !ok {
			senderOf[p.Key] = strings.SplitN(strings.TrimPrefix(p.IncidentURL, "http://"), "/", 2)[0]
		}
	}
	missing, extraKeys, resumed := 0, 0, 0
	for _, inc := range incidents {
		steps := escalatedSteps(inc)
		for _, want := range []string{"escalation policy crash step 1", "escalation policy crash step 2"} {
			if steps[want] != 1 {
				t.Errorf("incident %d: %d timeline entries %q, want exactly 1 (%v)", inc.ID, steps[want], want, steps)
			}
		}
		var hosts []string
		for _, slot := range []pageSlot{{inc.ID, "/first", 0}, {inc.ID, "/second", 1}} {
			keys := st.keys[slot]
			switch {
			case len(keys) == 0:
				missing++
				if missing <= 10 {
					t.Errorf("incident %d: no page for step %d at %s", inc.ID, slot.step+1, slot.path)
				}
			case len(keys) > 1:
				extraKeys++
				t.Errorf("incident %d step %d: %d idempotency keys %v, want 1", inc.ID, slot.step+1, len(keys), keys)
			}
			for k := range keys {
				hosts = append(hosts, senderOf[k])
			}
		}
		if len(hosts) == 2 && hosts[0] != hosts[1] {
			resumed++
		}
	}
	for slot := range st.keys {
		if slot.path != "/first" && slot.path != "/second" || slot.step < 0 {
			t.Errorf("unexpected page %+v", slot)
		}
	}
	if !escalated && missing == 0 {
		t.Errorf("escalation incomplete at the deadline")
	}
	recordFigures(t,
		"rounds (SIGKILLs)", rounds,
		"kill moments after start", strings.Join(kills, " "),
		"triggers sent", len(tally.sent),
		"triggers answered 202", len(tally.accepted),
		"requests cut off by a kill", tally.errors,
		"other answers", fmt.Sprint(tally.status),
		"accepted triggers lost", lost,
		"triggers stored twice", doubled,
		"incidents", len(incidents),
		"incidents missing a page", missing,
		"steps paged under two keys", extraKeys,
		"repeated deliveries (same key)", st.repeats(),
		"page deliveries", st.deliveries,
		"steps 1 and 2 sent by different processes", resumed,
		"final restart to all paged", settled,
	)
}

// reportUnpaired names the incidents no alert points at and the alerts
// that share an incident, with their timelines: what a mismatch between
// the counts is made of.
func reportUnpaired(t *testing.T, incidents []apiIncident, alerts []apiAlert) {
	t.Helper()
	byIncident := map[int64][]string{}
	for _, a := range alerts {
		byIncident[a.IncidentID] = append(byIncident[a.IncidentID], a.DedupKey)
	}
	for _, inc := range incidents {
		keys := byIncident[inc.ID]
		if len(keys) == 1 {
			continue
		}
		t.Errorf("incident %d (%s) has %d alerts %v; timeline:", inc.ID, inc.Status, len(keys), keys)
		for _, e := range inc.Timeline {
			t.Errorf("  %s %s %s", e.At.Format(time.RFC3339Nano), e.Kind, e.Message)
		}
	}
}
