package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest/testdb"

	"github.com/vigil-oncall/vigil/internal/api"
	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/store"
)

const exampleOrg = "../../examples/org"

// run executes vigil with args and an environment holding vars.
func run(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }, Version: "test"}
	code = Run(context.Background(), args, env)
	return code, out.String(), errOut.String()
}

// The expected users below are worked out by hand from examples/org:
//
//   - 2026-01-07 12:00 UTC is Wednesday 13:00 in Berlin, 07:00 in New
//     York. Every weekly rotation starts on Monday Jan 5, so it is in its
//     first week: kim (irt-core), anna (storefront), isabel (berlin-day,
//     08:00-20:00 Berlin, on top of platform). payments-primary's
//     office-hours layer is not active before 09:00, so its weekly dave
//     answers. irt-global hands off every 12h from Jan 5 00:00 UTC: 60h
//     later is the sixth slot, noah's.
//   - payments-api pages payments-primary first; at noon in New York on
//     Wednesday the office-hours layer (daily from Monday) is in its
//     third day: emma.
//   - catalog-api has no policy of its own: its owner storefront's policy
//     pages storefront-primary, where Feb 10 is in the sixth week: clara.
//   - At 10:00 in Sydney on Jan 7 (midnight in Berlin) sydney-day is
//     active in its first week: grace.
//   - The release-night override puts jonas alone on
//     platform-follow-the-sun from 20:00 to 02:00 Berlin time on Feb 20.
var offlineCases = []struct {
	name string
	args []string
	want string
}{
	{"every schedule", []string{"--at", "2026-01-07T12:00:00Z"},
		"kim     Kim Hoffmann  on call for schedule irt-core-oncall\n" +
			"noah    Noah Wilson   on call for schedule irt-global-oncall\n" +
			"dave    Dave Miller   on call for schedule payments-primary\n" +
			"isabel  Isabel Braun  on call for schedule platform-follow-the-sun\n" +
			"anna    Anna Becker   on call for schedule storefront-primary\n"},
	{"service with its own policy", []string{"--service", "payments-api", "--at", "2026-01-07T12:00:00-05:00"},
		"emma  Emma Johnson  on call for schedule payments-primary\n"},
	{"service paging its owner's policy", []string{"--service", "catalog-api", "--at", "2026-02-10T12:00:00+01:00"},
		"clara  Clara Wolf  on call for schedule storefront-primary\n"},
	{"team", []string{"--team", "platform", "--at", "2026-01-07T10:00:00+11:00"},
		"grace  Grace Nguyen  on call for schedule platform-follow-the-sun\n"},
	{"schedule with an override", []string{"--schedule", "platform-follow-the-sun", "--at", "2026-02-20T22:00:00+01:00"},
		"jonas  Jonas Richter  on call for schedule platform-follow-the-sun\n"},
	{"schedule after the override", []string{"--schedule", "platform-follow-the-sun", "--at", "2026-02-21T02:00:00+01:00"},
		"grace  Grace Nguyen  on call for schedule platform-follow-the-sun\n"},
}

func TestOncallOffline(t *testing.T) {
	for _, c := range offlineCases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, nil, append([]string{"oncall", "--config", exampleOrg}, c.args...)...)
			if code != 0 || out != c.want || errOut != "" {
				t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, out, c.want, errOut)
			}
		})
	}
}

func TestOncallOfflineJSON(t *testing.T) {
	code, out, _ := run(t, nil, "oncall", "--config", exampleOrg, "--service", "payments-api", "--at", "2026-01-07T20:00:00-05:00", "--json")
	var got routing.Answer
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	// After office hours the weekly layer answers: dave's first week.
	want := routing.Answer{At: time.Date(2026, 1, 8, 1, 0, 0, 0, time.UTC), Service: "payments-api", EscalationPolicy: "payments-default",
		OnCall: []routing.PagedPerson{{ID: "dave", Name: "Dave Miller", Reason: "on call for schedule payments-primary"}}, Notes: []string{}}
	if !got.At.Equal(want.At) || got.Service != want.Service || got.EscalationPolicy != want.EscalationPolicy ||
		len(got.OnCall) != 1 || got.OnCall[0] != want.OnCall[0] || got.Notes == nil || len(got.Notes) != 0 {
		t.Errorf("got %+v, want %+v", got, want)
	}

	code, out, _ = run(t, nil, "oncall", "--config", exampleOrg, "--json", "--at", "2026-01-07T12:00:00Z")
	var all []routing.Answer
	if err := json.Unmarshal([]byte(out), &all); code != 0 || err != nil || len(all) != 5 || all[0].Schedule != "irt-core-oncall" || all[0].OnCall[0].ID != "kim" {
		t.Errorf("every schedule as JSON: exit %d, %v: %s", code, err, out)
	}
}

func TestOncallNotesGoToStderr(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "org.yaml")
	yaml := `
users:
  - {id: ann, name: Ann, time_zone: UTC}
teams:
  - {id: irt, kind: global-irt, members: [ann]}
schedules:
  - id: late
    time_zone: UTC
    layers:
      - {id: weekly, users: [ann], rotation: {every: 1w}, start: "2026-06-01T00:00:00Z"}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, nil, "oncall", "--config", path, "--schedule", "late", "--at", "2026-05-01T00:00:00Z")
	if code != 0 || out != "" || errOut != "vigil oncall: nobody is on call for schedule late\n" {
		t.Errorf("gap: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = run(t, nil, "oncall", "--config", path, "--team", "irt", "--at", "2026-05-01T00:00:00Z")
	if code != 0 || out != "ann  Ann  member of team irt\n" {
		t.Errorf("team without a schedule: exit %d, stdout %q", code, out)
	}
}

func TestOncallErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("users:\n  - {id: Bad Id}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"two selectors", []string{"--config", exampleOrg, "--team", "platform", "--service", "auth"}, 2, "at most one"},
		{"bad --at", []string{"--config", exampleOrg, "--at", "tomorrow"}, 2, "RFC 3339"},
		{"date without time", []string{"--config", exampleOrg, "--at", "2026-01-07"}, 2, "RFC 3339"},
		{"server and config", []string{"--config", exampleOrg, "--server", "http://127.0.0.1:1"}, 2, "not both"},
		{"unknown schedule", []string{"--config", exampleOrg, "--schedule", "nope"}, 2, `unknown schedule "nope"`},
		{"unknown service", []string{"--config", exampleOrg, "--service", "nope"}, 2, `unknown service "nope"`},
		{"unknown team", []string{"--config", exampleOrg, "--team", "nope"}, 2, `unknown team "nope"`},
		{"invalid files", []string{"--config", bad}, 1, "problem"},
		{"missing files", []string{"--config", filepath.Join(dir, "none.yaml")}, 1, "none.yaml"},
		{"no server", nil, 2, "--server"},
		{"bad server URL", []string{"--server", "ftp://x"}, 2, "invalid server URL"},
		{"unknown flag", []string{"--shedule", "x"}, 2, "shedule"},
		{"stray argument", []string{"--config", exampleOrg, "extra"}, 2, "unexpected arguments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, nil, append([]string{"oncall"}, c.args...)...)
			if code != c.code || !strings.Contains(errOut, c.inStderr) || out != "" {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want it to contain %q)", code, c.code, out, errOut, c.inStderr)
			}
		})
	}
	if code, out, _ := run(t, nil, "oncall", "--help"); code != 0 || !strings.Contains(out, "--service") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
}

// TestOncallOnline asks a real server holding examples/org: the answers
// are the offline ones.
func TestOncallOnline(t *testing.T) {
	ctx := context.Background()
	st := testdb.SQLite(t)
	now := func() time.Time { return time.Date(2026, 1, 7, 12, 0, 0, 0, time.UTC) }
	const secret = "oncall-test-viewer-token-0123456789"
	if err := st.CreateToken(ctx, store.Token{ID: "viewer", Name: "viewer", Hash: auth.Hash(secret), Role: auth.RoleViewer, CreatedAt: now()},
		store.AuditEntry{At: now(), Actor: "test", Action: "token.create", Kind: "token", ObjID: "viewer"}); err != nil {
		t.Fatal(err)
	}
	m := org.NewManager(st, now)
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	loaded, err := config.Load(exampleOrg)
	if err != nil || len(loaded.Problems) > 0 {
		t.Fatalf("load examples: %v %v", err, loaded.Problems)
	}
	if _, err := m.Apply(ctx, &loaded.Bundle, "test", false); err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Options{Store: st, Org: m, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	vars := map[string]string{"VIGIL_SERVER": hs.URL, "VIGIL_TOKEN": secret}

	for _, c := range offlineCases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, vars, append([]string{"oncall"}, c.args...)...)
			if code != 0 || out != c.want {
				t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, out, c.want, errOut)
			}
		})
	}
	// Without --at the server's clock decides: its now is the instant of
	// the first case.
	if code, out, _ := run(t, vars, "oncall", "--server", hs.URL); code != 0 || out != offlineCases[0].want {
		t.Errorf("at the server's now: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, vars, "oncall", "--service", "nope"); code != 2 || !strings.Contains(errOut, "404") {
		t.Errorf("unknown service: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(t, map[string]string{"VIGIL_SERVER": hs.URL, "VIGIL_TOKEN": "wrong"}, "oncall"); code != 2 || !strings.Contains(errOut, "401") {
		t.Errorf("wrong token: exit %d, %q", code, errOut)
	}
}
