package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

func runBenchArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }, Version: "test"}
	code = Run(context.Background(), append([]string{"bench"}, args...), env)
	return code, out.String(), errOut.String()
}

func TestBenchRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no target", nil, "pass --key"},
		{"two targets", []string{"--key", "k", "--alertmanager-url", "http://127.0.0.1:9093"}, "exclude each other"},
		{"remote server", []string{"--key", "k", "--server", "http://192.0.2.1:8080"}, "not a loopback address"},
		{"remote alertmanager", []string{"--alertmanager-url", "http://example.com:9093"}, "not a loopback address"},
		{"receiver on every interface", []string{"--key", "k", "--server", "http://127.0.0.1:1", "--receiver", ":0"}, "not a loopback address"},
		{"no bound", []string{"--key", "k", "--server", "http://127.0.0.1:1", "--duration", "0"}, "duration or a number of requests"},
		{"zero clients", []string{"--key", "k", "--server", "http://127.0.0.1:1", "--concurrency", "0"}, "concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runBenchArgs(t, tt.args...)
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitError, tt.want)
			}
		})
	}
}

func TestBenchDrivesServer(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/enqueue" {
			http.NotFound(w, r)
			return
		}
		n.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	code, stdout, stderr := runBenchArgs(t, "--key", "0123456789abcdef0123456789abcdef", "--server", srv.URL,
		"--requests", "25", "--concurrency", "3", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Sent int64 `json:"sent"`
		OK   int64 `json:"ok"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}
	if res.Sent != 25 || res.OK != 25 || n.Load() != 25 {
		t.Errorf("sent %d ok %d served %d, want 25", res.Sent, res.OK, n.Load())
	}

	code, stdout, _ = runBenchArgs(t, "--key", "0123456789abcdef0123456789abcdef", "--server", srv.URL, "--requests", "4")
	if code != exitOK || !regexp.MustCompile(`(?m)^answered 2xx +4$`).MatchString(stdout) {
		t.Errorf("exit %d, table:\n%s", code, stdout)
	}
}

func TestBenchFailsWhenNothingIsAccepted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	code, stdout, stderr := runBenchArgs(t, "--key", "k", "--server", srv.URL, "--requests", "3")
	if code != exitFail || !strings.Contains(stderr, "no request was accepted") || !strings.Contains(stdout, "3×400") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
