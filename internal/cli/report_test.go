package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/report"
)

// TestReport runs vigil report against a real server with the example
// organisation: an incident declared on checkout pages its on-call, and
// each format shows the numbers the API answers.
func TestReport(t *testing.T) {
	// Tuesday 3 March 2026, 18:00 UTC: 19:00 in Berlin, off hours.
	url := startServer(t, "2026-03-03T18:00:00Z")
	vars := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
	if code, _, errOut := run(t, vars, "incident", "declare", "--service", "checkout", "--title", "checkout down"); code != exitOK {
		t.Fatalf("declare: %d %s", code, errOut)
	}
	period := []string{"--from", "2026-03-01", "--to", "2026-04-01T00:00:00Z"}
	var rep report.Interruptions
	deadline := time.Now().Add(20 * time.Second)
	for rep.People == nil || total(rep.People) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no interruption reported: %+v", rep)
		}
		time.Sleep(50 * time.Millisecond) // the server's pipeline pages in its own time
		code, out, errOut := run(t, vars, append([]string{"report", "interruptions", "--format", "json"}, period...)...)
		if code != exitOK {
			t.Fatalf("report --format json: %d %s", code, errOut)
		}
		rep = report.Interruptions{}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("decode %s: %v", out, err)
		}
	}
	// The JSON is the API's.
	api := apiGet(t, url+"/api/v1/reports/interruptions?from=2026-03-01&to=2026-04-01T00:00:00Z")
	_, out, _ := run(t, vars, append([]string{"report", "interruptions", "--format", "json"}, period...)...)
	var fromCLI, fromAPI any
	if json.Unmarshal([]byte(out), &fromCLI) != nil || json.Unmarshal(api, &fromAPI) != nil || !jsonEqual(fromCLI, fromAPI) {
		t.Errorf("CLI JSON:\n%s\nAPI JSON:\n%s", out, api)
	}
	// The table and the CSV show the same rows.
	tables := rep.Tables()
	code, table, errOut := run(t, vars, append([]string{"report", "interruptions"}, period...)...)
	if code != exitOK || !strings.HasPrefix(table, "Report interruptions, 2026-03-01T00:00:00Z to 2026-04-01T00:00:00Z\n") ||
		!strings.Contains(table, "How these numbers were computed:") {
		t.Fatalf("table: %d %s %s", code, table, errOut)
	}
	for _, row := range tables[0].Rows {
		if !strings.Contains(table, strings.Join(row, "  ")) && !containsFields(table, row) {
			t.Errorf("table lacks the row %v:\n%s", row, table)
		}
	}
	code, csvOut, errOut := run(t, vars, append([]string{"report", "interruptions", "--format", "csv"}, period...)...)
	if code != exitOK {
		t.Fatalf("csv: %d %s", code, errOut)
	}
	r := csv.NewReader(strings.NewReader(csvOut))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if records[0][0] != "Interruptions per person" || strings.Join(records[1], ",") != "USER,BUSINESS,OFF,SLEEP,TOTAL,HOLIDAY" {
		t.Errorf("csv starts %v", records[:2])
	}
	for i, row := range tables[0].Rows {
		if strings.Join(records[2+i], ",") != strings.Join(row, ",") {
			t.Errorf("csv row %d = %v, want %v", i, records[2+i], row)
		}
	}
	// Every report answers, as a table and filtered by a team.
	for _, name := range report.Names {
		code, out, errOut := run(t, vars, "report", name, "--team", "storefront", "--from", "2026-03-01")
		if code != exitOK || !strings.Contains(out, "team storefront") {
			t.Errorf("report %s: %d %s %s", name, code, out, errOut)
		}
	}

	for _, c := range []struct {
		name string
		args []string
		vars map[string]string
	}{
		{"no name", []string{"report"}, vars},
		{"unknown report", []string{"report", "nope"}, vars},
		{"two names", []string{"report", "cost", "toil"}, vars},
		{"bad format", []string{"report", "cost", "--format", "xml"}, vars},
		{"bad time", []string{"report", "cost", "--from", "yesterday"}, vars},
		{"backwards", []string{"report", "cost", "--from", "2026-03-02", "--to", "2026-03-01"}, vars},
		{"unknown team", []string{"report", "cost", "--team", "nobody"}, vars},
		{"no server", []string{"report", "cost"}, map[string]string{}},
		{"wrong token", []string{"report", "cost"}, map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": "wrong-token-0123456789"}},
	} {
		if code, out, errOut := run(t, c.vars, c.args...); code != exitError || out != "" || errOut == "" {
			t.Errorf("%s: %d %q %q, want exit 2 with a message", c.name, code, out, errOut)
		}
	}
	if code, out, _ := run(t, vars, "report", "--help"); code != exitOK || !strings.Contains(out, "unclear-value") {
		t.Errorf("--help: %d %s", code, out)
	}
}

func total(people []report.PersonInterruptions) int {
	n := 0
	for _, p := range people {
		n += p.Total
	}
	return n
}

// containsFields reports whether some line of text holds the cells in
// order, separated by spaces only.
func containsFields(text string, cells []string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(cells, " ") {
			return true
		}
	}
	return false
}

func apiGet(t *testing.T, url string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return body
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

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
  - {id: checkout, owner: payments, integrations: [{type: pagerduty, key: "c0ffee00c0ffee00c0ffee00c0ffee00"}]}
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
//
// Its first subtest runs every report on one more hand-worked history.
func TestReportHandWorked(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(handWorkedOrg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("every report in every format", everyReportHandWorked)
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

// everyReportHandWorked gives one hand-worked history to every report and
// reads it back through vigil report in each format. On Tuesday 3 March
// 2026 at 18:00 UTC checkout's monitoring triggers the same dedup key
// twice: one alert, one incident, one repeat. It pages kenji (03:00 in
// Tokyo, sleep) and alice (19:00 in Berlin, off hours) at once; the admin
// acknowledges it before its 30 minutes run out, so it never escalates.
// Nobody is scheduled, so the payments team has no guaranteed response:
// 24 gap hours of 24. By hand:
//
//   - interruptions: kenji 1 in sleep, alice 1 off hours; payments 2.
//   - response: 1 incident, 1 acknowledged, 0.0% escalated.
//   - cost: kenji 15 × 3 = 45, alice 15 × 1.5 = 22.5; payments 67.5.
//   - coverage: payments 0 guaranteed hours, 24 gap hours, 0.0%.
//   - toil: 1 incident, acknowledged by hand, 1 repeat alert (2 triggers).
//   - risks: the incident's required post-mortem is not written.
//   - unclear-value: payments owns 1 service among 2 members, 0.5 each.
func everyReportHandWorked(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(handWorkedOrg), 0o644); err != nil {
		t.Fatal(err)
	}
	url := startServerWith(t, "2026-03-03T18:00:00Z", dir)
	vars := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
	c, err := newClient(url, Env{Getenv: func(k string) string { return vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	// The importers' test event: dedup key import-round-trip.
	path, trigger := pagerDutyEvent("c0ffee00c0ffee00c0ffee00c0ffee00")
	for range 2 {
		if err := c.do(context.Background(), "POST", path, trigger, nil); err != nil {
			t.Fatalf("trigger: %v", err)
		}
	}
	const from, to = "2026-03-03", "2026-03-04"
	period := []string{"--from", from, "--to", to, "--format", "csv"}
	// Wait until both pages and the repeat are recorded, then acknowledge.
	deadline := time.Now().Add(20 * time.Second)
	for paged(csvSection(t, runOK(t, vars, append([]string{"report", "interruptions"}, period...)...), "Interruptions per person")) < 2 ||
		!slices.Contains(csvSection(t, runOK(t, vars, append([]string{"report", "toil"}, period...)...), "Alerts that keep repeating"), "checkout,import-round-trip,1,2,1") {
		if time.Now().After(deadline) {
			t.Fatal("the pages and the repeat are not reported after 20s")
		}
		time.Sleep(50 * time.Millisecond) // the server's pipeline pages in its own time
	}
	runOK(t, vars, "incident", "ack", "1")

	for _, r := range []struct {
		name string
		// The first table's title, its CSV header and its number of rows.
		title, header string
		rows          int
		// Rows of the table output, worked by hand, cells in order
		// from the first; "*" stands for a figure that depends on how long
		// the test took (the time to acknowledge).
		lines [][]string
	}{
		{"interruptions", "Interruptions per person", "USER,BUSINESS,OFF,SLEEP,TOTAL,HOLIDAY", 3,
			[][]string{{"kenji", "0", "0", "1", "1", "0"}, {"alice", "0", "1", "0", "1", "0"}, {"payments", "2", "0", "1", "1", "2", "0"}}},
		{"response", "Response per service", "SERVICE,TEAM,INCIDENTS,ACKED,MTTA MEDIAN,MTTA P90,MTTA MEAN,MTTR MEDIAN,MTTR P90,MTTR MEAN,ESCALATED,ACK OWNER,ACK IRT,PER WEEK", 2,
			[][]string{{"checkout", "payments", "1", "1", "*", "*", "*", "*", "*", "*", "0.0%"}}},
		{"cost", "Cost per person (EUR)", "USER,STANDBY H,HOLIDAY H,PAGES,SLEEP PAGES,RESPONSE H,STANDBY,PAGES COST,RESPONSE,TOTAL", 3,
			[][]string{{"kenji", "0", "0", "1", "1", "0", "0", "45", "0", "45"}, {"alice", "0", "0", "1", "0", "0", "0", "22.5", "0", "22.5"},
				{"payments", "0", "0", "2", "1", "0", "0", "67.5", "0", "67.5"}}},
		{"coverage", "Guaranteed response per team", "TEAM,SCHEDULES,GUARANTEED H,GAP H,COVERAGE,OVERLAP H,24/7,CRITICAL,VERDICT,FOLLOW THE SUN", 2,
			[][]string{{"payments", "-", "0", "24", "0.0%"}}},
		{"toil", "Toil per service", "SERVICE,TEAM,INCIDENTS,ACKED BY HAND,RESOLVED BY HAND,\"ACKED, SELF-RESOLVED\",\"CLOSED, NO NOTE\",REPEAT ALERTS,OPERATIONS,MANUAL ACTIONS", 2,
			[][]string{{"checkout", "payments", "1", "1", "0", "0", "0", "1", "0", "1"}, {"checkout", "import-round-trip", "1", "2", "1"}}},
		{"risks", "The biggest reliability risks now", "RANK,KIND,SERVICE,TEAM,SCORE,SUMMARY,EVIDENCE", 1,
			[][]string{{"1", "missing_postmortems", "checkout", "payments"}}},
		{"unclear-value", "Signs of unclear business value", "RANK,KIND,SERVICE,TEAM,SCORE,SUMMARY,EVIDENCE", 0,
			[][]string{{"payments", "1", "2", "0.5"}}},
	} {
		args := []string{"report", r.name, "--from", from, "--to", to}
		api := apiGet(t, url+"/api/v1/reports/"+r.name+"?from="+from+"&to="+to)
		out := runOK(t, vars, append(args, "--format", "json")...)
		var fromCLI, fromAPI map[string]any
		if json.Unmarshal([]byte(out), &fromCLI) != nil || json.Unmarshal(api, &fromAPI) != nil {
			t.Fatalf("%s: CLI JSON:\n%s\nAPI JSON:\n%s", r.name, out, api)
		}
		// A report of the present says when it looked: the server's
		// clock runs on from its pinned instant between the two asks.
		for _, m := range []map[string]any{fromCLI, fromAPI} {
			if at, ok := m["at"].(string); ok && !strings.HasPrefix(at, "2026-03-03T18:0") {
				t.Errorf("%s: at %s, not the pinned instant", r.name, at)
			}
			delete(m, "at")
		}
		if !jsonEqual(fromCLI, fromAPI) {
			t.Errorf("%s: CLI JSON:\n%s\nAPI JSON:\n%s", r.name, out, api)
		}
		csvOut := runOK(t, vars, append(args, "--format", "csv")...)
		if head := strings.SplitN(csvOut, "\n", 3); len(head) < 3 || head[0] != r.title || head[1] != r.header {
			t.Errorf("%s: CSV starts %q, want %q then %q", r.name, head, r.title, r.header)
		}
		if rows := csvSection(t, csvOut, r.title); len(rows) != r.rows {
			t.Errorf("%s: CSV has %d rows under %q, want %d: %q", r.name, len(rows), r.title, r.rows, rows)
		}
		table := runOK(t, vars, args...)
		for _, cells := range r.lines {
			if !hasCells(table, cells) {
				t.Errorf("%s: no line of the table starts with %q:\n%s", r.name, cells, table)
			}
		}
	}
}

// hasCells reports whether some line of text starts with the cells ("*"
// matching any one field).
func hasCells(text string, cells []string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= len(cells) && slices.EqualFunc(fields[:len(cells)], cells, func(f, c string) bool { return c == "*" || f == c }) {
			return true
		}
	}
	return false
}
