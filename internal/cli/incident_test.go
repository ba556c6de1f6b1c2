package cli

import (
	"strings"
	"testing"
)

// TestRepeatingAnActionThatHoldsSucceeds: a second resolve exits 0 like a
// second ack, saying the incident was already so; acknowledging a resolved
// incident still fails.
func TestRepeatingAnActionThatHoldsSucceeds(t *testing.T) {
	url := startServer(t, "")
	vars := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
	if code, out, errOut := run(t, vars, "incident", "declare", "--service", "checkout", "--title", "checkout down"); code != exitOK || !strings.HasPrefix(out, "incident 1 declared") {
		t.Fatalf("declare = %d %q %q", code, out, errOut)
	}
	steps := []struct {
		args []string
		want int
		out  string
	}{
		{[]string{"incident", "ack", "1"}, exitOK, "incident 1 acknowledged: checkout down\n"},
		{[]string{"incident", "ack", "1"}, exitOK, "incident 1 was already acknowledged: checkout down\n"},
		{[]string{"incident", "resolve", "1"}, exitOK, "incident 1 resolved: checkout down\n"},
		{[]string{"incident", "resolve", "1"}, exitOK, "incident 1 was already resolved: checkout down\n"},
		{[]string{"incident", "ack", "1"}, exitFail, ""},
	}
	for _, st := range steps {
		code, out, errOut := run(t, vars, st.args...)
		if code != st.want || out != st.out {
			t.Errorf("%v = %d %q (stderr %q), want %d %q", st.args, code, out, errOut, st.want, st.out)
		}
	}
}
