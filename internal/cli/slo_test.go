package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/clock"
	"github.com/vigil-oncall/vigil/internal/slo/slotest"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

const testAdminToken = "cli-test-admin-token-0123456789"

// startServer runs `vigil serve --config examples/org` in-process on a
// fresh database and returns its URL. Its clock is pinned to pin when one is given, else to whatever the test run pins
// (VIGIL_TEST_NOW), else it is the wall clock.
func startServer(t *testing.T, pin string) string {
	t.Helper()
	return startServerWith(t, pin, exampleOrg)
}

// startServerWith is startServer with another configuration.
func startServerWith(t *testing.T, pin, configPath string) string {
	t.Helper()
	return startServerEnv(t, pin, configPath, nil)
}

// startServerEnv is startServerWith with more of the server's environment.
func startServerEnv(t *testing.T, pin, configPath string, vars map[string]string) string {
	t.Helper()
	if pin == "" {
		pin = os.Getenv(clock.PinVariable)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := Env{Stdout: io.Discard, Stderr: io.Discard, Version: "test",
		Getenv: func(k string) string {
			switch k {
			case "VIGIL_ADMIN_TOKEN":
				return testAdminToken
			case clock.PinVariable:
				return pin
			}
			return vars[k]
		}}
	go func() {
		done <- serve(ctx, serveOptions{
			addr: "127.0.0.1:0", dsn: "sqlite:" + filepath.Join(t.TempDir(), "vigil.db"), configPath: configPath,
			claimLease: time.Minute, env: env, log: slog.New(slog.NewTextHandler(io.Discard, nil)), ready: ready,
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

// TestGateCheckExitCodes runs the CLI against a real server with the
// example organisation, where checkout (owned by storefront, Germany) is
// frozen for Black Friday from 26 November to 1 December 2026 and every
// service for the year end from 21 December. The server's clock stands on
// Black Friday, so that an override made "now" has a freeze to override.
func TestGateCheckExitCodes(t *testing.T) {
	url := startServer(t, "2026-11-27T10:00:00Z")
	vars := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
	cases := []struct {
		name     string
		args     []string
		vars     map[string]string
		want     int
		contains []string
	}{
		{"an ordinary Tuesday", []string{"gate", "check", "--service", "checkout", "--at", "2026-11-10T10:00:00Z"}, vars, 0,
			[]string{"allow: releases of checkout may go ahead"}},
		{"Black Friday", []string{"gate", "check", "--service", "checkout", "--at", "2026-11-27T10:00:00Z"}, vars, 1,
			[]string{"deny: freeze: freeze black-friday (2026-11-26T00:00:00+01:00 to 2026-12-01T00:00:00+01:00): peak season"}},
		{"Christmas Day", []string{"gate", "check", "--service", "checkout", "--at", "2026-12-25T10:00:00Z"}, vars, 1,
			[]string{"deny: holiday: Friday 25 December 2026 is a public holiday in DE", "deny: freeze: freeze year-end"}},
		{"unknown service", []string{"gate", "check", "--service", "nope"}, vars, 2, nil},
		{"no service", []string{"gate", "check"}, vars, 2, nil},
		{"bad time", []string{"gate", "check", "--service", "checkout", "--at", "tomorrow"}, vars, 2, nil},
		{"no server", []string{"gate", "check", "--service", "checkout"}, map[string]string{}, 2, nil},
		{"wrong token", []string{"gate", "check", "--service", "checkout"}, map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": "wrong-token-0123456789"}, 2, nil},
		{"no subcommand", []string{"gate"}, vars, 2, nil},
	}
	for _, c := range cases {
		code, out, errOut := run(t, c.vars, c.args...)
		if code != c.want {
			t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", c.name, code, c.want, out, errOut)
			continue
		}
		for _, s := range c.contains {
			if !strings.Contains(out, s) {
				t.Errorf("%s: output %q lacks %q", c.name, out, s)
			}
		}
	}

	// An override lets the release through, every reason still printed.
	code, out, errOut := run(t, vars, "gate", "override", "--service", "checkout", "--reason", "hotfix for a payment bug", "--expires", "2h")
	if code != 0 || !strings.Contains(out, "releases of checkout pass until") {
		t.Fatalf("override: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := run(t, vars, "gate", "override", "--service", "checkout", "--reason", "too long", "--expires", "30d"); code != 1 {
		t.Errorf("a 30-day override: exit %d, want 1 (refused)", code)
	}
	code, out, _ = run(t, vars, "gate", "check", "--service", "checkout")
	if code != 0 || !strings.HasPrefix(out, "allow: overridden until") || !strings.Contains(out, "hotfix for a payment bug") {
		t.Errorf("during the override: exit %d\n%s", code, out)
	}
}

func TestSLOStatusAgainstServer(t *testing.T) {
	url := startServer(t, "")
	vars := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
	code, out, errOut := run(t, vars, "slo", "status")
	if code != 0 {
		t.Fatalf("slo status: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") ||
		// No data yet: the whole budget is left, as the API (1) and the
		// web UI (100.0%) say, and the line says why.
		!strings.HasPrefix(lines[1], "checkout-availability") || !strings.Contains(lines[1], "  no data  ") ||
		!strings.Contains(lines[1], "  100.0% (no data)  ") ||
		!strings.HasPrefix(lines[2], "search-latency") || !strings.Contains(lines[2], "99.000%") {
		t.Errorf("slo status:\n%s", out)
	}
	code, out, _ = run(t, vars, "slo", "status", "--service", "search")
	if code != 0 || strings.Contains(out, "checkout-availability") || !strings.Contains(out, "search-latency") {
		t.Errorf("slo status --service search: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, vars, "slo", "status", "checkout-availability")
	if code != 0 || !strings.Contains(out, "objective 99.900% over 4w rolling") || !strings.Contains(out, "page-1h") ||
		!strings.Contains(out, "budget left:  100.0% (no data)\n") {
		t.Errorf("slo status checkout-availability: exit %d\n%s", code, out)
	}
	if code, _, _ := run(t, vars, "slo", "status", "nope"); code != 2 {
		t.Errorf("slo status of an unknown SLO: exit %d, want 2", code)
	}
}

// TestSLORulesFromExamples writes the example's rules offline, compares
// them with testdata/example-slo-rules.golden and, when promtool is
// installed, checks them with it.
func TestSLORulesFromExamples(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	code, _, errOut := run(t, nil, "slo", "rules", "-f", exampleOrg, "-o", path)
	if code != 0 {
		t.Fatalf("slo rules: exit %d: %s", code, errOut)
	}
	rules, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The whole file: search-latency's rules, and checkout-availability,
	// whose data is pushed, left out in a comment (-update rewrites it).
	vigiltest.Golden(t, "example-slo-rules", rules)
	if code, _, _ := run(t, nil, "slo", "rules"); code != 2 {
		t.Errorf("slo rules without -f: exit %d, want 2", code)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH; install it with: go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0")
	}
	if msg, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, msg)
	}
}

// TestValidateReportsSLOProblems: a broken SLO document fails validation
// with its file and line.
func TestValidateReportsSLOProblems(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"org.yaml", "people.yaml", "schedules.yaml", "services.yaml", "teams.yaml"} {
		data, err := os.ReadFile(filepath.Join(exampleOrg, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bad := slotest.Edit(slotest.CheckoutAvailability, "service: checkout", "service: no-such-service")
	if err := os.WriteFile(filepath.Join(dir, "slos.yaml"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, nil, "validate", "-f", dir)
	if code != 1 || !strings.Contains(errOut, "slos.yaml:5:") || !strings.Contains(errOut, `unknown service "no-such-service"`) {
		t.Errorf("validate: exit %d\n%s", code, errOut)
	}
}
