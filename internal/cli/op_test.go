package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/opsrun/opstest"
)

// TestOpListAndRun runs examples/org's operations from the CLI against a
// platform stand-in: a dry run sends nothing, an operation that asks for
// confirmation runs only on yes, and a failed run exits 1.
func TestOpListAndRun(t *testing.T) {
	platform := opstest.StartPlatform(t)
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(exampleOrg, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte("http://127.0.0.1:9400"), []byte(platform.URL()))
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const token = "cli-platform-token-0123"
	url := startServerEnv(t, "", dir, map[string]string{"VIGIL_PLATFORM_TOKEN": token})
	vars := map[string]string{"VIGIL_SERVER": url, "VIGIL_TOKEN": testAdminToken}
	op := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(stdin), Getenv: func(k string) string { return vars[k] }, Version: "test"}
		code := Run(context.Background(), append([]string{"op"}, args...), env)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := op("", "list", "--service", "payments-api")
	if code != 0 || !strings.Contains(out, "drain") || !strings.Contains(out, "region=us-1 (required)") || strings.Contains(out, "flag") {
		t.Fatalf("op list = %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = op("", "run", "drain", "--service", "payments-api", "--dry-run")
	want := "POST " + platform.URL() + "/v1/services/payments-api/drain\nAuthorization: Bearer ***\n"
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, `{"region": "us-1", "incident": "", "requested_by": "token:`) || strings.Contains(out+errOut, token) {
		t.Fatalf("dry run = %d\n%s%s", code, out, errOut)
	}
	if n := len(platform.Requests()); n != 0 {
		t.Fatalf("a dry run sent %d requests", n)
	}

	code, out, errOut = op("n\n", "run", "drain", "--service", "payments-api", "--param", "region=eu-2")
	if code != 1 || !strings.Contains(errOut, "Run it? [y/N]") || !strings.Contains(errOut, `"region": "eu-2"`) || len(platform.Requests()) != 0 {
		t.Fatalf("declined run = %d, %d requests\n%s%s", code, len(platform.Requests()), out, errOut)
	}

	code, out, errOut = op("y\n", "run", "drain", "--service", "payments-api", "--param", "region=eu-2")
	got := platform.Requests()
	if code != 0 || !strings.Contains(out, "drain on payments-api (region=eu-2) succeeded") || len(got) != 1 ||
		got[0].Header.Get("Authorization") != "Bearer "+token || !strings.Contains(got[0].Body, `"region": "eu-2"`) {
		t.Fatalf("confirmed run = %d, platform got %+v\n%s%s", code, got, out, errOut)
	}

	platform.Set(http.StatusInternalServerError, 0)
	code, out, errOut = op("", "run", "restart", "--service", "ledger-db", "--yes")
	if code != 1 || !strings.Contains(out, "failed: the platform answered 500 Internal Server Error") {
		t.Fatalf("failed run = %d\n%s%s", code, out, errOut)
	}

	for _, args := range [][]string{
		{"run", "drain"},
		{"run", "--service", "payments-api"},
		{"run", "drain", "--service", "payments-api", "--param", "region"},
		{"run", "drain", "--service", "ledger-db", "--yes"},
	} {
		if code, out, errOut := op("", args...); code != 2 || errOut == "" {
			t.Errorf("op %v = %d, want 2 with the reason\n%s%s", args, code, out, errOut)
		}
	}
}
