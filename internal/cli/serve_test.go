package cli

import (
	"strings"
	"testing"
)

// Flags are checked before anything is opened: a bad one is a usage error
// with a message naming it.
func TestServeRefusesBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--trusted-proxies", "lb.example.com"}, `--trusted-proxies: trusted proxy "lb.example.com"`},
		{[]string{"--trusted-proxies", "10.0.0.0/8,10.0.0.0/99"}, `trusted proxy "10.0.0.0/99"`},
		{[]string{"--claim-lease", "10ms"}, "--claim-lease 10ms: want at least 1s"},
		{[]string{"--log-level", "loud"}, `invalid --log-level "loud"`},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, nil, append([]string{"serve", "--db", "sqlite:" + t.TempDir() + "/never.db"}, tt.args...)...)
		if code != exitError || !strings.Contains(stderr, tt.want) {
			t.Errorf("serve %v = %d, stderr %q; want %d naming %q", tt.args, code, stderr, exitError, tt.want)
		}
	}
}
