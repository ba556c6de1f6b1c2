package cli

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
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

// TestServeIsNotReadyUntilAConfigurationLoads: vigil serve --config with a
// file it refuses, on an empty database, answers /readyz 503 with the
// reason until a configuration loads.
func TestServeIsNotReadyUntilAConfigurationLoads(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("users:\n  - id: alice\n    time_zone: Mars/Olympus\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := startServerWith(t, "", bad)
	readyz := func() (int, string) {
		t.Helper()
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := readyz(); code != http.StatusServiceUnavailable || !strings.Contains(body, "configuration not loaded") || !strings.Contains(body, "bad.yaml") {
		t.Fatalf("/readyz with a refused configuration = %d %s, want 503 naming the file", code, body)
	}
	// A configuration applied through the API makes it ready.
	req, _ := http.NewRequest("POST", url+"/api/v1/config/apply", strings.NewReader(`{"users":[{"id":"alice","time_zone":"UTC"}]}`))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("apply = %d", resp.StatusCode)
	}
	if code, body := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz once a configuration loaded = %d %s, want 200", code, body)
	}
}
