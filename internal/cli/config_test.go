package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateArguments: files and directories are taken as arguments or
// with -f, several merge into one configuration, and every problem is
// printed once, with a suggestion for a misspelt key or zone.
func TestValidateArguments(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	people := write("people.yaml", "users:\n  - {id: alice, time_zone: Europe/Berlin}\n")
	teams := write("teams.yaml", `teams:
  - {id: irt, kind: global-irt, members: [alice], escalation_policy: pol}
escalation_policies:
  - {id: pol, steps: [{targets: [{user: alice}], escalate_after: 5m}]}
`)
	bad := write("bad.yaml", `users:
  - {id: bob, tmie_zone: Europe/Berlin}
  - {id: carol, time_zone: Europe/Berlim}
`)
	cases := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"example as an argument", []string{exampleOrg}, exitOK, exampleOrg + ": valid (15 users, 5 teams, 5 schedules, 5 escalation policies, 12 services, 2 SLOs)\n", ""},
		{"example with -f", []string{"-f", exampleOrg}, exitOK, exampleOrg + ": valid (15 users, 5 teams, 5 schedules, 5 escalation policies, 12 services, 2 SLOs)\n", ""},
		{"two files merge", []string{people, teams}, exitOK, people + ", " + teams + ": valid (1 users, 1 teams, 0 schedules, 1 escalation policies, 0 services, 0 SLOs)\n", ""},
		{"-f and an argument merge", []string{"-f", teams, people}, exitOK, teams + ", " + people + ": valid (1 users, 1 teams, 0 schedules, 1 escalation policies, 0 services, 0 SLOs)\n", ""},
		{"bad file without -f", []string{bad}, exitFail, "",
			bad + `:2:15: users[0].tmie_zone: unknown field "tmie_zone" (did you mean "time_zone"?)` + "\n" +
				bad + `:3:28: users[1].time_zone: invalid time zone "Europe/Berlim" (did you mean "Europe/Berlin"?)` + "\n" +
				"2 problem(s) found\n"},
		{"nothing to validate", nil, exitError, "", "vigil validate: give a configuration FILE or DIR (as an argument or with -f)\n"},
		{"missing file", []string{filepath.Join(dir, "nope.yaml")}, exitFail, "", "vigil: load configuration: stat " + filepath.Join(dir, "nope.yaml") + ": no such file or directory\n"},
	}
	for _, c := range cases {
		code, out, errOut := run(t, nil, append([]string{"validate"}, c.args...)...)
		if code != c.code || out != c.out || errOut != c.err {
			t.Errorf("%s: exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q", c.name, code, out, errOut, c.code, c.out, c.err)
		}
	}
	// slo rules and apply take files the same way.
	if code, out, errOut := run(t, nil, "slo", "rules", exampleOrg); code != exitOK || !strings.Contains(out, "SLOErrorBudgetBurn") {
		t.Errorf("slo rules DIR: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := run(t, nil, "apply", bad, "--server", "http://127.0.0.1:1"); code != exitFail || !strings.Contains(errOut, "tmie_zone") {
		t.Errorf("apply FILE: exit %d, stderr %q", code, errOut)
	}
}
