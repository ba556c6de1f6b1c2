package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// orgRulesYAML adds org-wide integrations and event rules to
// examples/org's org.yaml.
const orgRulesYAML = `
  integrations:
    - {type: alertmanager, key: am-org-key}
    - {type: pagerduty, key: feedfacefeedfacefeedfacefeedface}
  event_rules:
    - match: {labels: {env: staging}}
      suppress: true
    - match: {labels: {service: "*"}}
      service: "{{labels.service}}"
`

// TestEventsCommands lists, against a real server, what the rules of an
// org-wide integration suppressed and left unrouted.
func TestEventsCommands(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(exampleOrg)); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "org.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(orgRulesYAML); err != nil {
		t.Fatal(err)
	}
	f.Close()
	url := startServerWith(t, "", dir)
	post := func(path, body string) {
		t.Helper()
		resp, err := http.Post(url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s = %d", path, resp.StatusCode)
		}
	}
	post("/api/v1/integrations/alertmanager/am-org-key", `{"version":"4","groupKey":"g","status":"firing","alerts":[
 {"status":"firing","labels":{"alertname":"Orphan","instance":"db-9"},"annotations":{"summary":"orphan alert"},"fingerprint":"d000000000000001"},
 {"status":"firing","labels":{"alertname":"Noise","env":"staging","service":"checkout"},"annotations":{"summary":"staging noise"},"fingerprint":"d000000000000002"}]}`)
	post("/v2/change/enqueue", `{"routing_key":"feedfacefeedfacefeedfacefeedface","payload":{"summary":"deploy infra","custom_details":{"repo":"infra"}}}`)

	vars := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
	var unrouted []map[string]any
	for deadline := time.Now().Add(20 * time.Second); len(unrouted) != 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("unrouted: %v", unrouted)
		}
		code, out, errOut := run(t, vars, "events", "unrouted", "--json")
		if code != exitOK {
			t.Fatalf("events unrouted --json = %d\n%s%s", code, out, errOut)
		}
		if err := json.Unmarshal([]byte(out), &unrouted); err != nil {
			t.Fatalf("events unrouted --json: %v\n%s", err, out)
		}
	}
	if unrouted[0]["change"] == nil || unrouted[1]["event"] == nil {
		t.Errorf("unrouted, newest first: %v", unrouted)
	}

	code, out, errOut := run(t, vars, "events", "unrouted")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") ||
		!strings.Contains(lines[1], "change: deploy infra") || !strings.Contains(lines[1], "repo=infra") ||
		!strings.Contains(lines[2], "orphan alert (error)") || !strings.Contains(lines[2], "alertname=Orphan,instance=db-9") ||
		!strings.Contains(lines[2], "no rule of org.event_rules matched") || !strings.Contains(lines[2], "unrouted") {
		t.Errorf("events unrouted = %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, vars, "events", "suppressed", "--from", "2000-01-01")
	if code != exitOK || !strings.Contains(out, "staging noise") || !strings.Contains(out, "suppressed by org.event_rules[0]") || strings.Contains(out, "orphan") {
		t.Errorf("events suppressed = %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, vars, "events", "suppressed", "--to", "2000-01-01")
	if code != exitOK || strings.TrimSpace(out) != "ID  RECORDED  INTEGRATION  EVENT  LABELS  WHY  SERVICE" {
		t.Errorf("events suppressed before 2000 = %d\n%q%s", code, out, errOut)
	}

	for _, c := range []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"events", "unrouted", "--from", "yesterday"}, vars, `--from "yesterday": want an RFC 3339 time`},
		{[]string{"events", "suppressed", "--limit", "0"}, vars, "--limit 0: want 1 to 1000"},
		{[]string{"events", "unrouted"}, map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": "wrong"}, "401"},
		{[]string{"events", "everything"}, vars, `unknown verb "everything" (suppressed, unrouted)`},
	} {
		code, out, errOut := run(t, c.vars, c.args...)
		if code == exitOK || !strings.Contains(errOut, c.want) {
			t.Errorf("%v = %d, want an error with %q\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
}
