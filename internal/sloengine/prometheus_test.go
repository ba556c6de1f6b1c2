package sloengine

import (
	"context"
	"fmt"
	"go/build"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/slo"
)

// exporter serves two counters in the Prometheus text format and adds to
// them at every scrape: perScrape requests, perScrapeGood of them good. It
// records what it served and when.
type exporter struct {
	mu                       sync.Mutex
	requests, good           float64
	perScrape, perScrapeGood float64
	scrapes                  []time.Time
}

func (x *exporter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	x.mu.Lock()
	x.requests += x.perScrape
	x.good += x.perScrapeGood
	x.scrapes = append(x.scrapes, time.Now())
	requests, good := x.requests, x.good
	x.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE good_total counter\ngood_total %g\n# TYPE requests_total counter\nrequests_total %g\n", good, requests)
}

// servedBetween counts the scrapes served in (from, to].
func (x *exporter) servedBetween(from, to time.Time) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for _, s := range x.scrapes {
		if s.After(from) && !s.After(to) {
			n++
		}
	}
	return n
}

// prometheusBinary finds prometheus on PATH or in $GOPATH/bin.
func prometheusBinary(t *testing.T) string {
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	p := filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin", "prometheus")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	msg := "prometheus is not installed; install it with: go install github.com/prometheus/prometheus/cmd/prometheus@v0.316.0"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestPullFromRealPrometheus scrapes the test's own exporter with a real
// Prometheus every second and checks what the engine pulls, minute by
// minute, against what the exporter served: each scrape adds 1,000
// requests, 900 of them good, so a whole minute holds about 60 scrapes'
// worth. Prometheus's increase() extrapolates to the minute's edges, so
// the pulled count may differ from the served one by up to a scrape or so.
func TestPullFromRealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about two minutes")
	}
	bin := prometheusBinary(t)
	x := &exporter{perScrape: 1000, perScrapeGood: 900}
	target := httptest.NewServer(x)
	defer target.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: app\n    static_configs: [{targets: [%q]}]\n",
		strings.TrimPrefix(target.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()
	base := "http://" + addr
	waitReady(t, base, filepath.Join(dir, "prometheus.log"))

	// Two whole minutes after the first scrape, plus a few seconds for the
	// last scrapes of the second minute to land.
	first := time.Now()
	m1 := first.Truncate(time.Minute).Add(time.Minute)
	m2 := m1.Add(time.Minute)
	time.Sleep(time.Until(m2.Add(4 * time.Second)))

	def := slo.SLO{
		Name: "app-availability", Service: "app", Objective: 0.99,
		Window:    slo.Window{Rolling: true, Duration: duration.Duration(time.Hour)},
		Budgeting: slo.Budgeting{Method: slo.Occurrences},
		Indicator: slo.Indicator{Kind: slo.RatioGood, Source: slo.SourcePrometheus, DataSource: "prom", URL: base,
			Good: "sum(increase(good_total[{{.window}}]))", Total: "sum(increase(requests_total[{{.window}}]))"},
		Tiers: slo.DefaultTiers(time.Hour), MinEvents: slo.DefaultMinEvents,
	}
	e := New(Options{SLOs: func() []slo.SLO { return []slo.SLO{def} }, PullDelay: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	now := time.Now()
	if err := e.Tick(ctx, now); err != nil {
		t.Fatal(err)
	}
	v, ok, err := e.Status(ctx, def.Name, now)
	if err != nil || !ok {
		t.Fatalf("Status: %v, %v", ok, err)
	}
	if v.PullError != "" || v.PulledTo == nil || v.PulledTo.Before(m2) {
		t.Fatalf("pull error %q, pulled to %v; want the minute ending %v pulled", v.PullError, v.PulledTo, m2)
	}

	// The whole minute (m1, m2]: the backfill's range query.
	e.mu.Lock()
	bad, total := e.states[def.Name].series.Sum(m1, m2)
	e.mu.Unlock()
	served := float64(x.servedBetween(m1, m2))
	if served < 50 {
		t.Fatalf("the exporter was scraped %v times in a minute, want about 60", served)
	}
	if math.Abs(total-1000*served) > 1500 {
		t.Errorf("pulled %v requests for the minute ending %v, the exporter served %v (%v scrapes)", total, m2, 1000*served, served)
	}
	if ratio := (total - bad) / total; math.Abs(ratio-0.9) > 0.005 {
		t.Errorf("pulled good ratio %v, want 0.9", ratio)
	}

	// The same minute through an instant query.
	instant, ok, err := e.prom.instant(ctx, base, "sum(increase(requests_total[1m]))", m2)
	if err != nil || !ok || math.Abs(instant-total) > 1e-6*total {
		t.Errorf("instant query = %v, %v, %v; want %v as the range query", instant, ok, err, total)
	}
	// A query error comes back as one.
	if _, err := e.prom.rangeQuery(ctx, base, "sum(", m1, m2, time.Minute); err == nil || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("malformed query: %v, want Prometheus's bad_data error", err)
	}
	if v.Status.Total <= 0 || v.Status.NoData {
		t.Errorf("status %+v, want the pulled events counted", v.Status)
	}
}

func waitReady(t *testing.T, base, logPath string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	logText, _ := os.ReadFile(logPath)
	t.Fatalf("prometheus did not become ready:\n%s", logText)
}
