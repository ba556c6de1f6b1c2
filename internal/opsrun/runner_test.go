package opsrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/opsrun/opstest"
	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
	"github.com/vigil-oncall/vigil/internal/store/storeopen"

	"github.com/vigil-oncall/vigil/internal/vigiltest/testdb"

	"github.com/vigil-oncall/vigil/internal/vigiltest"

	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// The runner is tested against real processes: an HTTP platform stand-in
// the test starts, which records every request it receives, and shell
// scripts run as exec drivers.

const secret = "s3cr3t-platform-token"

var t0 = time.Date(2026, 3, 2, 3, 4, 5, 0, time.UTC)

type fixture struct {
	t        *testing.T
	ctx      context.Context
	store    store.Store
	org      *org.Manager
	clock    *vigiltest.ManualClock
	platform *opstest.Platform
	dir      string
	incident int64
}

// orgYAML operates checkout through the stand-in at %[1]s and scripts in
// %[2]s.
const orgYAML = testdb.Shop + `services:
  - id: checkout
    name: Checkout
    owner: shop
    operation_params: {drain: {region: eu-1}}
  - {id: search, name: Search, owner: shop, operations: [restart]}
operations:
  - id: drain
    params: [{name: region, required: true, pattern: "^[a-z]+-[0-9]+$"}]
    confirm: true
    timeout: 2s
    driver:
      http:
        method: POST
        url: "%[1]s/v1/services/{{service}}/drain"
        headers: {Authorization: "Bearer {{env.PLATFORM_TOKEN}}"}
        body: '{"region": "{{param.region}}", "incident": "{{incident}}", "requested_by": "{{actor}}"}'
  - id: restart
    timeout: 1s
    driver:
      http: {url: "%[1]s/v1/services/{{service}}/restart"}
  - id: flag
    params: [{name: flag, required: true}, {name: note}]
    timeout: 2s
    driver:
      http:
        method: PATCH
        url: "%[1]s/v1/services/{{service}}/flags/{{param.flag}}?note={{param.note}}"
        headers: {Authorization: "Bearer {{env.PLATFORM_TOKEN}}", X-Flag: "{{param.flag}}"}
        body: '{"flag": "{{param.flag}}", "note": "{{param.note}}"}'
  - id: rollback
    params: [{name: to}]
    timeout: 2s
    driver:
      exec:
        command: ["%[2]s/deployctl", "rollback", "{{service}}", "--to={{param.to}}", "{{param.to}}"]
        env: {DEPLOY_TOKEN: "{{env.PLATFORM_TOKEN}}", REASON: "incident {{incident}}"}
  - id: fail
    driver: {exec: {command: ["%[2]s/fail"]}}
  - id: hang
    timeout: 1s
    driver: {exec: {command: ["%[2]s/hang"]}}
  - id: noisy
    driver: {exec: {command: ["%[2]s/noisy"]}}
`

// scripts are the exec drivers' programs. deployctl writes its argument
// vector (one per line, NUL-free) and environment where the test reads
// them, and prints the token it was given: the output must mask it.
var scripts = map[string]string{
	"deployctl": `#!/bin/sh
dir=$(dirname "$0")
for a in "$@"; do printf '%s\n--\n' "$a"; done > "$dir/argv"
env | sort > "$dir/env"
echo "rolled back $2 with $DEPLOY_TOKEN"
echo "warning: slow" >&2
`,
	"fail":  "#!/bin/sh\necho 'no release to roll back to' >&2\nexit 3\n",
	"hang":  "#!/bin/sh\nsleep 30\n",
	"noisy": "#!/bin/sh\nhead -c 200000 /dev/zero | tr '\\000' x\nprintf '\\377\\000end'\n",
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, testdb.SQLite(t))
}

// newFixtureOn is newFixture on a migrated store of the test's choice.
func newFixtureOn(t *testing.T, st store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{t: t, ctx: ctx, store: st, clock: vigiltest.NewManualClock(t0), platform: opstest.StartPlatform(t), dir: dir}
	f.org = testdb.Org(t, st, f.clock.Now, fmt.Sprintf(orgYAML, f.platform.URL(), dir))
	inc := incident.Incident{Title: "checkout is down", Status: incident.StatusTriggered, Severity: incident.SEV2, Urgency: incident.UrgencyHigh, Service: "checkout",
		Services: []string{"checkout"}, CreatedAt: t0, UpdatedAt: t0}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.InsertIncident(&inc) }); err != nil {
		t.Fatal(err)
	}
	f.incident = inc.ID
	return f
}

func (f *fixture) runner() *Runner {
	return New(Options{Store: f.store, Org: f.org.Snapshot, Now: f.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Getenv: func(name string) string {
			switch name {
			case "PLATFORM_TOKEN":
				return secret
			case "PATH":
				return os.Getenv("PATH")
			}
			return ""
		}})
}

// run starts a run and has the runner execute it.
func (f *fixture) run(r *Runner, req Request) ops.Run {
	f.t.Helper()
	started, err := r.Start(f.ctx, req)
	if err != nil {
		f.t.Fatalf("start %+v: %v", req, err)
	}
	if n, err := r.RunOnce(f.ctx); err != nil || n != 1 {
		f.t.Fatalf("RunOnce = %d, %v; want 1 run", n, err)
	}
	run, err := r.Wait(f.ctx, started.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return run
}

// noSecret fails when the secret shows anywhere a run is kept: the run,
// the timeline, the audit log.
func (f *fixture) noSecret(runID int64) {
	f.t.Helper()
	run, err := f.store.GetOperationRun(f.ctx, runID)
	if err != nil {
		f.t.Fatal(err)
	}
	tl, err := f.store.Timeline(f.ctx, f.incident)
	if err != nil {
		f.t.Fatal(err)
	}
	audit, err := f.store.ListAudit(f.ctx, store.AuditQuery{Kind: AuditKind})
	if err != nil {
		f.t.Fatal(err)
	}
	kept, _ := json.Marshal([]any{run, tl, audit})
	if strings.Contains(string(kept), secret) {
		f.t.Errorf("the secret is stored: %s", kept)
	}
}

func TestHTTPDrainReachesThePlatformAsRendered(t *testing.T) {
	f := newFixture(t)
	r := f.runner()
	dry, prep, err := r.Prepare(Request{Service: "checkout", Operation: "drain", Incident: f.incident, Actor: "user:alice", Channel: "web"})
	if err != nil {
		t.Fatal(err)
	}
	wantShown := fmt.Sprintf("POST %s/v1/services/checkout/drain\nAuthorization: Bearer ***\nContent-Type: application/json\n\n"+
		`{"region": "eu-1", "incident": "%d", "requested_by": "user:alice"}`+"\n", f.platform.URL(), f.incident)
	if dry.Request != wantShown || dry.ID != 0 || len(f.platform.Requests()) != 0 {
		t.Fatalf("dry run shows\n%s\nwant\n%s", dry.Request, wantShown)
	}

	run := f.run(r, Request{Service: "checkout", Operation: "drain", Incident: f.incident, Actor: "user:alice", Channel: "web"})
	if run.Status != ops.StatusSucceeded || run.Error != "" || run.StartedAt == nil || run.FinishedAt == nil {
		t.Fatalf("run = %+v", run)
	}
	got := f.platform.Requests()
	if len(got) != 1 {
		t.Fatalf("the platform received %d requests, want 1", len(got))
	}
	rec := got[0]
	if rec.Method != prep.Send.Method || f.platform.URL()+rec.Path != prep.Send.URL || rec.Body != prep.Send.Body ||
		rec.Header.Get("Authorization") != "Bearer "+secret || rec.Header.Get("Content-Type") != "application/json" {
		t.Errorf("the platform received %+v, want the rendered %+v", rec, prep.Send)
	}
	if !strings.Contains(run.Output, "HTTP 200 OK") || !strings.Contains(run.Output, `"auth": "Bearer ***"`) {
		t.Errorf("output = %q, want the answer with the echoed token masked", run.Output)
	}
	if run.Params["region"] != "eu-1" || run.Channel != "web" || run.Actor != "user:alice" {
		t.Errorf("run = %+v", run)
	}

	tl, err := f.store.Timeline(f.ctx, f.incident)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range tl {
		if e.Kind == TimelineKind {
			msgs = append(msgs, e.Actor+" "+e.Channel+": "+e.Message)
		}
	}
	want := []string{"user:alice web: drain on checkout requested by user:alice", "user:alice web: drain on checkout (region=eu-1) succeeded in 0s"}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	audit, err := f.store.ListAudit(f.ctx, store.AuditQuery{Kind: AuditKind, ObjID: fmt.Sprint(run.ID)})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Actor+" "+a.Action)
	}
	if strings.Join(actions, ",") != "user:alice operation.succeeded,user:alice operation.run" {
		t.Errorf("audit = %v", actions)
	}
	f.noSecret(run.ID)
}

func TestFailedRuns(t *testing.T) {
	cases := []struct {
		name     string
		req      Request
		status   int           // the platform's answer
		delay    time.Duration // before it answers
		wantErr  string
		wantOut  string
		maxTaken time.Duration
	}{
		{name: "platform answers 500", req: Request{Service: "checkout", Operation: "restart"}, status: 500,
			wantErr: "the platform answered 500 Internal Server Error", wantOut: "HTTP 500 Internal Server Error"},
		{name: "platform answers a redirect", req: Request{Service: "checkout", Operation: "restart"}, status: 302,
			wantErr: "the platform answered 302 Found"},
		{name: "platform too slow", req: Request{Service: "checkout", Operation: "restart"}, status: 200, delay: 10 * time.Second,
			wantErr: "it did not finish within its 1s timeout", maxTaken: 5 * time.Second},
		{name: "program exits 3", req: Request{Service: "checkout", Operation: "fail"},
			wantErr: "/fail exited with status 3", wantOut: "--- stderr ---\nno release to roll back to"},
		{name: "program hangs", req: Request{Service: "checkout", Operation: "hang"},
			wantErr: "it did not finish within its 1s timeout", maxTaken: 5 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.platform.Set(c.status, c.delay)
			c.req.Actor, c.req.Incident = "user:alice", f.incident
			began := time.Now()
			run := f.run(f.runner(), c.req)
			if taken := time.Since(began); c.maxTaken > 0 && taken > c.maxTaken {
				t.Errorf("the run took %s, want the timeout to stop it", taken)
			}
			if run.Status != ops.StatusFailed || !strings.Contains(run.Error, c.wantErr) || !strings.Contains(run.Output, c.wantOut) {
				t.Errorf("run: status %s, error %q, output %q; want failed with %q, output with %q", run.Status, run.Error, run.Output, c.wantErr, c.wantOut)
			}
			tl, _ := f.store.Timeline(f.ctx, f.incident)
			if last := tl[len(tl)-1]; !strings.Contains(last.Message, " failed: ") || !strings.Contains(last.Message, c.wantErr) {
				t.Errorf("timeline ends with %q", last.Message)
			}
		})
	}
}

func TestExecRunsTheArgumentVectorWithoutAShell(t *testing.T) {
	f := newFixture(t)
	os.Setenv("VIGIL_SERVER_ONLY", "not for programs") //nolint:usetesting // the server's own environment is the point
	defer os.Unsetenv("VIGIL_SERVER_ONLY")
	hostile := "x; rm -rf / $(id) `id` \"quoted\" 'single' /../ \n{{env.PLATFORM_TOKEN}}"
	run := f.run(f.runner(), Request{Service: "checkout", Operation: "rollback", Incident: f.incident, Actor: "user:alice",
		Params: map[string]string{"to": hostile}})
	if run.Status != ops.StatusSucceeded {
		t.Fatalf("run = %+v", run)
	}
	argv, err := os.ReadFile(filepath.Join(f.dir, "argv"))
	if err != nil {
		t.Fatal(err)
	}
	want := "rollback\n--\ncheckout\n--\n--to=" + hostile + "\n--\n" + hostile + "\n--\n"
	if string(argv) != want {
		t.Errorf("the program received\n%q\nwant\n%q", argv, want)
	}
	env, err := os.ReadFile(filepath.Join(f.dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env), "DEPLOY_TOKEN="+secret+"\n") || !strings.Contains(string(env), fmt.Sprintf("REASON=incident %d\n", f.incident)) {
		t.Errorf("the program's environment lacks its variables:\n%s", env)
	}
	if strings.Contains(string(env), "VIGIL_SERVER_ONLY") {
		t.Errorf("the server's environment reached the program:\n%s", env)
	}
	if run.Output != "rolled back checkout with ***\n--- stderr ---\nwarning: slow\n" {
		t.Errorf("output = %q", run.Output)
	}
	if !strings.Contains(run.Request, `"--to=x; rm -rf / $(id)`) || strings.Contains(run.Request, secret) {
		t.Errorf("request shown = %q", run.Request)
	}
	f.noSecret(run.ID)
}

func TestOutputIsBoundedAndStorable(t *testing.T) {
	f := newFixture(t)
	run := f.run(f.runner(), Request{Service: "checkout", Operation: "noisy", Actor: "user:alice"})
	if run.Status != ops.StatusSucceeded || len(run.Output) > ops.MaxOutput || !strings.Contains(run.Output, "more bytes cut") {
		t.Errorf("run: status %s, %d bytes of output ending %q", run.Status, len(run.Output), run.Output[max(0, len(run.Output)-80):])
	}
}

// TestInjectionNeverChangesTheRequest sends hostile values through every
// place a parameter lands: the path, the query, a header and the JSON
// body. Each either arrives as data in the one place it was meant for,
// with the request's shape unchanged and no secret let out, or the run is
// refused before anything is sent.
func TestInjectionNeverChangesTheRequest(t *testing.T) {
	cases := []struct {
		name, flag, note string
		refused          string // why, when the value cannot go where it lands
	}{
		{name: "quote", flag: `a"b`, note: `", "admin": true, "x": "`},
		{name: "path traversal", flag: "/../admin", note: "/../../etc/passwd"},
		{name: "dot dot segment", flag: "..", refused: `".." segment`},
		{name: "newline into a header", flag: "a\r\nX-Admin: 1", refused: "header X-Flag"},
		{name: "newline in the body and query", flag: "a", note: "line\r\nX-Admin: 1\n\n{}"},
		{name: "template in a value", flag: "{{env.PLATFORM_TOKEN}}", note: "{{env.PLATFORM_TOKEN}}"},
		{name: "query breakout", flag: "a", note: "x&admin=true#frag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.runner()
			req := Request{Service: "checkout", Operation: "flag", Actor: "user:alice", Incident: f.incident,
				Params: map[string]string{"flag": c.flag, "note": c.note}}
			if c.refused != "" {
				_, err := r.Start(f.ctx, req)
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("start = %v, want refused with %q", err, c.refused)
				}
				if n := len(f.platform.Requests()); n != 0 {
					t.Errorf("the platform received %d requests", n)
				}
				return
			}
			run := f.run(r, req)
			if run.Status != ops.StatusSucceeded {
				t.Fatalf("run = %+v", run)
			}
			got := f.platform.Requests()
			if len(got) != 1 {
				t.Fatalf("the platform received %d requests", len(got))
			}
			rec := got[0]
			segs := strings.Split(strings.TrimPrefix(rec.Path, "/"), "/")
			if len(segs) != 5 || segs[0] != "v1" || segs[3] != "flags" {
				t.Errorf("path %q: its shape changed", rec.Path)
			}
			if flag, err := url.PathUnescape(segs[4]); err != nil || flag != c.flag {
				t.Errorf("the flag arrived as %q (%v), want %q", flag, err, c.flag)
			}
			q, err := url.ParseQuery(rec.RawQuery)
			if err != nil || len(q) != 1 || q.Get("note") != c.note {
				t.Errorf("query %q: want only note=%q", rec.RawQuery, c.note)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(rec.Body), &body); err != nil || len(body) != 2 || body["flag"] != c.flag || body["note"] != c.note {
				t.Errorf("body %s (%v): want exactly flag and note as given", rec.Body, err)
			}
			if rec.Header.Get("X-Flag") != c.flag || rec.Header.Get("X-Admin") != "" || rec.Header.Get("Authorization") != "Bearer "+secret {
				t.Errorf("headers = %v", rec.Header)
			}
			all := rec.Path + rec.RawQuery + rec.Body + rec.Header.Get("X-Flag")
			if strings.Contains(all, secret) {
				t.Errorf("the secret leaked into the request: %s", all)
			}
			f.noSecret(run.ID)
		})
	}
}

func TestOneRunAtATimePerServiceAndOperation(t *testing.T) {
	f := newFixture(t)
	r := f.runner()
	req := Request{Service: "checkout", Operation: "restart", Actor: "user:alice"}
	first, err := r.Start(f.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Start(f.ctx, req); !errors.Is(err, ErrBusy) {
		t.Fatalf("second start = %v, want ErrBusy", err)
	}
	// Another operation, or another service, is not held up.
	if _, err := r.Start(f.ctx, Request{Service: "search", Operation: "restart", Actor: "user:alice"}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunOnce(f.ctx); err != nil || n != 2 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	if run, _ := r.Wait(f.ctx, first.ID); run.Status != ops.StatusSucceeded {
		t.Fatalf("first = %+v", run)
	}
	if _, err := r.Start(f.ctx, req); err != nil {
		t.Errorf("after the first finished: %v", err)
	}
}

func TestRefusedRequests(t *testing.T) {
	f := newFixture(t)
	r := f.runner()
	cases := []struct {
		req  Request
		want error
		text string
	}{
		{Request{Service: "nope", Operation: "drain"}, store.ErrNotFound, `no service "nope"`},
		{Request{Service: "checkout", Operation: "nope"}, store.ErrNotFound, `offers no operation "nope"`},
		{Request{Service: "search", Operation: "drain"}, store.ErrNotFound, `offers no operation "drain"`},
		{Request{Service: "checkout", Operation: "drain", Params: map[string]string{"region": "EU 1"}}, nil, `does not match`},
		{Request{Service: "checkout", Operation: "drain", Params: map[string]string{"zone": "a"}}, nil, `no parameter "zone"`},
		{Request{Service: "checkout", Operation: "restart", Incident: 999}, store.ErrNotFound, "incident 999"},
	}
	for _, c := range cases {
		c.req.Actor = "user:alice"
		_, err := r.Start(f.ctx, c.req)
		if err == nil || c.want != nil && !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("start %+v = %v, want %v with %q", c.req, err, c.want, c.text)
		}
	}
	if runs, _ := f.store.ListOperationRuns(f.ctx, store.OperationRunQuery{}); len(runs) != 0 {
		t.Errorf("refused requests stored runs: %+v", runs)
	}
}

// TestADeadReplicasRunFailsAndIsNeverRerun: a replica claims a run and
// dies before it finishes; once its claim ends, another replica marks
// the run failed with the reason, and nothing runs it again.
func TestADeadReplicasRunFailsAndIsNeverRerun(t *testing.T) {
	f := newFixture(t)
	dying, survivor := f.runner(), f.runner()
	started, err := dying.Start(f.ctx, Request{Service: "checkout", Operation: "drain", Incident: f.incident, Actor: "user:alice"})
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := dying.claimHanded(f.ctx) // claimed, then the replica dies before sending
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	f.clock.Add(2*time.Second + ops.LeaseGrace) // within its claim: nothing happens
	if n, err := survivor.RunOnce(f.ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce within the claim = %d, %v", n, err)
	}
	f.clock.Add(time.Second)
	if n, err := survivor.RunOnce(f.ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce after the claim = %d, %v", n, err)
	}
	run, err := f.store.GetOperationRun(f.ctx, started.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != ops.StatusFailed || !strings.Contains(run.Error, "the server running it stopped before it finished") {
		t.Errorf("run = %+v", run)
	}
	for _, r := range []*Runner{survivor, dying} {
		if n, err := r.RunOnce(f.ctx); err != nil || n != 0 {
			t.Errorf("RunOnce afterwards = %d, %v", n, err)
		}
	}
	if n := len(f.platform.Requests()); n != 0 {
		t.Errorf("the platform received %d requests; the run must never be re-run", n)
	}
	tl, _ := f.store.Timeline(f.ctx, f.incident)
	if last := tl[len(tl)-1]; last.Kind != TimelineKind || !strings.Contains(last.Message, "failed: the server running it stopped") {
		t.Errorf("timeline ends with %+v", last)
	}
}

// TestAnUnclaimedRunExpires: a replica stores a run and dies before
// claiming it; another fails it once ops.StartWithin has passed, and it
// never runs.
func TestAnUnclaimedRunExpires(t *testing.T) {
	f := newFixture(t)
	dying, survivor := f.runner(), f.runner()
	started, err := dying.Start(f.ctx, Request{Service: "checkout", Operation: "restart", Actor: "user:alice"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := survivor.RunOnce(f.ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce = %d, %v; another replica's fresh run is its own", n, err)
	}
	f.clock.Add(ops.StartWithin + time.Second)
	if n, err := survivor.RunOnce(f.ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	if n, err := dying.RunOnce(f.ctx); err != nil || n != 0 {
		t.Fatalf("the late replica ran %d, %v", n, err)
	}
	run, _ := dying.Wait(f.ctx, started.ID)
	if run.Status != ops.StatusFailed || !strings.Contains(run.Error, "it was not run") || len(f.platform.Requests()) != 0 {
		t.Errorf("run = %+v, platform got %d", run, len(f.platform.Requests()))
	}
}

// TestRunStopsWithItsContext: Run executes a handed run at once, and a
// stop while a program runs records the run failed.
func TestRunStopsWithItsContext(t *testing.T) {
	f := newFixture(t)
	r := f.runner()
	ctx, cancel := context.WithCancel(f.ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		r.Run(ctx)
	}()
	ok, err := r.Start(f.ctx, Request{Service: "checkout", Operation: "restart", Actor: "user:alice"})
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, done := context.WithTimeout(f.ctx, 10*time.Second)
	defer done()
	if run, err := r.Wait(waitCtx, ok.ID); err != nil || run.Status != ops.StatusSucceeded {
		t.Fatalf("run = %+v, %v", run, err)
	}
	hung, err := r.Start(f.ctx, Request{Service: "checkout", Operation: "hang", Actor: "user:alice"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		run, _ := f.store.GetOperationRun(f.ctx, hung.ID)
		if run.Status == ops.StatusRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never claimed: %+v", run)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-stopped
	run, _ := f.store.GetOperationRun(f.ctx, hung.ID)
	if run.Status != ops.StatusFailed || !strings.Contains(run.Error, "the server stopped while it ran") {
		t.Errorf("run = %+v", run)
	}
}

// TestReplicasOnPostgreSQL runs two replicas on one PostgreSQL database:
// of two requests for the same run at once one is refused; only the
// replica that took a run executes it, however often the other looks;
// and a dead replica's run is failed once, by whichever replica reaps
// first.
func TestReplicasOnPostgreSQL(t *testing.T) {
	dsn := pgtest.Schema(t)
	open := func() store.Store {
		st, err := storeopen.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return st
	}
	f := newFixtureOn(t, open())
	other := open()
	otherOrg := org.NewManager(other, f.clock.Now)
	if err := otherOrg.Load(f.ctx); err != nil {
		t.Fatal(err)
	}
	a := f.runner()
	b := New(Options{Store: other, Org: otherOrg.Snapshot, Now: f.clock.Now, Getenv: a.getenv, Logger: a.log})

	req := Request{Service: "checkout", Operation: "restart", Actor: "user:alice", Incident: f.incident}
	errs := make(chan error, 2)
	var started []ops.Run
	var mu sync.Mutex
	for _, r := range []*Runner{a, b} {
		go func() {
			run, err := r.Start(f.ctx, req)
			if err == nil {
				mu.Lock()
				started = append(started, run)
				mu.Unlock()
			}
			errs <- err
		}()
	}
	var busy int
	for range 2 {
		if err := <-errs; errors.Is(err, ErrBusy) {
			busy++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if busy != 1 || len(started) != 1 {
		t.Fatalf("two requests at once: %d refused, %d started; want one of each", busy, len(started))
	}
	runAtOnce(t, a, b, a, b, a, b, a, b)
	if run, _ := f.store.GetOperationRun(f.ctx, started[0].ID); run.Status != ops.StatusSucceeded || len(f.platform.Requests()) != 1 {
		t.Fatalf("run = %+v; the platform received %d requests, want 1", run, len(f.platform.Requests()))
	}

	dead, err := a.Start(f.ctx, Request{Service: "checkout", Operation: "drain", Actor: "user:alice", Incident: f.incident})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.claimHanded(f.ctx); err != nil { // and the replica dies
		t.Fatal(err)
	}
	f.clock.Add(time.Hour)
	c := New(Options{Store: f.store, Org: f.org.Snapshot, Now: f.clock.Now, Logger: a.log})
	runAtOnce(t, b, c)
	audit, err := f.store.ListAudit(f.ctx, store.AuditQuery{Kind: AuditKind, ObjID: fmt.Sprint(dead.ID)})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "operation.failed,operation.run" || len(f.platform.Requests()) != 1 {
		t.Errorf("the dead replica's run: audit %v, platform requests %d; want failed once and never sent", actions, len(f.platform.Requests()))
	}
}

// runAtOnce calls RunOnce of every runner given, all at once.
func runAtOnce(t *testing.T, runners ...*Runner) {
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.RunOnce(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
