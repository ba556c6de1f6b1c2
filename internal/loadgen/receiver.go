package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxPageBody bounds what the receiver reads of one page.
const maxPageBody = 64 << 10

// maxTrackedPages bounds the receiver's memory: arrivals beyond it are
// counted but not kept.
const maxTrackedPages = 10_000_000

// Receiver is a local HTTP endpoint for Vigil's webhook contact method. It
// records when the first page for each incident title arrived, which
// Run joins with the send time of the trigger that carries that title.
// Anything else posted to it (an Alertmanager webhook, say) is read,
// counted and answered 200: it doubles as a sink for notifications.
type Receiver struct {
	now func() time.Time
	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	first    map[string]time.Time // incident title -> first page
	seenKeys map[string]struct{}  // idempotency keys, to count repeats
	repeats  int
	pages    int
	other    int

	done chan struct{}
}

// StartReceiver listens on addr (a loopback HOST:PORT; port 0 picks one)
// and serves until Close. now stamps arrivals (nil: time.Now).
func StartReceiver(addr string, now func() time.Time) (*Receiver, error) {
	if err := CheckLoopbackAddr(addr); err != nil {
		return nil, fmt.Errorf("receiver: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("receiver: %w", err)
	}
	r := &Receiver{
		now:      now,
		ln:       ln,
		first:    map[string]time.Time{},
		seenKeys: map[string]struct{}{},
		done:     make(chan struct{}),
	}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	go func() { // owner: the Receiver; Close stops it and waits
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// Addr is the address the receiver listens on.
func (r *Receiver) Addr() string { return r.ln.Addr().String() }

// URL is the address to configure as the webhook contact method.
func (r *Receiver) URL() string { return "http://" + r.Addr() + "/page" }

// Close stops the receiver and waits for it.
func (r *Receiver) Close() error {
	err := r.srv.Close()
	<-r.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// page is what the receiver reads of a webhook notification.
type page struct {
	IdempotencyKey string `json:"idempotency_key"`
	Kind           string `json:"kind"`
	Incident       struct {
		Title string `json:"title"`
	} `json:"incident"`
}

// ServeHTTP records one page, or counts another notification. It answers
// 200 to every POST it could read, so that no sender retries and skews the
// count.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := r.now()
	if req.Method != http.MethodPost {
		http.Error(w, "POST notifications here", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxPageBody+1))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	// Larger bodies are no page; the rest is read so that the sender sees
	// its request through.
	if _, err := io.Copy(io.Discard, req.Body); err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var p page
	isPage := len(body) <= maxPageBody && json.Unmarshal(body, &p) == nil && p.Incident.Title != ""
	r.mu.Lock()
	defer r.mu.Unlock()
	if !isPage {
		r.other++
		w.WriteHeader(http.StatusOK)
		return
	}
	r.pages++
	if p.IdempotencyKey != "" {
		if _, seen := r.seenKeys[p.IdempotencyKey]; seen {
			r.repeats++
		} else if len(r.seenKeys) < maxTrackedPages {
			r.seenKeys[p.IdempotencyKey] = struct{}{}
		}
	}
	if _, ok := r.first[p.Incident.Title]; !ok && len(r.first) < maxTrackedPages {
		r.first[p.Incident.Title] = at
	}
	w.WriteHeader(http.StatusOK)
}

// FirstPage returns when the first page for an incident title arrived.
func (r *Receiver) FirstPage(title string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.first[title]
	return at, ok
}

// ReceiverStats counts what the receiver got.
type ReceiverStats struct {
	Pages   int // well-formed requests, repeats included
	Titles  int // distinct incident titles
	Repeats int // requests with an idempotency key seen before
	Other   int // POSTs that were not a Vigil page
}

// Stats returns the counts so far.
func (r *Receiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ReceiverStats{Pages: r.pages, Titles: len(r.first), Repeats: r.repeats, Other: r.other}
}
