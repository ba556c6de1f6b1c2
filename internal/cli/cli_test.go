package cli

import (
	"strings"
	"testing"
)

// TestVerbs: every command with verbs answers help, a missing verb and an
// unknown one alike.
func TestVerbs(t *testing.T) {
	for _, cmd := range []string{"incident", "notify", "gate", "slo"} {
		t.Run(cmd, func(t *testing.T) {
			for _, help := range []string{"help", "-h", "--help"} {
				if code, out, _ := run(t, nil, cmd, help); code != exitOK || !strings.HasPrefix(out, "Usage: vigil "+cmd) {
					t.Errorf("%s %s: exit %d, stdout %q", cmd, help, code, out)
				}
			}
			if code, out, _ := run(t, nil, cmd); code != exitError || !strings.HasPrefix(out, "Usage: vigil "+cmd) {
				t.Errorf("%s alone: exit %d, stdout %q", cmd, code, out)
			}
			for _, bad := range []string{"nope", "", "-x", strings.Repeat("v", 10000)} {
				code, out, errOut := run(t, nil, cmd, bad)
				if code != exitError || out != "" || !strings.Contains(errOut, "unknown verb") {
					t.Errorf("%s %.20q: exit %d, stdout %q, stderr %.80q", cmd, bad, code, out, errOut)
				}
			}
		})
	}
}
