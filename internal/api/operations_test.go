package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/opsrun/opstest"
)

const platformToken = "platform-secret-token-0123"

// operationsOrg is permissionOrg operated through a platform stand-in:
// drain (a parameter with a per-service value, confirm) and restart.
func operationsOrg(platform string) map[string]any {
	o := permissionOrg()
	o["operations"] = []any{
		map[string]any{"id": "drain", "confirm": true, "timeout": "3s",
			"params": []any{map[string]any{"name": "region", "required": true, "pattern": "^[a-z]+-[0-9]+$"}},
			"driver": map[string]any{"http": map[string]any{"method": "POST", "url": platform + "/v1/services/{{service}}/drain",
				"headers": map[string]any{"Authorization": "Bearer {{env.PLATFORM_TOKEN}}"},
				"body":    `{"region": "{{param.region}}", "incident": "{{incident}}", "requested_by": "{{actor}}"}`}}},
		map[string]any{"id": "restart", "driver": map[string]any{"http": map[string]any{"url": platform + "/v1/services/{{service}}/restart"}}},
	}
	for _, svc := range o["services"].([]any) {
		svc.(map[string]any)["operation_params"] = map[string]any{"drain": map[string]any{"region": "eu-1"}}
	}
	return o
}

func startOperations(t *testing.T) (*fixture, *opstest.Platform) {
	t.Helper()
	platform := opstest.StartPlatform(t)
	f := startFixture(t, fixtureOptions{getenv: func(name string) string {
		if name == "PLATFORM_TOKEN" {
			return platformToken
		}
		return ""
	}})
	f.apply(operationsOrg(platform.URL()))
	return f, platform
}

type runAnswer struct {
	Run     ops.Run  `json:"run"`
	DryRun  bool     `json:"dry_run"`
	Request ops.Call `json:"request"`
}

// TestOperationPermissionMatrix runs an operation on each service as each
// caller: by the operating model, a team member on its team's services,
// an irt member on the services its team covers, the global IRT and
// admins anywhere, a viewer never. A refusal is 403 with the reason,
// reaches no platform and leaves the audit log as it was.
func TestOperationPermissionMatrix(t *testing.T) {
	f, platform := startOperations(t)
	callers := permissionCallers(f)
	may := map[string]map[string]bool{
		"payments": {"viewer": false, "admin": true, "alice": false, "bob": true, "ivan": false, "erin": true, "gina": true},
	}
	for svc, row := range mayAct {
		may[svc] = row
	}
	sent := 0
	for _, svc := range []string{"search", "billing", "checkout", "payments"} {
		for _, c := range callers {
			path := "/api/v1/services/" + svc + "/operations/restart"
			want := http.StatusForbidden
			if may[svc][c.name] {
				want = http.StatusOK
				sent++
			}
			// A dry run is refused alike, with the reason, and sends nothing.
			var refusal struct {
				Message string `json:"message"`
			}
			if code := f.call("POST", path, c.token, map[string]any{"dry_run": true}, &refusal); code != want ||
				code == http.StatusForbidden && !strings.Contains(refusal.Message, "may not run operations") {
				t.Errorf("dry run on %s by %s = %d %q, want %d with the reason", svc, c.name, code, refusal.Message, want)
			}
			f.checkWrite(c, "restart "+svc, "POST", path, map[string]any{}, want, "operation.run")
		}
	}
	if got := len(platform.Requests()); got != sent {
		t.Errorf("the platform received %d requests, want %d (one per permitted run, none for dry runs)", got, sent)
	}
}

func TestOperationRunEndToEnd(t *testing.T) {
	f, platform := startOperations(t)
	inc := f.declareAsAdmin("checkout")
	drain := "/api/v1/services/checkout/operations/drain"
	bob := permissionCallers(f)[3]
	if bob.name != "bob" {
		t.Fatalf("caller %s", bob.name)
	}

	var dry runAnswer
	if code := f.call("POST", drain, bob.token, map[string]any{"incident": inc, "dry_run": true}, &dry); code != 200 {
		t.Fatalf("dry run = %d", code)
	}
	wantURL := platform.URL() + "/v1/services/checkout/drain"
	wantBody := fmt.Sprintf(`{"region": "eu-1", "incident": "%d", "requested_by": "user:bob"}`, inc)
	if !dry.DryRun || dry.Run.Status != "dry_run" || dry.Request.Method != "POST" || dry.Request.URL != wantURL || dry.Request.Body != wantBody ||
		fmt.Sprint(dry.Request.Headers) != "[{Authorization Bearer ***} {Content-Type application/json}]" {
		t.Errorf("dry run = %+v", dry)
	}
	if strings.Contains(dry.Run.Request, platformToken) || len(platform.Requests()) != 0 {
		t.Fatalf("a dry run sent or showed the secret: %q, %d requests", dry.Run.Request, len(platform.Requests()))
	}

	var done runAnswer
	if code := f.call("POST", drain, bob.token, map[string]any{"incident": inc, "channel": "cli"}, &done); code != 200 {
		t.Fatalf("run = %d", code)
	}
	if done.Run.Status != ops.StatusSucceeded || done.Run.Actor != "user:bob" || done.Run.Channel != "cli" || done.Run.Incident != inc ||
		done.Run.StartedAt == nil || done.Run.FinishedAt == nil || done.Run.Request != dry.Run.Request {
		t.Errorf("run = %+v", done.Run)
	}
	got := platform.Requests()
	if len(got) != 1 || platform.URL()+got[0].Path != wantURL || got[0].Body != wantBody || got[0].Header.Get("Authorization") != "Bearer "+platformToken {
		t.Fatalf("the platform received %+v", got)
	}

	var runs struct {
		Runs []ops.Run `json:"runs"`
	}
	for _, q := range []string{"service=checkout", fmt.Sprintf("incident=%d", inc), "status=succeeded", ""} {
		if code := f.call("GET", "/api/v1/operations/runs?"+q, f.viewer, nil, &runs); code != 200 || len(runs.Runs) != 1 || runs.Runs[0].ID != done.Run.ID {
			t.Errorf("runs?%s = %d, %+v", q, code, runs.Runs)
		}
	}
	if code := f.call("GET", "/api/v1/operations/runs?service=search", f.viewer, nil, &runs); code != 200 || len(runs.Runs) != 0 {
		t.Errorf("runs of search = %d, %+v", code, runs.Runs)
	}
	var one runAnswer
	if code := f.call("GET", fmt.Sprintf("/api/v1/operations/runs/%d", done.Run.ID), f.viewer, nil, &one); code != 200 || one.Run.Status != ops.StatusSucceeded {
		t.Errorf("run %d = %d, %+v", done.Run.ID, code, one.Run)
	}

	var view incidentView
	if code := f.call("GET", fmt.Sprintf("/api/v1/incidents/%d", inc), f.viewer, nil, &view); code != 200 {
		t.Fatal(code)
	}
	var lines []string
	for _, e := range view.Timeline {
		if e.Kind == "operation" {
			lines = append(lines, e.Message)
		}
	}
	if len(lines) != 2 || lines[0] != "drain on checkout requested by user:bob" || !strings.HasPrefix(lines[1], "drain on checkout (region=eu-1) succeeded") {
		t.Errorf("timeline = %q", lines)
	}
	var actions []string
	for _, e := range f.auditActions("actor=user:bob") {
		actions = append(actions, e.Action+" "+e.ObjID)
	}
	if want := fmt.Sprintf("operation.succeeded %d,operation.run %d", done.Run.ID, done.Run.ID); strings.Join(actions, ",") != want {
		t.Errorf("audit = %v, want %s", actions, want)
	}

	// The toil report counts it.
	var toil struct {
		Total struct {
			Operations int `json:"operations"`
		} `json:"total"`
	}
	from, to := fixtureNow.Add(-time.Hour).Format(time.RFC3339), fixtureNow.Add(time.Hour).Format(time.RFC3339)
	if code := f.call("GET", "/api/v1/reports/toil?from="+from+"&to="+to, adminSecret, nil, &toil); code != 200 || toil.Total.Operations != 1 {
		t.Errorf("toil = %d, %+v", code, toil)
	}
}

// TestOperationRefusalsAndList: what cannot run is refused before
// anything is sent; the operations offered are listed with the values
// a service's runs take.
func TestOperationRefusalsAndList(t *testing.T) {
	f, platform := startOperations(t)
	cases := []struct {
		name, path string
		body       any
		want       int
		text       string
	}{
		{"unknown service", "/api/v1/services/nope/operations/drain", nil, 404, "service"},
		{"unknown operation", "/api/v1/services/checkout/operations/nope", nil, 404, `offers no operation "nope"`},
		{"parameter off its pattern", "/api/v1/services/checkout/operations/drain", map[string]any{"params": map[string]string{"region": "EU 1"}}, 400, "does not match"},
		{"unknown parameter", "/api/v1/services/checkout/operations/drain", map[string]any{"params": map[string]string{"zone": "a"}}, 400, "invalid parameters"},
		{"unknown incident", "/api/v1/services/checkout/operations/restart", map[string]any{"incident": 999}, 404, "incident 999"},
		{"unknown incident, dry run", "/api/v1/services/checkout/operations/restart", map[string]any{"incident": 999, "dry_run": true}, 404, "incident 999"},
		{"negative incident", "/api/v1/services/checkout/operations/restart", map[string]any{"incident": -1}, 400, "incident"},
		{"params not strings", "/api/v1/services/checkout/operations/drain", `{"params": {"region": 1}}`, 400, ""},
	}
	for _, c := range cases {
		var answer struct {
			Message string `json:"message"`
		}
		if code := f.call("POST", c.path, adminSecret, c.body, &answer); code != c.want || !strings.Contains(answer.Message, c.text) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, code, answer.Message, c.want, c.text)
		}
	}
	if n := len(platform.Requests()); n != 0 {
		t.Errorf("refused requests reached the platform %d times", n)
	}

	// The operations offered, with each service's values.
	var list struct {
		Operations []ops.Operation `json:"operations"`
	}
	if code := f.call("GET", "/api/v1/operations", f.viewer, nil, &list); code != 200 || len(list.Operations) != 2 || list.Operations[0].Params[0].Default != "" {
		t.Fatalf("operations = %d, %+v", code, list.Operations)
	}
	if code := f.call("GET", "/api/v1/operations?service=checkout", f.viewer, nil, &list); code != 200 || len(list.Operations) != 2 ||
		list.Operations[0].ID != "drain" || list.Operations[0].Params[0].Default != "eu-1" || !list.Operations[0].Confirm {
		t.Fatalf("operations of checkout = %d, %+v", code, list.Operations)
	}
	if code := f.call("GET", "/api/v1/operations?service=nope", f.viewer, nil, nil); code != 404 {
		t.Errorf("operations of an unknown service = %d", code)
	}
}

// TestASecondRunWhileOneRunsIs409: one run at a time per service and
// operation; another operation, or another service, is not held up.
func TestASecondRunWhileOneRunsIs409(t *testing.T) {
	f, platform := startOperations(t)
	platform.Set(http.StatusOK, 2*time.Second)
	first := make(chan int, 1)
	go func() {
		first <- f.call("POST", "/api/v1/services/checkout/operations/drain", adminSecret, nil, nil)
	}()
	for deadline := time.Now().Add(10 * time.Second); len(platform.Requests()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first run never reached the platform")
		}
	}
	var answer struct {
		Message string `json:"message"`
	}
	if code := f.call("POST", "/api/v1/services/checkout/operations/drain", adminSecret, nil, &answer); code != 409 || !strings.Contains(answer.Message, "already waiting or running") {
		t.Errorf("second run = %d %q, want 409", code, answer.Message)
	}
	platform.Set(http.StatusInternalServerError, 0)
	var other runAnswer
	if code := f.call("POST", "/api/v1/services/search/operations/drain", adminSecret, nil, &other); code != 200 ||
		other.Run.Status != ops.StatusFailed || !strings.Contains(other.Run.Error, "the platform answered 500") {
		t.Errorf("drain of another service = %d, %+v", code, other.Run)
	}
	if code := <-first; code != 200 {
		t.Errorf("first run = %d", code)
	}
}
