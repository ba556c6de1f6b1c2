package cli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// handWorkedOrg: the payments team (Germany) has alice in Berlin and
// kenji in Tokyo, both paged at once for checkout; org.costs is config.md's
// example. Their webhooks lead nowhere: a failed page is still a page.
const handWorkedOrg = `
org:
  costs: {currency: EUR, standby_per_hour: 2.5, per_interruption: 15, off_hours_multiplier: 1.5, sleep_multiplier: 3, holiday_multiplier: 2,
          response_per_hour: {commander: 120, responder: 80, comms: 60, scribe: 60}}
users:
  - {id: alice, time_zone: Europe/Berlin, contact_methods: [{id: alice-hook, type: webhook, url: "http://127.0.0.1:9/alice"}],
     notification_rules: [{contact_method: alice-hook}]}
  - {id: kenji, time_zone: Asia/Tokyo, contact_methods: [{id: kenji-hook, type: webhook, url: "http://127.0.0.1:9/kenji"}],
     notification_rules: [{contact_method: kenji-hook}]}
  - {id: gina, time_zone: America/New_York}
teams:
  - {id: payments, kind: dev, time_zone: Europe/Berlin, country: DE, members: [alice, kenji], escalation_policy: payments-default}
  - {id: irt, kind: global-irt, time_zone: America/New_York, country: US, members: [gina]}
escalation_policies:
  - id: payments-default
    steps: [{targets: [{user: kenji}, {user: alice}], escalate_after: 30m}]
services:
  - {id: checkout, owner: payments}
`

// TestReportHandWorked pages alice and kenji at three hand-worked instants,
// each on a server whose clock starts there, and reads the buckets and the
// cost through vigil report:
//
//   - Tuesday 3 March 2026, 18:00 UTC: 03:00 Wednesday in Tokyo is sleep
//     for kenji; 19:00 in Berlin is off hours for alice. Business for nobody.
//   - Sunday 29 March, 06:30 UTC, the night Berlin springs forward: 08:30
//     CEST for alice is off hours (Sunday; on winter time 07:30, sleep);
//     15:30 Sunday in Tokyo is off hours.
//   - Christmas Day, 09:00 UTC: 10:00 Friday in Berlin is business hours,
//     on a German holiday; 18:00 in Tokyo is off hours, on a holiday of
//     kenji's German team. Each costs twice: alice 15 × 2, kenji 15 × 1.5 × 2.
func TestReportHandWorked(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(handWorkedOrg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at string
		// USER,BUSINESS,OFF,SLEEP,TOTAL,HOLIDAY rows of the interruptions.
		people []string
		// USER and the cost of the interruptions.
		cost map[string]string
	}{
		{"2026-03-03T18:00:00Z", []string{"kenji,0,0,1,1,0", "alice,0,1,0,1,0", "gina,0,0,0,0,0"}, map[string]string{"kenji": "45", "alice": "22.5"}},
		{"2026-03-29T06:30:00Z", []string{"alice,0,1,0,1,0", "kenji,0,1,0,1,0", "gina,0,0,0,0,0"}, map[string]string{"kenji": "22.5", "alice": "22.5"}},
		{"2026-12-25T09:00:00Z", []string{"alice,1,0,0,1,1", "kenji,0,1,0,1,1", "gina,0,0,0,0,0"}, map[string]string{"kenji": "45", "alice": "30"}},
	} {
		url := startServerWith(t, c.at, dir)
		vars := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
		if code, _, errOut := run(t, vars, "incident", "declare", "--service", "checkout", "--title", "checkout down"); code != exitOK {
			t.Fatalf("%s: declare: %d %s", c.at, code, errOut)
		}
		day := c.at[:10]
		next, _ := time.Parse(time.DateOnly, day)
		period := []string{"--from", day, "--to", next.AddDate(0, 0, 1).Format(time.DateOnly), "--format", "csv"}
		var people []string
		deadline := time.Now().Add(20 * time.Second)
		for paged(people) < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: interruptions %q after 20s", c.at, people)
			}
			time.Sleep(50 * time.Millisecond) // the server's pipeline pages in its own time
			people = csvSection(t, runOK(t, vars, append([]string{"report", "interruptions"}, period...)...), "Interruptions per person")
		}
		if strings.Join(people, " ") != strings.Join(c.people, " ") {
			t.Errorf("%s: interruptions per person %q, worked by hand %q", c.at, people, c.people)
		}
		costs := csvSection(t, runOK(t, vars, append([]string{"report", "cost"}, period...)...), "Cost per person (EUR)")
		if len(costs) != 3 {
			t.Errorf("%s: cost per person %q, want a row for each of three people", c.at, costs)
		}
		for _, row := range costs {
			cells := strings.Split(row, ",")
			// USER, STANDBY H, HOLIDAY H, PAGES, SLEEP PAGES, RESPONSE H, STANDBY, PAGES COST, …
			if want, ok := c.cost[cells[0]]; ok && cells[7] != want {
				t.Errorf("%s: %s's pages cost %s, worked by hand %s (%s)", c.at, cells[0], cells[7], want, row)
			}
		}
	}
}

// paged adds up the TOTAL column of interruption rows.
func paged(rows []string) int {
	n := 0
	for _, row := range rows {
		if cells := strings.Split(row, ","); len(cells) > 4 {
			v, _ := strconv.Atoi(cells[4])
			n += v
		}
	}
	return n
}

func runOK(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, vars, args...)
	if code != exitOK {
		t.Fatalf("vigil %s: %d %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// csvSection returns the rows of one table of a report's CSV, each joined
// with commas, after its title and its header.
func csvSection(t *testing.T, out, title string) []string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	var rows []string
	in := false
	for i := 0; i < len(records); i++ {
		rec := records[i]
		switch {
		case len(rec) == 1 && rec[0] == title:
			in = true
			i++ // the header
		case len(rec) == 1 && in:
			return rows
		case in && len(rec) > 1:
			rows = append(rows, strings.Join(rec, ","))
		}
	}
	return rows
}
