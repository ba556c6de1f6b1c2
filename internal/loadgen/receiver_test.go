package loadgen

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTestReceiver(now func() time.Time) *Receiver {
	return &Receiver{now: now, first: map[string]time.Time{}, seenKeys: map[string]struct{}{}}
}

func post(r *Receiver, method, body string) int {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(method, "/page", strings.NewReader(body)))
	return w.Code
}

func TestReceiverRecordsFirstPage(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := t0
	r := newTestReceiver(func() time.Time { return clock })

	tests := []struct {
		name   string
		method string
		body   string
		code   int
	}{
		{"first page", "POST", `{"idempotency_key":"k1","kind":"page","incident":{"title":"vigil bench r 1"}}`, 200},
		{"a retry of it", "POST", `{"idempotency_key":"k1","kind":"page","incident":{"title":"vigil bench r 1"}}`, 200},
		{"a second page, same incident", "POST", `{"idempotency_key":"k2","kind":"page","incident":{"title":"vigil bench r 1"}}`, 200},
		{"another incident", "POST", `{"idempotency_key":"k3","incident":{"title":"vigil bench r 2"},"unknown":[1,2]}`, 200},
		{"not JSON", "POST", `{"incident":`, 200},
		{"no title", "POST", `{"idempotency_key":"k4","incident":{}}`, 200},
		{"title of the wrong type", "POST", `{"incident":{"title":7}}`, 200},
		{"an Alertmanager notification", "POST", `{"version":"4","status":"firing","alerts":[{"labels":{"alertname":"X"}}]}`, 200},
		{"empty", "POST", ``, 200},
		{"oversized", "POST", `{"incident":{"title":"` + strings.Repeat("x", maxPageBody) + `"}}`, 200},
		{"a GET", "GET", ``, 405},
	}
	for _, tt := range tests {
		clock = clock.Add(time.Second)
		if code := post(r, tt.method, tt.body); code != tt.code {
			t.Errorf("%s: answered %d, want %d", tt.name, code, tt.code)
		}
	}
	if at, ok := r.FirstPage("vigil bench r 1"); !ok || !at.Equal(t0.Add(time.Second)) {
		t.Errorf("first page of 1 at %v %v, want the first request's time %v", at, ok, t0.Add(time.Second))
	}
	if at, ok := r.FirstPage("vigil bench r 2"); !ok || !at.Equal(t0.Add(4*time.Second)) {
		t.Errorf("first page of 2 at %v %v, want %v", at, ok, t0.Add(4*time.Second))
	}
	if _, ok := r.FirstPage("vigil bench r 3"); ok {
		t.Error("a page for an incident never paged")
	}
	want := ReceiverStats{Pages: 4, Titles: 2, Repeats: 1, Other: 6}
	if got := r.Stats(); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

func TestStartReceiver(t *testing.T) {
	if _, err := StartReceiver("0.0.0.0:0", nil); err == nil {
		t.Error("a receiver on every interface was started")
	}
	r, err := StartReceiver("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"idempotency_key": "k", "incident": map[string]any{"title": "t"}})
	resp, err := http.Post(r.URL(), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("page answered %d", resp.StatusCode)
	}
	if _, ok := r.FirstPage("t"); !ok {
		t.Error("page not recorded")
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := http.Post(r.URL(), "application/json", bytes.NewReader(body)); err == nil {
		t.Error("the receiver still answers after Close")
	}
}

// FuzzReceiver: no body makes the receiver panic or refuse, and a body
// counts as a page exactly when it is a JSON object with a non-empty
// incident title.
func FuzzReceiver(f *testing.F) {
	f.Add([]byte(`{"idempotency_key":"k","kind":"page","incident":{"title":"t"}}`))
	f.Add([]byte(`{"incident":{"title":""}}`))
	f.Add([]byte(`{"incident":null}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"incident":{"title":"\u0000\ud800"}}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := newTestReceiver(time.Now)
		code := post(r, "POST", string(body))
		var p page
		isPage := len(body) <= maxPageBody && json.Unmarshal(body, &p) == nil && p.Incident.Title != ""
		st := r.Stats()
		if code != 200 || isPage != (st.Pages == 1) || isPage == (st.Other == 1) {
			t.Errorf("body %q: answered %d with stats %+v; is a page: %v", body, code, st, isPage)
		}
	})
}

// FuzzCheckLoopback: whatever CheckLoopback accepts names a loopback host.
func FuzzCheckLoopback(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080", "http://localhost", "http://[::1]:1", "http://10.0.0.1",
		"http://127.0.0.1@example.com", "http://example.com#@127.0.0.1", "http://%31%32%37.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if CheckLoopback(raw) != nil {
			return
		}
		req, err := http.NewRequest("GET", raw, nil)
		if err != nil {
			return // a URL the client refuses reaches nothing
		}
		host := req.URL.Hostname()
		ip := net.ParseIP(host)
		if !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
			t.Errorf("accepted %q, whose host %q is not loopback", raw, host)
		}
	})
}
