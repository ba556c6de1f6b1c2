package api

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
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
// codes on /v2 (see pagerDutyAnswers), and for webhooks 503 (never 429)
// when shedding, because Alertmanager retries only 5xx.

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

// Refusals every ingest endpoint may answer, in each sender's dialect.
var (
	errBodyTooLarge = refusal(http.StatusRequestEntityTooLarge, "too_large", "body is larger than 512 KB")
	// errKeyRate is a key's rate spent: 503 for webhooks, 429 on /v2.
	errKeyRate = &httpError{status: http.StatusServiceUnavailable, code: "rate_limited", message: "events for this key are arriving too quickly; retry later", retryAfter: "1"}
	// errOverloaded sheds load, answered 503 so that senders retry.
	errOverloaded = &httpError{status: http.StatusServiceUnavailable, code: "overloaded", message: "Vigil is overloaded; retry later", retryAfter: "1"}
)

// readIngestBody reads at most ingest.MaxBodyBytes (errBodyTooLarge
// beyond). The body lives in a buffer from s.bodies: the caller hands it
// back with release once nothing refers to it (the ingest parsers copy
// what they keep).
func (s *Server) readIngestBody(r *http.Request) (body []byte, release func(), err error) {
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
		return nil, nil, badRequest("read body: %v", err)
	}
	if buf.Len() > ingest.MaxBodyBytes {
		release()
		return nil, nil, errBodyTooLarge
	}
	return buf.Bytes(), release, nil
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

// pagerDutyAnswers answers the refusals of a /v2 endpoint as PagerDuty
// does: its bodies, and 429 for a key's spent rate.
func (s *Server) pagerDutyAnswers(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		err := h(w, r, p)
		var invalid *ingest.ValidationError
		var refused *httpError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &invalid):
			writeJSON(w, http.StatusBadRequest, pdAnswer{Status: "invalid event", Message: "Event object is invalid", Errors: invalid.Errors})
		case errors.Is(err, errBodyTooLarge):
			writeJSON(w, http.StatusRequestEntityTooLarge, pdAnswer{Status: "invalid event", Message: "Event object is too large", Errors: []string{"body: larger than 512 KB"}})
		case errors.Is(err, errKeyRate):
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, pdAnswer{Status: "throttle event", Message: "Requests for this routing key are arriving too quickly. Retry later."})
		case errors.Is(err, errOverloaded):
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, pdAnswer{Status: "unavailable", Message: "Vigil is overloaded; retry later."})
		case errors.As(err, &refused) && refused.status == http.StatusBadRequest:
			writeJSON(w, http.StatusBadRequest, pdAnswer{Status: "invalid event", Message: "Event object is invalid", Errors: []string{refused.message}})
		default:
			return err
		}
		return nil
	}
}

// integration finds the integration of key, of one of kinds when any are
// given.
func (s *Server) integration(key string, kinds ...string) (*catalog.Service, *catalog.Integration, bool) {
	svc, in := s.org.Snapshot().Integration(key)
	if svc == nil || len(kinds) > 0 && !slices.Contains(kinds, in.Type) {
		return nil, nil, false
	}
	return svc, in, true
}

// spend spends n events of the key's rate.
func (s *Server) spend(key string, in *catalog.Integration, n int) error {
	if s.ingestLimits.allow(key, in.RateLimit, max(1, n)) {
		return nil
	}
	return errKeyRate
}

func (s *Server) pagerDutyEnqueue(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	body, release, err := s.readIngestBody(r)
	if err != nil {
		return err
	}
	defer release()
	key, ev, err := ingest.ParsePagerDuty(body, newDedupKey)
	if err != nil {
		return eventRefused(err)
	}
	events, in, err := s.ingestEvents(key, catalog.IntegrationPagerDuty, []ingest.Event{ev})
	if err != nil {
		return badRequest("routing_key: no PagerDuty integration has this key")
	}
	if err := s.spend(key, in, 1); err != nil {
		return err
	}
	if err := s.acceptRouted(r, events); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, pdAnswer{Status: "success", Message: "Event processed", DedupKey: ev.DedupKey})
	return nil
}

func (s *Server) pagerDutyChange(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	body, release, err := s.readIngestBody(r)
	if err != nil {
		return err
	}
	defer release()
	key, ev, err := ingest.ParseChange(body)
	if err != nil {
		return eventRefused(err)
	}
	service, in, outcome, kept := s.changeService(key, &ev)
	if in == nil {
		return badRequest("routing_key: no integration has this key")
	}
	if err := s.spend(key, in, 1); err != nil {
		return err
	}
	if service != "" {
		ev.Details = s.gate.LinkDeploy(r.Context(), service, ev.Details, func(err error) { s.log.Warn("link a deploy to its gate decision", "err", err) })
		kept = inbox(store.InboxChange, key, service, ev)
	}
	if err := s.acceptRouted(r, routedBatch{events: []store.InboxEvent{kept}, outcomes: []string{outcome}}); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, pdAnswer{Status: "success", Message: "Change event processed"})
	return nil
}

// webhookAnswer is the body of a successful webhook ingest.
type webhookAnswer struct {
	Status   string `json:"status"`
	Accepted int    `json:"accepted"`
}

// webhookParsers read the events of each kind of webhook.
var webhookParsers = map[string]func(body []byte, in *catalog.Integration) ([]ingest.Event, error){
	catalog.IntegrationAlertmanager: func(body []byte, in *catalog.Integration) ([]ingest.Event, error) {
		return ingest.ParseAlertmanager(body, in.DefaultSeverity)
	},
	catalog.IntegrationGrafana: func(body []byte, in *catalog.Integration) ([]ingest.Event, error) {
		return ingest.ParseGrafana(body, in.DefaultSeverity)
	},
	catalog.IntegrationGeneric: func(body []byte, in *catalog.Integration) ([]ingest.Event, error) {
		ev, err := ingest.ParseGeneric(body, in.Mapping, in.DefaultSeverity)
		return []ingest.Event{ev}, err
	},
}

// integrationWebhook serves Alertmanager, Grafana and generic webhooks.
func (s *Server) integrationWebhook(kind string) handlerFunc {
	parse := webhookParsers[kind]
	return func(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
		key := r.PathValue("key")
		in := s.ingestIntegration(key, kind)
		if in == nil {
			return notFound("no %s integration has this key", kind)
		}
		body, release, err := s.readIngestBody(r)
		if err != nil {
			return err
		}
		defer release()
		events, err := parse(body, in)
		if err != nil {
			return invalidRequest("invalid "+kind+" payload", eventRefused(err).Errors)
		}
		batch, in, err := s.ingestEvents(key, kind, events)
		if err != nil {
			return notFound("no %s integration has this key", kind)
		}
		if err := s.spend(key, in, len(events)); err != nil {
			return err
		}
		if err := s.acceptRouted(r, batch); err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, webhookAnswer{Status: "success", Accepted: len(events)})
		return nil
	}
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	key := r.PathValue("key")
	svc, in, ok := s.integration(key, catalog.IntegrationHeartbeat)
	if !ok {
		return notFound("no heartbeat integration has this key")
	}
	_, release, err := s.readIngestBody(r)
	if err != nil {
		return err
	}
	release()
	if err := s.spend(key, in, 1); err != nil {
		return err
	}
	if err := s.accept(r, inbox(store.InboxHeartbeat, key, svc.ID, struct{}{})); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "success"})
	return nil
}

// eventRefused lists the problems of a payload the parser refused.
func eventRefused(err error) *ingest.ValidationError {
	var invalid *ingest.ValidationError
	if errors.As(err, &invalid) {
		return invalid
	}
	return &ingest.ValidationError{Errors: []string{err.Error()}}
}

// inbox is an inbox event with its payload as JSON.
var inbox = pipeline.NewInboxEvent

// accept stores events durably before the sender is answered; a failure
// is a 5xx, so that the sender retries.
func (s *Server) accept(r *http.Request, events ...store.InboxEvent) error {
	if s.pipeline == nil {
		return unavailable(nil, "ingest is not running")
	}
	now := s.now().UTC()
	for i := range events {
		events[i].ReceivedAt = now
	}
	// The committer bounds each commit (pipeline.Accept): the request's
	// own context only ends the wait when the sender goes away.
	err := s.pipeline.Accept(r.Context(), events...)
	switch {
	case errors.Is(err, pipeline.ErrOverloaded):
		return errOverloaded
	case err != nil:
		return unavailable(fmt.Errorf("ingest commit: %w", err), "could not store the event; retry")
	}
	return nil
}
