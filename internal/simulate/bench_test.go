package simulate

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// bigOrg writes an organisation of 500 people: 50 teams of ten, each with
// a weekly rotation (follow-the-sun layers when sun is set) and a
// two-step policy, owning two of 100 services that depend on each other in
// chains, an IRT covering the revenue-critical ones and a global IRT.
func bigOrg(tb testing.TB, name string, sun bool) Org {
	var b strings.Builder
	b.WriteString(costs + "users:\n")
	zones := []string{"Europe/London", "America/Los_Angeles", "Asia/Singapore"}
	for i := range 500 {
		b.WriteString(user(fmt.Sprintf("u%03d", i), zones[i%3]))
	}
	b.WriteString("teams:\n")
	members := func(t int) []string {
		var m []string
		for j := range 10 {
			m = append(m, fmt.Sprintf("u%03d", t*10+j))
		}
		return m
	}
	for t := range 48 {
		fmt.Fprintf(&b, "  - {id: t%02d, kind: dev, time_zone: Europe/London, country: GB, members: [%s], schedule: s%02d, escalation_policy: p%02d}\n", t, strings.Join(members(t), ", "), t, t)
	}
	fmt.Fprintf(&b, "  - {id: irt, kind: irt, time_zone: UTC, covers: [svc000, svc001, svc002], members: [%s], schedule: s48}\n", strings.Join(members(48), ", "))
	fmt.Fprintf(&b, "  - {id: girt, kind: global-irt, time_zone: UTC, members: [%s], schedule: s49}\n", strings.Join(members(49), ", "))
	b.WriteString("schedules:\n")
	for t := range 50 {
		m := members(t)
		if sun {
			fmt.Fprintf(&b, "  - {id: s%02d, time_zone: UTC, layers: [{id: a, users: [%s], rotation: {every: 1w}, start: \"2025-12-29T09:00:00Z\"}, "+
				"{id: b, users: [%s], rotation: {every: 1d}, start: \"2025-12-29T09:00:00Z\", time_zone: America/Los_Angeles, active: [{days: [mon, tue, wed, thu, fri], from: \"08:00\", to: \"18:00\"}]}]}\n",
				t, strings.Join(m[:5], ", "), strings.Join(m[5:], ", "))
			continue
		}
		fmt.Fprintf(&b, "  - {id: s%02d, time_zone: UTC, layers: [{id: a, users: [%s], rotation: {every: 1w}, start: \"2025-12-29T09:00:00Z\"}]}\n", t, strings.Join(m, ", "))
	}
	b.WriteString("escalation_policies:\n")
	for t := range 48 {
		fmt.Fprintf(&b, "  - {id: p%02d, steps: [{targets: [{schedule: s%02d}], escalate_after: 10m}, {targets: [{team: t%02d}], escalate_after: 15m}]}\n", t, t, (t+1)%48)
	}
	b.WriteString("services:\n")
	for s := range 100 {
		deps := ""
		if s%10 != 9 {
			deps = fmt.Sprintf(", depends_on: [{service: svc%03d, kind: hard}]", s+1)
		}
		rc := ""
		if s < 3 {
			rc = ", revenue_critical: true"
		}
		fmt.Fprintf(&b, "  - {id: svc%03d, name: S%d, owner: t%02d%s%s}\n", s, s, s%48, rc, deps)
	}
	return loadOrg(tb, name, b.String())
}

// yearOfAlerts makes n alerts over 2026 on the 100 services (and 1% on a
// service no organisation has), a fifth of them low urgency, most
// acknowledged within half an hour and resolved within two.
func yearOfAlerts(n int) []Alert {
	r := rand.New(rand.NewPCG(16, 16))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sevs := []string{"critical", "error", "error", "error", "warning"}
	out := make([]Alert, n)
	for i := range out {
		at := start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		svc := fmt.Sprintf("svc%03d", r.IntN(100))
		if r.IntN(100) == 0 {
			svc = "retired"
		}
		a := Alert{Timestamp: at, Service: svc, Severity: sevs[r.IntN(len(sevs))], Summary: "s", DedupKey: fmt.Sprint(i % 5000)}
		if r.IntN(10) > 0 {
			ack := at.Add(time.Duration(r.IntN(30)) * time.Minute)
			res := ack.Add(time.Duration(r.IntN(90)) * time.Minute)
			a.AcknowledgedAt, a.ResolvedAt = &ack, &res
		}
		out[i] = a
	}
	return out
}

// BenchmarkYear replays a year of 1,000,000 alerts against three
// organisations of 500 people each.
func BenchmarkYear(b *testing.B) {
	alerts := yearOfAlerts(1_000_000)
	orgs := []Org{bigOrg(b, "a", false), bigOrg(b, "b", true), bigOrg(b, "c", false)}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		res, err := Run(alerts, orgs, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Orgs[0].Totals.Pages == 0 || len(res.Orgs[0].Unmapped) != 1 {
			b.Fatalf("totals %+v", res.Orgs[0].Totals)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the CPU seconds an iteration took since start, user
// and system over every thread: the machine's load does not change them
// as it does wall time.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op")
}

// A smaller year checks the benchmark's organisations replay sensibly.
func TestBigOrgReplays(t *testing.T) {
	res, err := Run(yearOfAlerts(20_000), []Org{bigOrg(t, "a", false), bigOrg(t, "sun", true)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Orgs {
		if o.Totals.People != 500 || o.Totals.Pages == 0 || o.Totals.Notices == 0 || len(o.Unmapped) != 1 {
			t.Errorf("%s: %+v unmapped %v", o.Name, o.Totals, o.Unmapped)
		}
	}
}

// BenchmarkReplay replays a fifth of BenchmarkYear's history against the
// same three organisations: small enough to profile.
func BenchmarkReplay(b *testing.B) {
	alerts := yearOfAlerts(200_000)
	orgs := []Org{bigOrg(b, "a", false), bigOrg(b, "b", true), bigOrg(b, "c", false)}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := Run(alerts, orgs, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}
