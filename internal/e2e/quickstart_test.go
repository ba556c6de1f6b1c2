package e2e

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// TestQuickStart runs the README's quick start as a reader would, line by
// line in one shell, from a directory holding the example and the vigil
// binary: the server and the listener in the background, the
// configuration applied, a PagerDuty event sent, and the page watched
// arriving, signed, at the listener. Only the addresses differ from the
// README's (127.0.0.1:8080 and :9000 may be taken on the test machine),
// and the build is the test binary's own.
func TestQuickStart(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("the quick start needs curl: %v", err)
	}
	script := quickStartScript(t)
	serverAddr, listenAddr := freeAddr(t), freeAddr(t)
	dir := t.TempDir()
	copyExample(t, filepath.Join("..", "..", "examples", "org"), filepath.Join(dir, "examples", "org"), listenAddr)
	copyFile(t, vigilBinary(t), filepath.Join(dir, "vigil"), 0o755)

	const build = "go build -o vigil ./cmd/vigil\n"
	if !strings.HasPrefix(script, build) {
		t.Fatalf("the quick start no longer starts with %q:\n%s", build, script)
	}
	script = strings.TrimPrefix(script, build)
	script = strings.ReplaceAll(script, "127.0.0.1:8080", serverAddr)
	script = strings.ReplaceAll(script, "127.0.0.1:9000", listenAddr)
	// The page arrives a moment after the event is accepted: the reader
	// watches for it before going on, and so does the test.
	beforePage, afterPage, ok := strings.Cut(script, "\n./vigil incident list")
	if !ok {
		t.Fatalf("the quick start no longer lists the incident after the page:\n%s", script)
	}
	afterPage = "./vigil incident list" + afterPage

	sh := exec.Command("bash", "--noprofile", "--norc")
	sh.Dir = dir
	sh.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	if pin := os.Getenv("VIGIL_TEST_NOW"); pin != "" {
		sh.Env = append(sh.Env, "VIGIL_TEST_NOW="+pin)
	}
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the background jobs are stopped with it
	out := &vigiltest.Buffer{}
	sh.Stdout, sh.Stderr = out, out
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sh.Wait() }() // owner: this test; the cleanup below ends it
	t.Cleanup(func() {
		_ = syscall.Kill(-sh.Process.Pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Error("the quick start's shell did not stop")
		}
		if t.Failed() {
			t.Logf("--- the quick start's output:\n%s", out.String())
		}
	})
	if _, err := io.WriteString(stdin, "set -e\n"+beforePage+"\n"); err != nil {
		t.Fatal(err)
	}

	page := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d /[a-z]+ page #1 SEV[1-4] on checkout: Checkout is failing \(triggered, high urgency; signature ok\)\n    acknowledge: http://` +
		regexp.QuoteMeta(serverAddr) + `/a/\S+\n    resolve:     http://` + regexp.QuoteMeta(serverAddr) + `/a/\S+\n`)
	waitFor(t, 90*time.Second, "the page at vigil listen", func() (bool, error) {
		select {
		case err := <-exited:
			exited <- err
			return false, fmt.Errorf("the quick start's shell exited: %v", err)
		default:
		}
		return page.MatchString(out.String()), nil
	})
	if _, err := io.WriteString(stdin, afterPage+"\n"); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("the quick start failed: %v", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the quick start did not finish")
	}

	got := out.String()
	for _, want := range []string{
		"examples/org: valid (15 users, 5 teams, 5 schedules, 5 escalation policies, 12 services, 2 SLOs)\n",
		"vigil listen: printing what is posted to http://" + listenAddr + "/ (signatures checked with $VIGIL_HOOK_SECRET)",
		`{"status":"ok"}`,
		"would apply (dry run): 51 to create, 0 to update, 0 to delete\n",
		"applied: 51 to create, 0 to update, 0 to delete\n",
		"no changes\n",
		`"critical":true`,
		`"critical_because":["payments-api","ledger-db"]`,
		`{"status":"success","message":"Event processed","dedup_key":"quick-start"}`,
		"incident 1 acknowledged: Checkout is failing\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the quick start's output lacks %q", want)
		}
	}
	if strings.Contains(got, "refused") || strings.Contains(got, "unsigned") {
		t.Error("a page was refused or came unsigned")
	}
	if !regexp.MustCompile(`(?m)^1 +triggered +SEV[1-4] +high +checkout .*Checkout is failing$`).MatchString(got) {
		t.Error("vigil incident list does not show the incident")
	}
}

// quickStartScript is the first sh block of the README's quick start.
func quickStartScript(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Five-minute quick start\n")
	if !ok {
		t.Fatal("README has no quick start")
	}
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatal("the quick start has no sh block")
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		t.Fatal("the quick start's sh block does not end")
	}
	return block
}

// copyExample copies the example organisation, pointing its webhooks at
// listenAddr instead of 127.0.0.1:9000.
func copyExample(t *testing.T, from, to, listenAddr string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.ReplaceAll(string(data), "127.0.0.1:9000", listenAddr))
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}
