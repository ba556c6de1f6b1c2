// Package loadgen drives a running Vigil (or, for comparison, a real
// Alertmanager) over HTTP and measures how many events it accepts and how
// long a trigger takes to become a page at a local receiver. It is the
// engine of `vigil bench`.
package loadgen

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Request is one event to send: a JSON POST.
type Request struct {
	URL  string
	Body []byte
	// Title is the incident title a page for this event carries, which
	// ties the page back to its trigger; "" when pages are not tracked.
	Title string
}

// Target makes the requests of a run.
type Target interface {
	// Event returns the request for the seq-th event of the run (from 0).
	// It is called from many goroutines at once.
	Event(seq int64) Request
}

// NewRunID returns a short random id that keeps the dedup keys and
// titles of one run apart from those of earlier runs against the same
// server (an open alert with the same key would absorb a trigger instead of
// paging).
func NewRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// bodyTemplate makes the requests of a target whose bodies differ only in
// the event's number, which appears twice (in a key and in the title):
// prefix, the number, middle, the number, suffix. Building a body is then
// two appends of bytes made once, which keeps the generator cheaper than
// the server it measures.
type bodyTemplate struct {
	url     string
	prefix  []byte
	middle  []byte
	suffix  []byte
	titleOf string // the title up to the number
	unique  bool   // false: every event is event 0
}

// Event implements Target.
func (b *bodyTemplate) Event(seq int64) Request {
	if !b.unique {
		seq = 0
	}
	n := strconv.FormatInt(seq, 10)
	body := make([]byte, 0, len(b.prefix)+len(b.middle)+len(b.suffix)+2*len(n))
	body = append(body, b.prefix...)
	body = append(body, n...)
	body = append(body, b.middle...)
	body = append(body, n...)
	body = append(body, b.suffix...)
	return Request{URL: b.url, Body: body, Title: b.titleOf + n}
}

// PagerDuty sends PagerDuty Events v2 triggers to Server's /v2/enqueue.
type PagerDuty struct{ bodyTemplate }

// NewPagerDuty returns a target sending critical triggers with routing key
// key. With unique, every event has a dedup key of its own (and so opens an
// alert and an incident, and pages); otherwise all events of the run share
// one key and repeat one alert.
func NewPagerDuty(server, key, run string, unique bool) (*PagerDuty, error) {
	if key == "" {
		return nil, errors.New("pagerduty target: empty routing key")
	}
	if err := checkRunID(run); err != nil {
		return nil, err
	}
	k, err := json.Marshal(key)
	if err != nil {
		return nil, fmt.Errorf("pagerduty target: %w", err)
	}
	title := "vigil bench " + run + " "
	return &PagerDuty{bodyTemplate{
		url:     strings.TrimRight(server, "/") + "/v2/enqueue",
		prefix:  []byte(`{"routing_key":` + string(k) + `,"event_action":"trigger","dedup_key":"bench-` + run + `-`),
		middle:  []byte(`","payload":{"summary":"` + title),
		suffix:  []byte(`","source":"vigil-bench","severity":"critical"}}`),
		titleOf: title,
		unique:  unique,
	}}, nil
}

// Alertmanager posts single alerts to a real Alertmanager's
// /api/v2/alerts, as Prometheus does (with one alert per request, the
// hardest case for the receiver).
type Alertmanager struct{ bodyTemplate }

// NewAlertmanager returns a target posting firing alerts to the
// Alertmanager at server. With unique, every alert has labels of its own;
// otherwise the run repeats one alert.
func NewAlertmanager(server, run string, unique bool) (*Alertmanager, error) {
	if err := checkRunID(run); err != nil {
		return nil, err
	}
	title := "vigil bench " + run + " "
	return &Alertmanager{bodyTemplate{
		url:     strings.TrimRight(server, "/") + "/api/v2/alerts",
		prefix:  []byte(`[{"labels":{"alertname":"VigilBench","severity":"critical","bench_run":"` + run + `","bench_seq":"`),
		middle:  []byte(`"},"annotations":{"summary":"` + title),
		suffix:  []byte(`"}}]`),
		titleOf: title,
		unique:  unique,
	}}, nil
}

// checkRunID keeps run ids to what needs no escaping in JSON or labels.
func checkRunID(run string) error {
	if run == "" || len(run) > 32 {
		return fmt.Errorf("run id %q: want 1 to 32 letters or digits", run)
	}
	for _, c := range run {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return fmt.Errorf("run id %q: want 1 to 32 letters or digits", run)
		}
	}
	return nil
}

// CheckLoopback refuses a URL whose host is not a loopback address, so that
// a benchmark cannot flood another machine by mistake. "localhost" counts
// as loopback.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("invalid URL %q: want http(s)://host:port", raw)
	}
	return checkLoopbackHost(u.Hostname(), raw)
}

// CheckLoopbackAddr is CheckLoopback for a listening address HOST:PORT.
func CheckLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q: %w", addr, err)
	}
	return checkLoopbackHost(host, addr)
}

func checkLoopbackHost(host, what string) error {
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", what)
	}
	return nil
}
