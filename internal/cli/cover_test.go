package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Cover requests through the CLI, against examples/org at Tuesday
// 2026-03-03 10:00 UTC: storefront-primary rotates anna, ben and clara
// weekly from Monday Jan 5, so the week of March 2 (the ninth) is clara's.
func TestOncallCover(t *testing.T) {
	url := startServer(t, "2026-03-03T10:00:00Z")
	admin := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
	as := map[string]map[string]string{}
	for _, user := range []string{"anna", "ben", "clara"} {
		c, err := newClient(url, Env{Getenv: func(k string) string { return admin[k] }})
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			Token string `json:"token"`
		}
		if err := c.do(context.Background(), "POST", "/api/v1/tokens", map[string]string{"name": user, "user_id": user}, &tok); err != nil {
			t.Fatal(err)
		}
		as[user] = map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": tok.Token}
	}
	steps := []struct {
		who  string
		args []string
		want int
		out  string // a part of stdout, or of stderr when it fails
	}{
		{"clara", []string{"request", "--schedule", "storefront-primary", "--from", "2026-03-04T00:00:00Z", "--to", "bogus"}, exitError, "not an RFC 3339 time"},
		{"anna", []string{"request", "--schedule", "storefront-primary", "--from", "2026-03-04T00:00:00Z", "--to", "2026-03-05T00:00:00Z"}, exitError, "anna is not on call"},
		{"clara", []string{"request", "--schedule", "storefront-primary", "--from", "2026-03-04T00:00:00Z", "--to", "2026-03-05T00:00:00Z", "--message", "dentist"}, exitOK,
			"cover request 1: clara on storefront-primary from 2026-03-04T00:00:00Z to 2026-03-05T00:00:00Z; your teammates (anna, ben) are told in their business hours"},
		{"ben", []string{"list", "--status", "open"}, exitOK, "1   open    storefront-primary  clara"},
		{"clara", []string{"accept", "1"}, exitFail, "cannot cover for themself"},
		{"anna", []string{"accept", "x"}, exitError, "not a cover request id"},
		{"anna", []string{"accept", "1"}, exitOK, "cover request 1 accepted: anna covers for clara on storefront-primary"},
		{"ben", []string{"accept", "1"}, exitFail, "409"},
		{"clara", []string{"cancel", "1"}, exitFail, "409"},
		{"admin", []string{"list", "--user", "anna"}, exitOK, "accepted  storefront-primary  clara"},
	}
	for _, st := range steps {
		vars := admin
		if st.who != "admin" {
			vars = as[st.who]
		}
		code, out, errOut := run(t, vars, append([]string{"oncall", "cover"}, st.args...)...)
		text := out
		if code != exitOK {
			text = errOut
		}
		if code != st.want || !strings.Contains(text, st.out) {
			t.Errorf("%s: oncall cover %s = %d\nstdout %q\nstderr %q\nwant %d with %q", st.who, strings.Join(st.args, " "), code, out, errOut, st.want, st.out)
		}
	}
	// anna is on call on Wednesday now, in clara's place.
	code, out, _ := run(t, admin, "oncall", "--schedule", "storefront-primary", "--at", "2026-03-04T12:00:00Z")
	if code != exitOK || !strings.Contains(out, "anna") || strings.Contains(out, "clara") {
		t.Errorf("oncall on Wednesday = %d %q, want anna", code, out)
	}
	for _, help := range []string{"request", "list", "accept", "cancel"} {
		code, out, _ := run(t, nil, "oncall", "cover", help, "--help")
		if code != exitOK || !strings.HasPrefix(out, fmt.Sprintf("Usage: vigil oncall cover %s ", help)) {
			t.Errorf("oncall cover %s --help = %d %q", help, code, out)
		}
	}
}
