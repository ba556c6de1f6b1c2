package api

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Ingest endpoints authenticate by their integration key, which is the
// secret a monitoring system is configured with (as PagerDuty routing keys
// are). Answers follow what each sender expects: PagerDuty's bodies and
// codes on /v2, and for webhooks 503 (never 429) when shedding, because
// Alertmanager retries only 5xx.

// defaultKeyRate is each integration key's event rate (per second) unless
// the integration sets rate_limit; bursts of twice as many pass.
const defaultKeyRate = 2000

// keyLimiter rate-limits events per integration key.
type keyLimiter struct {
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

func (l *keyLimiter) allow(key string, rate float64, n int) bool {
	if rate <= 0 {
		rate = defaultKeyRate
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 100000 {
			l.buckets = map[string]*bucket{}
		}
		b = &bucket{tokens: 2 * rate, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(2*rate, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// readIngestBody reads at most ingest.MaxBodyBytes; ok is false (and 413
// answered) beyond that. The body lives in a buffer from s.bodies: the
// caller hands it back with release once nothing refers to it (the ingest
// parsers copy what they keep).
func (s *Server) readIngestBody(w http.ResponseWriter, r *http.Request, tooLarge func()) (body []byte, release func(), ok bool) {
	buf, _ := s.bodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	release = func() {
		if buf.Cap() <= maxPooledBody {
			s.bodies.Put(buf)
		}
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, ingest.MaxBodyBytes+1)); err != nil {
		release()
		writeError(w, http.StatusBadRequest, "bad_request", "read body: %v", err)
		return nil, nil, false
	}
	if buf.Len() > ingest.MaxBodyBytes {
		release()
		tooLarge()
		return nil, nil, false
	}
	return buf.Bytes(), release, true
}

// maxPooledBody is the largest body buffer kept for reuse: a rare large
// batch does not pin half a megabyte per idle buffer.
const maxPooledBody = 64 << 10

func newDedupKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// pdAnswer is PagerDuty's Events API v2 response body.
type pdAnswer struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

func pdInvalid(w http.ResponseWriter, errs ...string) {
	writeJSON(w, http.StatusBadRequest, pdAnswer{Status: "invalid event", Message: "Event object is invalid", Errors: errs})
}

// pdBody reads a PagerDuty Events API body; it answers 413 itself, as
// PagerDuty does.
func (s *Server) pdBody(w http.ResponseWriter, r *http.Request) ([]byte, func(), bool) {
	return s.readIngestBody(w, r, func() {
		writeJSON(w, http.StatusRequestEntityTooLarge, pdAnswer{Status: "invalid event", Message: "Event object is too large", Errors: []string{"body: larger than 512 KB"}})
	})
}

// pdRefuse answers an event the parser refused, listing every problem it
// found.
func pdRefuse(w http.ResponseWriter, err error) {
	var invalid *ingest.ValidationError
	if errors.As(err, &invalid) {
		pdInvalid(w, invalid.Errors...)
		return
	}
	pdInvalid(w, err.Error())
}

// pdAllow spends one event of the routing key's rate, answering 429 as
// PagerDuty does when it is spent.
func (s *Server) pdAllow(w http.ResponseWriter, key string, in *catalog.Integration) bool {
	if s.ingestLimits.allow(key, in.RateLimit, 1) {
		return true
	}
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusTooManyRequests, pdAnswer{Status: "throttle event", Message: "Requests for this routing key are arriving too quickly. Retry later."})
	return false
}

func (s *Server) pagerDutyEnqueue(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	body, release, ok := s.pdBody(w, r)
	if !ok {
		return
	}
	defer release()
	key, ev, err := ingest.ParsePagerDuty(body, newDedupKey)
	if err != nil {
		pdRefuse(w, err)
		return
	}
	svc, in := s.org.Snapshot().Integration(key)
	if svc == nil || in.Type != catalog.IntegrationPagerDuty {
		pdInvalid(w, "routing_key: no PagerDuty integration has this key")
		return
	}
	if !s.pdAllow(w, key, in) {
		return
	}
	if !s.accept(w, r, pdShed, inbox(store.InboxAlert, key, svc.ID, ev)) {
		return
	}
	writeJSON(w, http.StatusAccepted, pdAnswer{Status: "success", Message: "Event processed", DedupKey: ev.DedupKey})
}

func (s *Server) pagerDutyChange(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	body, release, ok := s.pdBody(w, r)
	if !ok {
		return
	}
	defer release()
	key, ev, err := ingest.ParseChange(body)
	if err != nil {
		pdRefuse(w, err)
		return
	}
	svc, in := s.org.Snapshot().Integration(key)
	if svc == nil {
		pdInvalid(w, "routing_key: no integration has this key")
		return
	}
	if !s.pdAllow(w, key, in) {
		return
	}
	s.linkGateDecision(r.Context(), svc.ID, &ev)
	if !s.accept(w, r, pdShed, inbox(store.InboxChange, key, svc.ID, ev)) {
		return
	}
	writeJSON(w, http.StatusAccepted, pdAnswer{Status: "success", Message: "Change event processed"})
}

// webhookAnswer is the body of a successful webhook ingest.
type webhookAnswer struct {
	Status   string `json:"status"`
	Accepted int    `json:"accepted"`
}

// integrationWebhook serves Alertmanager, Grafana and generic webhooks.
func (s *Server) integrationWebhook(kind string) func(http.ResponseWriter, *http.Request, auth.Principal) {
	return func(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
		key := r.PathValue("key")
		svc, in := s.org.Snapshot().Integration(key)
		if svc == nil || in.Type != kind {
			writeError(w, http.StatusNotFound, "not_found", "no %s integration has this key", kind)
			return
		}
		body, release, ok := s.readIngestBody(w, r, func() {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "body is larger than 512 KB")
		})
		if !ok {
			return
		}
		defer release()
		var events []ingest.Event
		var err error
		switch kind {
		case catalog.IntegrationAlertmanager:
			events, err = ingest.ParseAlertmanager(body, in.DefaultSeverity)
		case catalog.IntegrationGrafana:
			events, err = ingest.ParseGrafana(body, in.DefaultSeverity)
		case catalog.IntegrationGeneric:
			var ev ingest.Event
			ev, err = ingest.ParseGeneric(body, in.Mapping, in.DefaultSeverity)
			events = []ingest.Event{ev}
		}
		var invalid *ingest.ValidationError
		switch {
		case errors.As(err, &invalid):
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid", "message": "invalid " + kind + " payload", "errors": invalid.Errors})
			return
		case err != nil:
			writeError(w, http.StatusBadRequest, "invalid", "invalid %s payload: %v", kind, err)
			return
		}
		if !s.ingestLimits.allow(key, in.RateLimit, max(1, len(events))) {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "rate_limited", "events for this key are arriving too quickly; retry later")
			return
		}
		batch := make([]store.InboxEvent, len(events))
		for i, ev := range events {
			batch[i] = inbox(store.InboxAlert, key, svc.ID, ev)
		}
		if !s.accept(w, r, webhookShed, batch...) {
			return
		}
		writeJSON(w, http.StatusAccepted, webhookAnswer{Status: "success", Accepted: len(events)})
	}
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	key := r.PathValue("key")
	svc, in := s.org.Snapshot().Integration(key)
	if svc == nil || in.Type != catalog.IntegrationHeartbeat {
		writeError(w, http.StatusNotFound, "not_found", "no heartbeat integration has this key")
		return
	}
	_, release, ok := s.readIngestBody(w, r, func() { writeError(w, http.StatusRequestEntityTooLarge, "too_large", "body is larger than 512 KB") })
	if !ok {
		return
	}
	release()
	if !s.ingestLimits.allow(key, in.RateLimit, 1) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "rate_limited", "beats for this key are arriving too quickly")
		return
	}
	if !s.accept(w, r, webhookShed, inbox(store.InboxHeartbeat, key, svc.ID, struct{}{})) {
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "success"})
}

func inbox(kind, key, service string, payload any) store.InboxEvent {
	body, _ := json.Marshal(payload) // values from the ingest parsers always encode
	return store.InboxEvent{Kind: kind, IntegrationKey: key, Service: service, Payload: body}
}

func pdShed(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, pdAnswer{Status: "unavailable", Message: "Vigil is overloaded; retry later."})
}

func webhookShed(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, "overloaded", "Vigil is overloaded; retry later")
}

// accept stores events durably before the sender is answered. On failure
// it answers itself (a 5xx, so that the sender retries) and returns false.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, shed func(http.ResponseWriter), events ...store.InboxEvent) bool {
	if s.pipeline == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "ingest is not running")
		return false
	}
	now := s.now().UTC()
	for i := range events {
		events[i].ReceivedAt = now
	}
	// The committer bounds each commit (pipeline.Accept): the request's
	// own context only ends the wait when the sender goes away.
	err := s.pipeline.Accept(r.Context(), events...)
	switch {
	case err == nil:
		return true
	case errors.Is(err, pipeline.ErrOverloaded):
		shed(w)
	default:
		s.log.Error("ingest commit", "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(1))
		writeError(w, http.StatusServiceUnavailable, "unavailable", "could not store the event; retry")
	}
	return false
}
