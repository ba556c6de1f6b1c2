package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// alertmanagerBin is where Debian's prometheus-alertmanager package puts
// the binary; `go install` cannot build it (its module lacks the web UI).
const alertmanagerBin = "/usr/bin/prometheus-alertmanager"

// adminToken is the VIGIL_ADMIN_TOKEN of every server the tests start.
const adminToken = "e2e-admin-token-0123456789"

// client bounds every request the tests make.
var client = &http.Client{Timeout: 10 * time.Second}

func TestMain(m *testing.M) { vigiltest.Build(m, "vigil-e2e-bin-") }

func vigilBinary(t *testing.T) string { return vigiltest.Binary(t) }

// requireAlertmanager skips the test when Alertmanager is not installed,
// unless the test runs in CI, where a skip would hide that nothing was
// tested.
func requireAlertmanager(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(alertmanagerBin); err == nil {
		return
	}
	msg := alertmanagerBin + " is missing: install the Debian package prometheus-alertmanager (scripts/test.sh does)"
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatal(msg + "; CI is set, so this test may not skip")
	}
	t.Skip(msg)
}

// process is a program the test started; it is killed at cleanup.
type process struct {
	*vigiltest.Process
	name string
	log  *vigiltest.Buffer
}

// start runs a program and kills it when the test ends, printing its
// output when the test failed.
func start(t *testing.T, name string, env []string, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	log := &vigiltest.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	return &process{Process: vigiltest.Start(t, name, cmd, log.String), name: name, log: log}
}

// waitFor waits up to 30s for cond, failing the test at once when the
// process exits.
func (p *process) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitFor(t, 30*time.Second, what, func() (bool, error) {
		if p.Exited() {
			return false, errors.New(p.name + " exited")
		}
		return cond(), nil
	})
}

// waitReady waits until a GET of base+path answers 200 OK.
func (p *process) waitReady(t *testing.T, base, path string) {
	t.Helper()
	p.waitFor(t, p.name+" "+path, func() bool {
		resp, err := client.Get(base + path)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// vigil is a running vigil serve.
type vigil struct {
	*process
	url string
}

// startVigil runs vigil serve on a fresh SQLite database with the
// configuration given, on a port the kernel picks, and waits for /readyz.
func startVigil(t *testing.T, config string) *vigil {
	t.Helper()
	bin := vigilBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, "vigil", []string{"VIGIL_ADMIN_TOKEN=" + adminToken}, bin, "serve",
		"--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(dir, "vigil.db"), "--config", cfg)
	var addr string
	p.waitFor(t, "vigil to log its address", func() bool {
		addr = vigiltest.ServingAddr(p.log.String())
		return addr != ""
	})
	v := &vigil{process: p, url: "http://" + addr}
	p.waitReady(t, v.url, "/readyz")
	if strings.Contains(p.log.String(), "configuration refused") {
		t.Fatalf("vigil refused the test configuration:\n%s", p.log.String())
	}
	return v
}

// get decodes a GET of Vigil's API, as the admin.
func (v *vigil) get(t *testing.T, path string, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, v.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

// alertmanager is a running Alertmanager.
type alertmanager struct {
	*process
	url string
}

// startAlertmanager runs the real Alertmanager with the configuration
// given, clustering off, on a free loopback port, and waits until it is
// ready.
func startAlertmanager(t *testing.T, config string) *alertmanager {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	p := start(t, "alertmanager", nil, alertmanagerBin,
		"--config.file="+cfg, "--storage.path="+dir,
		"--web.listen-address="+addr, "--cluster.listen-address=")
	am := &alertmanager{process: p, url: "http://" + addr}
	p.waitReady(t, am.url, "/-/ready")
	return am
}

// freeAddr returns a loopback address nothing listens on (as far as can
// be known: the port is released for the program to take).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// amAlert is an alert as Alertmanager's /api/v2/alerts takes it.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// post sends alerts to Alertmanager, as Prometheus does.
func (am *alertmanager) post(t *testing.T, alerts ...amAlert) {
	t.Helper()
	body, err := json.Marshal(alerts)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Post(am.url+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST alerts: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST alerts = %d: %s", resp.StatusCode, msg)
	}
}

// fingerprints lists the fingerprint of each alert Alertmanager holds, by
// alertname.
func (am *alertmanager) fingerprints(t *testing.T) map[string]string {
	t.Helper()
	resp, err := client.Get(am.url + "/api/v2/alerts")
	if err != nil {
		t.Fatalf("GET alerts: %v", err)
	}
	defer resp.Body.Close()
	var alerts []struct {
		Fingerprint string            `json:"fingerprint"`
		Labels      map[string]string `json:"labels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		t.Fatalf("GET alerts: %v", err)
	}
	out := map[string]string{}
	for _, a := range alerts {
		out[a.Labels["alertname"]] = a.Fingerprint
	}
	return out
}

// waitFor polls cond every 100ms until it holds, fails or time runs out.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		case <-tick.C:
		}
	}
}

// page is what the test reads of a webhook page.
type page struct {
	header         http.Header
	Version        int    `json:"version"`
	IdempotencyKey string `json:"idempotency_key"`
	Kind           string `json:"kind"`
	Incident       struct {
		ID       int64  `json:"id"`
		Title    string `json:"title"`
		Service  string `json:"service"`
		Severity string `json:"severity"`
		Urgency  string `json:"urgency"`
		Status   string `json:"status"`
		URL      string `json:"url"`
	} `json:"incident"`
	Actions struct {
		Acknowledge string `json:"acknowledge"`
		Resolve     string `json:"resolve"`
	} `json:"actions"`
}

// pageReceiver is the webhook contact method's endpoint.
type pageReceiver struct {
	mu    sync.Mutex
	pages []page
	bad   []string
}

func (rc *pageReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var p page
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		rc.bad = append(rc.bad, fmt.Sprintf("%s: %v", body, err))
		http.Error(w, "bad page", http.StatusBadRequest)
		return
	}
	p.header = r.Header.Clone()
	rc.pages = append(rc.pages, p)
}

func (rc *pageReceiver) received() ([]page, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]page(nil), rc.pages...), append([]string(nil), rc.bad...)
}

// Vigil's API answers, as far as the tests read them.
type (
	apiAlert struct {
		ID         int64  `json:"id"`
		Service    string `json:"service"`
		DedupKey   string `json:"dedup_key"`
		Summary    string `json:"summary"`
		Severity   string `json:"severity"`
		Status     string `json:"status"`
		IncidentID int64  `json:"incident_id"`
	}
	apiIncident struct {
		ID       int64  `json:"id"`
		Title    string `json:"title"`
		Status   string `json:"status"`
		Service  string `json:"service"`
		Urgency  string `json:"urgency"`
		Timeline []struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"timeline"`
	}
)

func (v *vigil) alerts(t *testing.T) []apiAlert {
	t.Helper()
	var out struct {
		Alerts []apiAlert `json:"alerts"`
	}
	v.get(t, "/api/v1/alerts?status=all", &out)
	return out.Alerts
}

func (v *vigil) incidents(t *testing.T) []apiIncident {
	t.Helper()
	var out struct {
		Incidents []apiIncident `json:"incidents"`
	}
	v.get(t, "/api/v1/incidents?status=all", &out)
	return out.Incidents
}
