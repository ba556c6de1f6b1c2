package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPostmortem drafts, edits, reviews, publishes and exports the
// post-mortem of an incident through the CLI, against a real server with
// the example organisation.
func TestPostmortem(t *testing.T) {
	url := startServer(t, "2026-03-03T10:00:00Z")
	vars := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
	cli := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := run(t, vars, args...)
		if code != want {
			t.Fatalf("vigil %s: exit %d, want %d\nstdout %s\nstderr %s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	cli(exitOK, "incident", "declare", "--service", "checkout", "--title", "checkout down", "--severity", "SEV2")
	cli(exitOK, "incident", "resolve", "1", "--note", "rolled back")

	out := cli(exitOK, "postmortem", "create", "1")
	for _, want := range []string{"post-mortem of incident 1 drafted: draft, version 1", "required: severity SEV2", "due: "} {
		if !strings.Contains(out, want) {
			t.Errorf("create says %q, want %q in it", out, want)
		}
	}
	if out := cli(exitFail, "postmortem", "create", "1"); !strings.Contains(out, "409") {
		t.Errorf("a second draft: %q, want a 409", out)
	}

	factors := filepath.Join(t.TempDir(), "factors.md")
	if err := os.WriteFile(factors, []byte("- the deploy skipped the canary\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cli(exitOK, "postmortem", "edit", "1", "--set", "summary=Checkout failed for 20 minutes.", "--set-file", "contributing_factors="+factors)
	// An edit made on version 1 is stale now: refused, not lost.
	if out := cli(exitFail, "postmortem", "edit", "1", "--version", "1", "--set", "summary=mine"); !strings.Contains(out, "409") {
		t.Errorf("a stale edit: %q, want a 409", out)
	}
	cli(exitOK, "postmortem", "item", "1", "--title", "Canary every deploy", "--team", "storefront", "--due", "2026-03-20",
		"--url", "https://tracker.example.com/SF-1")
	if out := cli(exitFail, "postmortem", "edit", "1", "--status", "published"); !strings.Contains(out, "reviewed") {
		t.Errorf("publishing a draft: %q, want it refused as unreviewed", out)
	}
	cli(exitOK, "postmortem", "edit", "1", "--status", "in_review")
	if out := cli(exitOK, "postmortem", "edit", "1", "--status", "published"); !strings.Contains(out, "published, version 5") {
		t.Errorf("publish: %q", out)
	}

	out = cli(exitOK, "postmortem", "show", "1")
	for _, want := range []string{"published, version 5", "owner team: storefront", "Canary every deploy", "storefront", "2026-03-20", "https://tracker.example.com/SF-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var pm map[string]any
	if err := json.Unmarshal([]byte(cli(exitOK, "postmortem", "show", "1", "--json")), &pm); err != nil || pm["status"] != "published" {
		t.Errorf("show --json: %v %v", pm, err)
	}

	md := cli(exitOK, "postmortem", "export", "1")
	if api := string(apiGet(t, url+"/api/v1/postmortems/1/markdown")); md != api {
		t.Errorf("export differs from the API's Markdown:\n%s\n---\n%s", md, api)
	}
	for _, want := range []string{"Checkout failed for 20 minutes.", "- the deploy skipped the canary", "Canary every deploy"} {
		if !strings.Contains(md, want) {
			t.Errorf("export lacks %q:\n%s", want, md)
		}
	}
	file := filepath.Join(t.TempDir(), "pm.md")
	cli(exitOK, "postmortem", "export", "1", "-o", file)
	if b, err := os.ReadFile(file); err != nil || string(b) != md {
		t.Errorf("export -o wrote %q, %v", b, err)
	}

	for _, bad := range [][]string{
		{"postmortem", "show"}, {"postmortem", "show", "x"}, {"postmortem", "show", "1", "2"},
		{"postmortem", "edit", "1"}, {"postmortem", "edit", "1", "--set", "nosuch=x"}, {"postmortem", "edit", "1", "--set", "summary"},
		{"postmortem", "item", "1", "--title", "t"},
	} {
		cli(exitError, bad...)
	}
	if out := cli(exitFail, "postmortem", "show", "99"); !strings.Contains(out, "404") {
		t.Errorf("show of no post-mortem: %q", out)
	}
}
