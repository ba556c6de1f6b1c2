package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "0123456789abcdef0123456789abcdef"

func newPD(t *testing.T, server string) *PagerDuty {
	t.Helper()
	target, err := NewPagerDuty(server, testKey, "t1", true)
	if err != nil {
		t.Fatal(err)
	}
	return target
}

func TestRunCountsAnswers(t *testing.T) {
	var n atomic.Int64
	var mu sync.Mutex
	keys := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			DedupKey string `json:"dedup_key"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || r.URL.Path != "/v2/enqueue" ||
			r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		keys[ev.DedupKey] = true
		mu.Unlock()
		switch i := n.Add(1); {
		case i%10 == 0:
			w.WriteHeader(http.StatusServiceUnavailable)
		case i%25 == 1:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer srv.Close()

	res, err := Run(context.Background(), Options{Target: newPD(t, srv.URL), Concurrency: 4, Requests: 100})
	if err != nil {
		t.Fatal(err)
	}
	// Of answers 1..100: every tenth is a 503 (10), and 1, 26, 51, 76 are
	// 429s (4); the other 86 are 202s.
	if res.Sent != 100 || res.OK != 86 || res.Errors != 0 {
		t.Errorf("sent %d ok %d errors %d, want 100, 86, 0", res.Sent, res.OK, res.Errors)
	}
	if res.Status[503] != 10 || res.Status[429] != 4 || len(res.Status) != 2 {
		t.Errorf("status = %v, want 10×503 and 4×429", res.Status)
	}
	if res.Latency.Count != 100 {
		t.Errorf("latency count = %d, want every answered request (100)", res.Latency.Count)
	}
	if len(keys) != 100 {
		t.Errorf("%d distinct dedup keys, want 100", len(keys))
	}
	if res.Pages != nil {
		t.Errorf("pages = %+v without a receiver", res.Pages)
	}
}

func TestRunCountsErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every request is refused

	res, err := Run(context.Background(), Options{Target: newPD(t, "http://"+addr), Concurrency: 2, Requests: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 5 || res.Errors != 5 || res.OK != 0 || res.FirstError == "" {
		t.Errorf("sent %d errors %d ok %d first error %q, want 5 refused", res.Sent, res.Errors, res.OK, res.FirstError)
	}
}

func TestRunStopsAfterDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Options{Target: newPD(t, srv.URL), Concurrency: 2, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Two clients, 5ms a request: at most 2 × 100/5 = 40 fit in 100ms.
	if res.Sent == 0 || res.Sent > 40 || res.OK != res.Sent {
		t.Errorf("sent %d ok %d in 100ms, want 1 to 40, all accepted", res.Sent, res.OK)
	}
}

func TestRunOpenLoopKeepsSchedule(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Options{Target: newPD(t, srv.URL), Concurrency: 4, Requests: 20, Rate: 200})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 20 || res.OK != 20 || n.Load() != 20 {
		t.Errorf("sent %d ok %d served %d, want 20", res.Sent, res.OK, n.Load())
	}
	// The 20th event is due 19 intervals of 5ms after the first.
	if res.Elapsed < 95*time.Millisecond {
		t.Errorf("20 events at 200/s took %s, want at least 95ms", res.Elapsed)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, Options{Target: newPD(t, srv.URL), Concurrency: 2, Duration: time.Hour, Rate: 10})
	if err == nil || res == nil {
		t.Fatalf("Run = %v, %v; want the partial result and the context's error", res, err)
	}
	// At 10/s, only the event due at once fits into 50ms.
	if res.OK != 1 {
		t.Errorf("ok = %d, want 1", res.OK)
	}
}

// fakeVigil answers PagerDuty events and pages the receiver for each
// trigger, as Vigil does, except for every dropEvery-th one.
func fakeVigil(t *testing.T, receiverURL string, dropEvery int64) *httptest.Server {
	var n atomic.Int64
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			DedupKey string `json:"dedup_key"`
			Payload  struct {
				Summary string `json:"summary"`
			} `json:"payload"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		if i := n.Add(1); dropEvery > 0 && i%dropEvery == 0 {
			return
		}
		page := fmt.Sprintf(`{"version":1,"idempotency_key":"vigil-%s","kind":"page","incident":{"title":%q}}`, ev.DedupKey, ev.Payload.Summary)
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(receiverURL, "application/json", strings.NewReader(page))
			if err == nil {
				resp.Body.Close()
			}
		}()
	}))
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
	return srv
}

func TestRunMeasuresPages(t *testing.T) {
	rcv, err := StartReceiver("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	srv := fakeVigil(t, rcv.URL(), 0)
	res, err := Run(context.Background(), Options{Target: newPD(t, srv.URL), Concurrency: 4, Requests: 50,
		Receiver: rcv, Drain: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Pages
	if p == nil || p.Expected != 50 || p.Received != 50 || p.Repeats != 0 || p.Latency.Count != 50 {
		t.Fatalf("pages = %+v, want 50 of 50", p)
	}
	if p.Latency.P50 <= 0 || p.Latency.Max < p.Latency.P99 || p.Latency.P99 < p.Latency.P50 {
		t.Errorf("page latency %+v is not ordered and positive", p.Latency)
	}
}

func TestRunReportsMissingPages(t *testing.T) {
	rcv, err := StartReceiver("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	srv := fakeVigil(t, rcv.URL(), 5) // every fifth trigger pages nobody
	res, err := Run(context.Background(), Options{Target: newPD(t, srv.URL), Concurrency: 1, Requests: 50,
		Receiver: rcv, Drain: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Pages; p == nil || p.Expected != 50 || p.Received != 40 || p.Latency.Count != 40 {
		t.Errorf("pages = %+v, want 40 of 50", p)
	}
}

func TestOptionsRefused(t *testing.T) {
	target := newPD(t, "http://127.0.0.1:1")
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no target", Options{Concurrency: 1, Requests: 1}, "no target"},
		{"no clients", Options{Target: target, Requests: 1}, "concurrency 0"},
		{"too many clients", Options{Target: target, Concurrency: MaxConcurrency + 1, Requests: 1}, "concurrency"},
		{"no bound", Options{Target: target, Concurrency: 1}, "duration or a number of requests"},
		{"negative duration", Options{Target: target, Concurrency: 1, Requests: 1, Duration: -time.Second}, "duration"},
		{"too long", Options{Target: target, Concurrency: 1, Duration: MaxDuration + time.Second}, "duration"},
		{"too many requests", Options{Target: target, Concurrency: 1, Requests: MaxRequests + 1}, "requests"},
		{"negative rate", Options{Target: target, Concurrency: 1, Requests: 1, Rate: -1}, "rate"},
		{"NaN rate", Options{Target: target, Concurrency: 1, Requests: 1, Rate: math.NaN()}, "rate"},
		{"infinite rate", Options{Target: target, Concurrency: 1, Requests: 1, Rate: math.Inf(1)}, "rate"},
		{"negative drain", Options{Target: target, Concurrency: 1, Requests: 1, Drain: -1}, "drain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), tt.o)
			if res != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, %v; want an error mentioning %q", res, err, tt.want)
			}
		})
	}
}

func TestMergeTallies(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	a := &tally{sent: 6, ok: 5, status: map[int]int64{503: 1}, latency: msList(1, 2, 3, 4, 5, 6),
		perSecond: []int64{2, 2, 1}, last: t0.Add(2500 * ms), sentAt: map[string]time.Time{"x": t0.Add(ms), "y": t0.Add(2 * ms)}}
	b := &tally{sent: 4, ok: 3, errs: 1, firstErr: "refused", status: map[int]int64{503: 0}, latency: msList(7, 8, 9),
		perSecond: []int64{1, 2}, last: t0.Add(1900 * ms), sentAt: map[string]time.Time{"x": t0, "z": t0.Add(3 * ms)}}
	res, sentAt := merge([]*tally{a, b}, t0)
	if res.Sent != 10 || res.OK != 8 || res.Errors != 1 || res.FirstError != "refused" || res.Status[503] != 1 {
		t.Errorf("merged counts = %+v", res)
	}
	if res.Elapsed != 2500*ms {
		t.Errorf("elapsed = %s, want the last answer, 2.5s", res.Elapsed)
	}
	// Three buckets were counted, but only two whole seconds passed.
	if fmt.Sprint(res.PerSecond) != "[3 4]" {
		t.Errorf("per second = %v, want [3 4]", res.PerSecond)
	}
	if res.Rate() != 8/2.5 {
		t.Errorf("rate = %g, want 8/2.5", res.Rate())
	}
	if res.MedianPerSecond() != 3.5 {
		t.Errorf("median per second = %g, want 3.5", res.MedianPerSecond())
	}
	if res.Latency.Count != 9 || res.Latency.P50 != 5*ms || res.Latency.Max != 9*ms {
		t.Errorf("latency = %+v, want 9 values, median 5ms, max 9ms", res.Latency)
	}
	want := map[string]time.Time{"x": t0, "y": t0.Add(2 * ms), "z": t0.Add(3 * ms)}
	if len(sentAt) != 3 || !sentAt["x"].Equal(want["x"]) || !sentAt["y"].Equal(want["y"]) || !sentAt["z"].Equal(want["z"]) {
		t.Errorf("sent at = %v, want the earliest send of each title %v", sentAt, want)
	}
}

func TestMedianPerSecondShortRun(t *testing.T) {
	r := Result{OK: 30, Elapsed: 1500 * time.Millisecond, PerSecond: []int64{25}}
	if got := r.MedianPerSecond(); got != 20 {
		t.Errorf("MedianPerSecond = %g, want the overall rate 20", got)
	}
	if got := (&Result{}).Rate(); got != 0 {
		t.Errorf("Rate of nothing = %g", got)
	}
}

func TestWriteTable(t *testing.T) {
	r := &Result{Sent: 12, OK: 9, Status: map[int]int64{503: 2}, Errors: 1, FirstError: "connection refused",
		Elapsed: 2 * time.Second, PerSecond: []int64{4, 5},
		Latency: Summary{Count: 11, P50: 1500 * time.Microsecond, P90: 2 * time.Millisecond, P99: 3 * time.Millisecond, Max: 4 * time.Millisecond},
		Pages:   &PageResult{Expected: 9, Received: 8, Latency: Summary{Count: 8, P50: 10 * time.Millisecond, P90: 20 * time.Millisecond, P99: 30 * time.Millisecond, Max: 40 * time.Millisecond}}}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"requests sent            12\n",
		"answered other           2×503\n",
		"errors                   1 (first: connection refused)\n",
		"accepted events/s        4 median of 2 whole seconds, 4 overall\n", // median 4.5 and 9/2s print rounded to even
		"request latency          p50 1.50ms  p90 2.00ms  p99 3.00ms  max 4.00ms  (n=11)\n",
		"pages received           8 of 9 expected (0 repeats)\n",
		"trigger-to-page latency  p50 10.00ms  p90 20.00ms  p99 30.00ms  max 40.00ms  (n=8)\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestWriteJSON(t *testing.T) {
	r := &Result{Sent: 3, OK: 2, Status: map[int]int64{429: 1}, Elapsed: time.Second, PerSecond: []int64{2},
		Latency: Summary{Count: 3, P50: time.Millisecond, P90: 2 * time.Millisecond, P99: 2 * time.Millisecond, Max: 2 * time.Millisecond}}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Sent    int64            `json:"sent"`
		OK      int64            `json:"ok"`
		Status  map[string]int64 `json:"status"`
		Rate    float64          `json:"rate"`
		Median  float64          `json:"median_per_second"`
		Latency struct {
			P50 float64 `json:"p50_ms"`
			Max float64 `json:"max_ms"`
		} `json:"latency"`
		Pages *json.RawMessage `json:"pages"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if got.Sent != 3 || got.OK != 2 || got.Status["429"] != 1 || got.Rate != 2 || got.Median != 2 ||
		got.Latency.P50 != 1 || got.Latency.Max != 2 || got.Pages != nil {
		t.Errorf("JSON = %s", buf.String())
	}
}
