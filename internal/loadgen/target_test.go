package loadgen

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/ingest"
)

func TestPagerDutyEvent(t *testing.T) {
	tests := []struct {
		name      string
		unique    bool
		seq       int64
		wantBody  string
		wantTitle string
	}{
		{"unique", true, 7,
			`{"routing_key":"0123456789abcdef0123456789abcdef","event_action":"trigger","dedup_key":"bench-r1-7","payload":{"summary":"vigil bench r1 7","source":"vigil-bench","severity":"critical"}}`,
			"vigil bench r1 7"},
		{"large sequence number", true, 1234567890123,
			`{"routing_key":"0123456789abcdef0123456789abcdef","event_action":"trigger","dedup_key":"bench-r1-1234567890123","payload":{"summary":"vigil bench r1 1234567890123","source":"vigil-bench","severity":"critical"}}`,
			"vigil bench r1 1234567890123"},
		{"repeats one alert", false, 7,
			`{"routing_key":"0123456789abcdef0123456789abcdef","event_action":"trigger","dedup_key":"bench-r1-0","payload":{"summary":"vigil bench r1 0","source":"vigil-bench","severity":"critical"}}`,
			"vigil bench r1 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, err := NewPagerDuty("http://127.0.0.1:8080/", "0123456789abcdef0123456789abcdef", "r1", tt.unique)
			if err != nil {
				t.Fatal(err)
			}
			r := target.Event(tt.seq)
			if r.URL != "http://127.0.0.1:8080/v2/enqueue" {
				t.Errorf("URL = %q", r.URL)
			}
			if string(r.Body) != tt.wantBody {
				t.Errorf("body = %s\nwant   %s", r.Body, tt.wantBody)
			}
			if r.Title != tt.wantTitle {
				t.Errorf("title = %q, want %q", r.Title, tt.wantTitle)
			}
		})
	}
}

// The events must be what Vigil's own parser accepts, with the title the
// page will carry as their summary.
func TestPagerDutyEventParses(t *testing.T) {
	target, err := NewPagerDuty("http://127.0.0.1:8080", "0123456789abcdef0123456789abcdef", "ab12", true)
	if err != nil {
		t.Fatal(err)
	}
	r := target.Event(42)
	key, ev, err := ingest.ParsePagerDuty(r.Body, nil)
	if err != nil {
		t.Fatalf("Vigil refuses the event: %v", err)
	}
	if key != "0123456789abcdef0123456789abcdef" || ev.Action != ingest.ActionTrigger || ev.DedupKey != "bench-ab12-42" ||
		ev.Summary != r.Title || ev.Severity != "critical" || ev.Source != "vigil-bench" {
		t.Errorf("parsed key %q event %+v", key, ev)
	}
}

func TestPagerDutyHostileKey(t *testing.T) {
	// A key is the user's input: quotes and backslashes must not break
	// the JSON (the server then refuses the key, not the body).
	target, err := NewPagerDuty("http://127.0.0.1:8080", `a"b\c`+"\n</script>", "r1", true)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		RoutingKey string `json:"routing_key"`
	}
	if err := json.Unmarshal(target.Event(1).Body, &doc); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if doc.RoutingKey != `a"b\c`+"\n</script>" {
		t.Errorf("routing_key = %q", doc.RoutingKey)
	}
}

func TestAlertmanagerEvent(t *testing.T) {
	target, err := NewAlertmanager("http://127.0.0.1:9093", "r9", true)
	if err != nil {
		t.Fatal(err)
	}
	r := target.Event(3)
	want := `[{"labels":{"alertname":"VigilBench","severity":"critical","bench_run":"r9","bench_seq":"3"},"annotations":{"summary":"vigil bench r9 3"}}]`
	if r.URL != "http://127.0.0.1:9093/api/v2/alerts" || string(r.Body) != want || r.Title != "vigil bench r9 3" {
		t.Errorf("event = %q %s %q\nwant body %s", r.URL, r.Body, r.Title, want)
	}
	if !json.Valid(r.Body) {
		t.Error("body is not JSON")
	}
}

func TestTargetsRefuseBadInput(t *testing.T) {
	tests := []struct {
		name string
		make func() error
		want string
	}{
		{"empty key", func() error { _, err := NewPagerDuty("http://127.0.0.1:1", "", "r1", true); return err }, "empty routing key"},
		{"empty run", func() error { _, err := NewPagerDuty("http://127.0.0.1:1", "k", "", true); return err }, "run id"},
		{"run with a quote", func() error { _, err := NewAlertmanager("http://127.0.0.1:1", `r"1`, true); return err }, "run id"},
		{"run with a space", func() error { _, err := NewAlertmanager("http://127.0.0.1:1", "r 1", true); return err }, "run id"},
		{"run too long", func() error {
			_, err := NewAlertmanager("http://127.0.0.1:1", strings.Repeat("a", 33), true)
			return err
		}, "run id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.make()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestNewRunID(t *testing.T) {
	a, b := NewRunID(), NewRunID()
	if err := checkRunID(a); err != nil {
		t.Errorf("NewRunID() = %q: %v", a, err)
	}
	if a == b {
		t.Errorf("two run ids are both %q", a)
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.0.0.1:8080/some/path?q=1", true},
		{"https://127.9.9.9", true},
		{"http://localhost:9093", true},
		{"http://LocalHost:9093", true},
		{"http://[::1]:8080", true},
		{"http://10.0.0.1:8080", false},
		{"http://192.168.1.1", false},
		{"http://0.0.0.0:8080", false}, // every interface, not loopback
		{"http://[::]:8080", false},
		{"http://example.com", false},
		{"http://127.0.0.1.example.com", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1@example.com/", false}, // user info, the host is example.com
		{"http://example.com#@127.0.0.1", false},
		{"http://example.com/?h=127.0.0.1", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8080", false},
		{"http://", false},
		{"", false},
		{"http://[::1", false},
		{"http://%zz", false},
		{"http://" + strings.Repeat("a", 10000), false},
	}
	for _, tt := range tests {
		err := CheckLoopback(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckLoopback(%.60q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestCheckLoopbackAddr(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"127.0.0.1:19999", true},
		{"localhost:1", true},
		{"[::1]:80", true},
		{":8080", false}, // every interface
		{"0.0.0.0:8080", false},
		{"10.1.2.3:80", false},
		{"example.com:80", false},
		{"127.0.0.1", false}, // no port
		{"", false},
	}
	for _, tt := range tests {
		err := CheckLoopbackAddr(tt.addr)
		if (err == nil) != tt.ok {
			t.Errorf("CheckLoopbackAddr(%q) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
}

// go test -run '^$' -bench PagerDutyEvent ./internal/loadgen/
func BenchmarkPagerDutyEvent(b *testing.B) {
	target, err := NewPagerDuty("http://127.0.0.1:8080", "0123456789abcdef0123456789abcdef", "bench1", true)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var seq int64
	for b.Loop() {
		seq++
		_ = target.Event(seq)
	}
}
