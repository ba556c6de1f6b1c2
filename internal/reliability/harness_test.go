package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/clock"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// adminToken is the VIGIL_ADMIN_TOKEN of every server the tests start.
const adminToken = "reliability-admin-token-0123456789"

func TestMain(m *testing.M) { vigiltest.Build(m, "vigil-reliability-bin-") }

func vigilBinary(t testing.TB) string { return vigiltest.Binary(t) }

// soak reports whether VIGIL_SOAK asks for the long mode.
func soak() bool {
	v := os.Getenv("VIGIL_SOAK")
	return v != "" && v != "0" && v != "false"
}

// scaled is ci in the short mode and long with VIGIL_SOAK=1.
func scaled[T any](ci, long T) T {
	if soak() {
		return long
	}
	return ci
}

func mode() string { return scaled("ci", "soak") }

// newRand returns a generator seeded from VIGIL_RELIABILITY_SEED, or from
// the clock (logged, so that a failing run can be repeated).
func newRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("VIGIL_RELIABILITY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("VIGIL_RELIABILITY_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (VIGIL_RELIABILITY_SEED=%d repeats this run)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed>>1|1))
}

// figure is one measured value.
type figure struct {
	Test   string `json:"test"`
	Mode   string `json:"mode"`
	Figure string `json:"figure"`
	Value  string `json:"value"`
}

// recordFigures logs what a test measured and appends it, one JSON line
// per figure, to the file VIGIL_RELIABILITY_FIGURES names (if any).
// pairs alternate names and values.
func recordFigures(t testing.TB, pairs ...any) {
	t.Helper()
	if len(pairs)%2 != 0 {
		t.Fatalf("recordFigures: odd number of arguments")
	}
	var lines bytes.Buffer
	for i := 0; i < len(pairs); i += 2 {
		name := fmt.Sprint(pairs[i])
		value := pairs[i+1]
		if d, ok := value.(time.Duration); ok {
			value = d.Round(time.Millisecond)
		}
		f := figure{Test: t.Name(), Mode: mode(), Figure: name, Value: fmt.Sprint(value)}
		t.Logf("figure %-40s %s", f.Figure, f.Value)
		line, _ := json.Marshal(f) // strings only: cannot fail
		lines.Write(line)
		lines.WriteByte('\n')
	}
	path := os.Getenv("VIGIL_RELIABILITY_FIGURES")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("figures file: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.Write(lines.Bytes()); err != nil {
		t.Errorf("figures file: %v", err)
	}
}

// percentile returns the p-th percentile (0..100) of ds, sorting it.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds)-1) * p / 100)
	return ds[i]
}

// vigilProcess is a running vigil serve.
type vigilProcess struct {
	*vigiltest.Process
	name    string
	logPath string
	base    string // http://HOST:PORT
}

// serveArgs is how a vigil serve is started.
type serveArgs struct {
	db     string   // --db
	config string   // --config, when set
	extra  []string // more flags
	env    []string // more environment
}

// startVigil runs vigil serve on a port the kernel picks and waits for
// /readyz. The process is killed when the test ends; its log is printed
// when the test failed.
func startVigil(t testing.TB, name string, a serveArgs) *vigilProcess {
	t.Helper()
	bin := vigilBinary(t)
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--db", a.db}
	if a.config != "" {
		args = append(args, "--config", a.config)
	}
	args = append(args, a.extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "VIGIL_ADMIN_TOKEN="+adminToken), a.env...)
	// The servers inherit the pinned "now", if any; reading it here also
	// makes go test's cache key of this package include it, so a sweep
	// over pinned instants runs these tests again at each one.
	_ = os.Getenv(clock.PinVariable)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	defer logFile.Close() // the child has its own descriptor
	p := &vigilProcess{name: name, logPath: logPath}
	p.Process = vigiltest.Start(t, name, cmd, func() string { return "the last lines of " + logPath + ":\n" + p.logTail(40) })
	deadline := time.Now().Add(30 * time.Second)
	for p.base == "" {
		if p.Exited() {
			t.Fatalf("%s exited before serving:\n%s", name, p.logTail(40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not log its address within 30s:\n%s", name, p.logTail(40))
		}
		if addr := vigiltest.ServingAddr(p.log()); addr != "" {
			p.base = "http://" + addr
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for {
		code, err := call(context.Background(), apiClient, "GET", p.base+"/readyz", "", nil, nil)
		if err == nil && code == http.StatusOK {
			break
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("%s not ready (%d, %v):\n%s", name, code, err, p.logTail(40))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(p.log(), "configuration refused") {
		t.Fatalf("%s refused the test configuration:\n%s", name, p.logTail(40))
	}
	return p
}

func (p *vigilProcess) pid() int { return p.Cmd.Process.Pid }

// memory reads the process's peak and current resident set size in bytes
// from /proc (VmHWM, VmRSS).
func (p *vigilProcess) memory() (peak, current int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, perr := strconv.ParseInt(fields[0], 10, 64)
		if perr != nil {
			continue
		}
		switch name {
		case "VmHWM":
			peak = kb << 10
		case "VmRSS":
			current = kb << 10
		}
	}
	if peak == 0 {
		return 0, 0, errors.New("no VmHWM in /proc status")
	}
	return peak, current, nil
}

func (p *vigilProcess) log() string {
	data, _ := os.ReadFile(p.logPath)
	return string(data)
}

func (p *vigilProcess) logTail(n int) string {
	lines := strings.Split(strings.TrimRight(p.log(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// apiClient makes the tests' single requests; it never waits long.
var apiClient = &http.Client{Timeout: 30 * time.Second}

// newClient returns a client keeping up to conns connections per host.
func newClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns
	t.MaxIdleConnsPerHost = conns
	t.DisableCompression = true
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// call sends one request (body nil for none) with a bearer token (""
// for none) and decodes a JSON answer into out when out is non-nil. It
// returns the status code.
func call(ctx context.Context, c *http.Client, method, url, token string, body []byte, out any) (int, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s: %w", method, url, err)
		}
	}
	return resp.StatusCode, nil
}

// mustGet GETs an API path as admin and decodes the answer, failing the
// test on anything but 200.
func mustGet(t testing.TB, base, path string, out any) {
	t.Helper()
	code, err := call(context.Background(), apiClient, "GET", base+path, adminToken, nil, out)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", path, code, err)
	}
}

// writeFile writes a file into dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pdTrigger is a PagerDuty Events v2 trigger.
func pdTrigger(routingKey, dedupKey, summary, severity string) []byte {
	body, _ := json.Marshal(map[string]any{ // plain values: cannot fail
		"routing_key": routingKey, "event_action": "trigger", "dedup_key": dedupKey,
		"payload": map[string]any{"summary": summary, "source": "reliability", "severity": severity},
	})
	return body
}

// page is one webhook notification as the receiver saw it.
type page struct {
	At          time.Time
	Path        string // the contact method URL's path: who was paged
	Key         string // Idempotency-Key
	Kind        string
	IncidentID  int64
	IncidentURL string // names the replica that sent it (its public URL)
	Title       string
	Acknowledge string
	MoreAlerts  int
}

// pageReceiver is a webhook contact method's endpoint in the test
// process: it outlives every vigil process the test kills.
type pageReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	pages []page
	// holdFrom, when set, is a replica's public host whose pages the
	// receiver takes and never answers (until the replica goes away),
	// nor records as delivered: sends in flight on a replica about to
	// die. held lists them.
	holdFrom string
	held     []page
}

// hold makes the receiver hang every page sent by the replica at host.
func (r *pageReceiver) hold(host string) {
	r.mu.Lock()
	r.holdFrom = host
	r.mu.Unlock()
}

func (r *pageReceiver) heldPages() []page {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.held)
}

func newPageReceiver(t testing.TB) *pageReceiver {
	t.Helper()
	r := &pageReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *pageReceiver) URL() string { return r.srv.URL }

func (r *pageReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	var payload struct {
		Kind     string `json:"kind"`
		Incident struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
			URL   string `json:"url"`
		} `json:"incident"`
		Actions struct {
			Acknowledge string `json:"acknowledge"`
		} `json:"actions"`
		MoreAlerts int `json:"more_alerts"`
	}
	if err != nil || json.Unmarshal(body, &payload) != nil {
		http.Error(w, "not a Vigil webhook", http.StatusBadRequest)
		return
	}
	p := page{At: time.Now(), Path: req.URL.Path, Key: req.Header.Get("Idempotency-Key"), Kind: payload.Kind,
		IncidentID: payload.Incident.ID, IncidentURL: payload.Incident.URL, Title: payload.Incident.Title,
		Acknowledge: payload.Actions.Acknowledge, MoreAlerts: payload.MoreAlerts}
	r.mu.Lock()
	if r.holdFrom != "" && strings.Contains(p.IncidentURL, "//"+r.holdFrom+"/") {
		r.held = append(r.held, p)
		r.mu.Unlock()
		<-req.Context().Done()
		return
	}
	r.pages = append(r.pages, p)
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (r *pageReceiver) snapshot() []page {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.pages)
}

// stepOf reads the escalation step from an idempotency key
// ("vigil-12-page-<run>-r0-s1-alice-0" is step index 1); -1 when the key
// does not name one.
func stepOf(key string) int {
	for _, part := range strings.Split(key, "-") {
		if len(part) > 1 && part[0] == 's' {
			if n, err := strconv.Atoi(part[1:]); err == nil {
				return n
			}
		}
	}
	return -1
}

// pageStats sums up what a receiver saw per incident and step.
type pageStats struct {
	deliveries int
	// keys counts distinct idempotency keys per incident, receiver path
	// and step.
	keys map[pageSlot]map[string]int
}

type pageSlot struct {
	incident int64
	path     string
	step     int
}

func statsOf(pages []page) pageStats {
	s := pageStats{keys: map[pageSlot]map[string]int{}}
	for _, p := range pages {
		if p.Kind != "page" {
			continue
		}
		s.deliveries++
		slot := pageSlot{p.IncidentID, p.Path, stepOf(p.Key)}
		if s.keys[slot] == nil {
			s.keys[slot] = map[string]int{}
		}
		s.keys[slot][p.Key]++
	}
	return s
}

// repeats counts deliveries beyond the first of each idempotency key:
// what at-least-once delivery sent twice and receivers drop.
func (s pageStats) repeats() int {
	n := 0
	for _, keys := range s.keys {
		for _, c := range keys {
			n += c - 1
		}
	}
	return n
}

// apiIncident is what the tests read of an incident.
type apiIncident struct {
	ID       int64    `json:"id"`
	Status   string   `json:"status"`
	Service  string   `json:"service"`
	Services []string `json:"services"`
	Timeline []struct {
		At      time.Time `json:"at"`
		Kind    string    `json:"kind"`
		Message string    `json:"message"`
	} `json:"timeline"`
}

// escalatedSteps counts the incident's escalation timeline entries by
// step ("escalation policy P step N").
func escalatedSteps(inc apiIncident) map[string]int {
	steps := map[string]int{}
	for _, e := range inc.Timeline {
		if e.Kind == "escalated" {
			head, _, _ := strings.Cut(e.Message, ":")
			steps[head]++
		}
	}
	return steps
}

// allIncidents pages through GET /api/v1/incidents with every status.
func allIncidents(t testing.TB, base string) []apiIncident {
	return allOf[apiIncident](t, base, "incidents", 10000)
}

// allOf pages through GET /api/v1/{list} with every status, failing after
// maxPages pages.
func allOf[T any](t testing.TB, base, list string, maxPages int) []T {
	t.Helper()
	var out []T
	path := "/api/v1/" + list + "?status=all&limit=1000"
	for range maxPages {
		var page map[string]json.RawMessage
		mustGet(t, base, path, &page)
		var items []T
		var next *string
		if err := json.Unmarshal(page[list], &items); err != nil {
			t.Fatalf("%s: %v", list, err)
		}
		if err := json.Unmarshal(page["next_cursor"], &next); err != nil {
			t.Fatalf("%s: next_cursor: %v", list, err)
		}
		out = append(out, items...)
		if next == nil {
			return out
		}
		path = "/api/v1/" + list + "?status=all&limit=1000&cursor=" + *next
	}
	t.Fatalf("%s list does not end", list)
	return nil
}

// apiAlert is what the tests read of an alert.
type apiAlert struct {
	ID         int64  `json:"id"`
	DedupKey   string `json:"dedup_key"`
	Service    string `json:"service"`
	IncidentID int64  `json:"incident_id"`
	Count      int    `json:"count"`
}

// allAlerts pages through GET /api/v1/alerts with every status.
func allAlerts(t testing.TB, base string) []apiAlert {
	return allOf[apiAlert](t, base, "alerts", 100000)
}

// metric reads one unlabelled counter or gauge from /metrics; ok is false
// when it is missing.
func metric(t testing.TB, base, name string) (value float64, ok bool) {
	t.Helper()
	resp, err := apiClient.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, found := strings.CutPrefix(line, name+" "); found {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v, true
			}
		}
	}
	return 0, false
}

// waitUntil polls cond every interval until it holds or the deadline
// passes; it reports whether cond held.
func waitUntil(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}

// testClaimLease is the --claim-lease of the servers the crash tests
// kill: the sends a killed server had claimed go out this long after the
// kill. The replica test runs with the default, defaultClaimLease.
const (
	testClaimLease    = 3 * time.Second
	defaultClaimLease = 10 * time.Second
)

// leaseFlags are the serve flags that set testClaimLease.
func leaseFlags() []string { return []string{"--claim-lease", testClaimLease.String()} }
