package api

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

// The size of a year of history for the reports' benchmark: an
// organisation of 500 people in 50 teams, each team owning 3 services.
const (
	benchTeams         = 50
	benchTeamSize      = 10
	benchServices      = 3 // per team
	benchIncidents     = 100_000
	benchAlerts        = 1_000_000
	benchNotifications = 500_000
	benchAttempts      = 1_000_000
	benchPagesPerInc   = 3
)

var benchZones = []struct{ zone, country string }{
	{"Europe/Berlin", "DE"}, {"Asia/Tokyo", "JP"}, {"America/New_York", "US"}, {"Asia/Kolkata", "IN"}, {"America/Los_Angeles", "US"},
}

// benchBundle is the organisation: team t (t-00 … t-49) has users
// u-000 … u-499 ten by ten, lives in one of five zones, rotates daily on
// its schedule and owns services s-000 … s-149 three by three, every
// third of them revenue-critical. The last team is the global IRT.
func benchBundle() *config.Bundle {
	b := &config.Bundle{Org: catalog.Org{Costs: &catalog.Costs{Currency: "EUR", StandbyPerHour: 2.5, PerInterruption: 15, OffHoursMultiplier: 1.5,
		SleepMultiplier: 3, HolidayMultiplier: 2, ResponsePerHour: map[string]float64{"commander": 120, "responder": 80, "comms": 60, "scribe": 60}}}}
	for t := range benchTeams {
		z := benchZones[t%len(benchZones)]
		team := catalog.Team{ID: fmt.Sprintf("t-%02d", t), Kind: "dev", TimeZone: z.zone, Country: z.country}
		var members []string
		for m := range benchTeamSize {
			id := fmt.Sprintf("u-%03d", t*benchTeamSize+m)
			members = append(members, id)
			b.Users = append(b.Users, catalog.User{ID: id, TimeZone: z.zone})
		}
		team.Members = members
		if t == benchTeams-1 {
			team.Kind = "global-irt"
			b.Teams = append(b.Teams, team)
			continue
		}
		sched := "sched-" + team.ID
		team.Schedule, team.EscalationPolicy = sched, "policy-"+team.ID
		b.Teams = append(b.Teams, team)
		b.Schedules = append(b.Schedules, schedule.Schedule{ID: sched, TimeZone: z.zone, Layers: []schedule.Layer{
			{ID: "daily", Users: members, Rotation: schedule.Rotation{Every: "1d"}, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}})
		b.EscalationPolicies = append(b.EscalationPolicies, escalation.Policy{ID: team.EscalationPolicy, Steps: []escalation.Step{
			{Targets: []escalation.Target{{Schedule: sched}}, EscalateAfter: mustDuration("15m")},
			{Targets: []escalation.Target{{User: members[0]}}, EscalateAfter: mustDuration("15m")},
		}})
		for s := range benchServices {
			n := t*benchServices + s
			b.Services = append(b.Services, catalog.Service{ID: fmt.Sprintf("s-%03d", n), Owner: team.ID, RevenueCritical: n%3 == 0})
		}
	}
	return b
}

// benchHistory writes a year of history (2026) into the SQLite file at
// path in one transaction of set-based inserts: a generated series per
// table, so that a million rows take seconds. Incident i (from 1) opens
// on service s-(i mod 147), pages three members of its owning team, is
// acknowledged by the first after 5 to 15 minutes, handed to a commander,
// and resolved an hour later, by the monitoring one time in four; every
// seventh escalates. Each incident has ten alerts, with a dedup key shared
// by one alert in 5,000; five notifications with two attempts each.
func benchHistory(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(off)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	year := int64(365 * 24 * 3600)
	services := (benchTeams - 1) * benchServices
	// ts is a stored instant (sqlbackend.TimeLayout) of unix seconds x.
	ts := func(x string) string { return `strftime('%Y-%m-%dT%H:%M:%S.000000Z', ` + x + `, 'unixepoch')` }
	series := func(n int) string {
		return fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) `, n)
	}
	// incident i: opened at o(i), on service sv(i), owned by team tm(i).
	o := fmt.Sprintf(`(%d + i * %d / %d)`, start, year, benchIncidents)
	sv := fmt.Sprintf(`(i %% %d)`, services)
	tm := fmt.Sprintf(`(%s / %d)`, sv, benchServices)
	user := func(k string) string {
		return fmt.Sprintf(`printf('u-%%03d', %s * %d + (%s) %% %d)`, tm, benchTeamSize, k, benchTeamSize)
	}
	zone := `CASE ` + tm + ` % 5 WHEN 0 THEN 'Europe/Berlin' WHEN 1 THEN 'Asia/Tokyo' WHEN 2 THEN 'America/New_York' WHEN 3 THEN 'Asia/Kolkata' ELSE 'America/Los_Angeles' END`
	stmts := []string{
		series(benchIncidents) + `INSERT INTO incidents (id, status, service, group_key, created_at, updated_at, body, title, acknowledged_at, acknowledged_by,
			resolved_at, resolved_by, escalated, notes, customer_impact)
			SELECT i, 'resolved', printf('s-%03d', ` + sv + `), '', ` + ts(o) + `, ` + ts(o+`+ 4200`) + `, '{}', 'incident ' || i,
			` + ts(o+` + 300 + i % 600`) + `, 'user:' || ` + user("i") + `, ` + ts(o+` + 4200`) + `,
			CASE WHEN i % 4 = 0 THEN 'integration:key-' || ` + sv + ` ELSE 'user:' || ` + user("i") + ` END,
			i % 7 = 0, i % 3, i % 50 = 0 FROM n`,
		series(benchIncidents) + `INSERT INTO incident_services (incident_id, service) SELECT i, printf('s-%03d', ` + sv + `) FROM n`,
		// The pages: three members of the owning team, at the opening.
		series(benchIncidents*benchPagesPerInc) + `, p(i, k) AS (SELECT (i - 1) / 3 + 1, i FROM n)
			INSERT INTO report_pages (incident_id, user_id, at, time_zone) SELECT i, ` + user("i + k % 3") + `, ` + ts(o+` + k % 3`) + `, ` + zone + ` FROM p`,
		// The role history: the acknowledgement, then a commander.
		series(benchIncidents) + `INSERT INTO timeline (incident_id, at, kind, actor, channel, message, data)
			SELECT i, ` + ts(o+` + 300 + i % 600`) + `, 'acknowledged', 'user:' || ` + user("i") + `, 'web', 'acknowledged', NULL FROM n`,
		series(benchIncidents) + `INSERT INTO timeline (incident_id, at, kind, actor, channel, message, data)
			SELECT i, ` + ts(o+` + 1200`) + `, 'role', 'user:' || ` + user("i") + `, 'web', 'role',
			json_object('role', 'commander', 'user', ` + user("i + 1") + `) FROM n`,
		series(benchAlerts) + `, a(j, i) AS (SELECT i, (i - 1) / 10 + 1 FROM n)
			INSERT INTO alerts (service, integration_key, dedup_key, status, incident_id, created_at, updated_at, last_event_at, body, triggers)
			SELECT printf('s-%03d', ` + sv + `), 'key-' || ` + sv + `, 'dk-' || (j % 5000), 'resolved', i,
			` + ts(o+` + j % 10`) + `, ` + ts(o+` + 4200`) + `, ` + ts(o+` + 600`) + `, '{}', 1 + (j % 3 = 0) FROM a`,
		series(benchNotifications) + `, m(k, i) AS (SELECT i, (i - 1) / 5 + 1 FROM n)
			INSERT INTO notifications (id, incident_id, user_id, kind, status, due_at, idempotency_key, body)
			SELECT k, i, ` + user("i + k % 3") + `, 'page', 'sent', ` + ts(o) + `, 'bench-' || k, '{}' FROM m`,
		series(benchAttempts) + `, m(a, k, i) AS (SELECT i, (i - 1) / 2 + 1, (i - 1) / 10 + 1 FROM n)
			INSERT INTO notification_attempts (notification_id, incident_id, user_id, method_type, contact_method, at, time_zone, outcome, error)
			SELECT k, i, ` + user("i + k % 3") + `, 'webhook', 'hook', ` + ts(o+` + a % 2 * 60`) + `, ` + zone + `, 'sent', '' FROM m`,
		// Served shifts: each team's daily rotation, day by day.
		series((benchTeams-1)*365) + `, d(t, day) AS (SELECT (i - 1) / 365, (i - 1) % 365 FROM n)
			INSERT INTO served_shifts (schedule, user_id, layer, start_at, end_at, time_zone)
			SELECT printf('sched-t-%02d', t), printf('u-%03d', t * 10 + day % 10), 'daily',
			` + ts(fmt.Sprintf(`%d + day * 86400`, start)) + `, ` + ts(fmt.Sprintf(`%d + (day + 1) * 86400`, start)) + `, 'UTC' FROM d`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%.120s: %w", s, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// As the server's own checkpoints would have: the rows in the
	// database file, not in a write-ahead log of a gigabyte.
	_, err = db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReports answers every report through the API over 90 days and
// over the year, from SQLite holding a year of history for 500 people:
// 1,000,000 alerts, 100,000 incidents, 1,000,000 notification attempts.
// Building the history takes a minute; run it alone:
//
//	go test ./internal/api -run '^$' -bench BenchmarkReports -benchtime 3x -timeout 30m
func BenchmarkReports(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "vigil.db")
	end := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	f := startFixture(b, fixtureOptions{dsn: "sqlite:" + path, start: end, bundle: benchBundle(), byHand: true})
	built := time.Now()
	if err := benchHistory(ctx, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("a year of history written in %v", time.Since(built).Round(time.Millisecond))
	h := f.srv.Handler()
	for _, p := range []struct{ name, query string }{
		{"90d", "from=2026-10-02&to=2026-12-31"},
		{"365d", "from=2026-01-01&to=2026-12-31"},
	} {
		for _, name := range report.Names {
			b.Run(name+"/"+p.name, func(b *testing.B) {
				// The machine may be shared: the CPU time the process
				// spends per report says more than the wall clock then.
				cpu := cpuTime(b)
				for b.Loop() {
					req := httptest.NewRequest("GET", "/api/v1/reports/"+name+"?"+p.query, nil)
					req.Header.Set("Authorization", "Bearer "+adminSecret)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("%s: %d %.300s", name, rec.Code, rec.Body)
					}
				}
				b.ReportMetric(float64((cpuTime(b)-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
			})
		}
	}
}
