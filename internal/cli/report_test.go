package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
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
