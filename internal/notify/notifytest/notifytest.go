// Package notifytest is the test kit every provider package under notify
// runs: the messages they send in their tests, a stand-in provider that
// records what it is sent, golden files of whole payloads, and the checks
// every HTTP channel must pass (answers and network failures classified
// for retry, redirects, bad URLs, and secrets kept out of errors, which
// are what the dispatcher logs and stores).
package notifytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// SendTime is when the messages of the tests are sent:
// 2025-03-14T09:26:53Z.
var SendTime = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// Page is a high-urgency page with everything a channel may show.
func Page() notify.Message {
	return notify.Message{
		IdempotencyKey: "n-42-1",
		Kind:           notify.KindPage,
		IncidentID:     12,
		Title:          "Checkout latency high",
		Summary:        "p99 over 2s for 10m",
		Service:        "checkout",
		Severity:       "SEV2",
		Urgency:        "high",
		Status:         "triggered",
		AcknowledgeURL: "https://vigil.example.com/a/ACK.TOKEN",
		ResolveURL:     "https://vigil.example.com/a/RES.TOKEN",
		IncidentURL:    "https://vigil.example.com/incidents/12",
		MoreAlerts:     3,
	}
}

// Interactive is Page with the callback fields the dispatcher fills in
// for providers that call Vigil back.
func Interactive() notify.Message {
	m := Page()
	m.NotificationID = 7
	m.UserID = "alice"
	m.PublicURL = "https://vigil.example.com/"
	m.CallbackToken = "TOKEN"
	return m
}

// Variant is a message whose payload every provider keeps a golden file
// of, testdata/NAME.golden.
type Variant struct {
	Name    string
	Message notify.Message
}

// Variants are what a page, its updates and a test look like.
func Variants() []Variant {
	acked := Interactive()
	acked.Kind, acked.Status, acked.MoreAlerts = notify.KindUpdate, "acknowledged", 0
	resolved := Interactive()
	resolved.Kind, resolved.Status, resolved.MoreAlerts = notify.KindUpdate, "resolved", 0
	low := Page()
	low.Kind, low.Urgency, low.Severity, low.MoreAlerts = notify.KindLowUrgency, "low", "SEV4", 0
	plain := Page()
	plain.AcknowledgeURL, plain.ResolveURL = "", ""
	return []Variant{
		{"page", Interactive()},
		{"page-without-callbacks", Page()},
		{"acknowledged", acked},
		{"resolved", resolved},
		{"low-urgency", low},
		{"test", notify.Message{IdempotencyKey: "t-1", Kind: notify.KindTest, Title: "Test notification from Vigil"}},
		{"hostile", hostile()},
	}
}

// hostile is a page whose fields carry markup, line breaks and non-ASCII
// text, which each payload must escape or encode.
func hostile() notify.Message {
	m := Interactive()
	m.Title = "Überlast <b>&</b>\r\nX-Injected: 1"
	m.Summary = "p99 <over> 2s & \"rising\"\n*bold* _it_"
	m.Service = "check\tout"
	m.Severity = "SEV1\r\n"
	return m
}

// Golden compares got with testdata/name.golden (go test -update rewrites
// it).
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	vigiltest.Golden(t, name, got)
}

// Request is one request the stand-in provider got.
type Request struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
	User, Pass          string
	HasAuth             bool
}

// Dump is the request as a golden file holds it: the request line, the
// headers the channel set (sorted), and the body, JSON indented and form
// fields one a line, so that a diff shows what changed.
func (r Request) Dump() []byte {
	var b bytes.Buffer
	b.WriteString(r.Method + " " + r.Path)
	if r.Query != "" {
		b.WriteString("?" + r.Query)
	}
	b.WriteString("\n")
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		// Set by the transport, not by the channel.
		if name != "Accept-Encoding" && name != "Content-Length" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range r.Header[name] {
			b.WriteString(name + ": " + v + "\n")
		}
	}
	b.WriteString("\n")
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		if err := json.Indent(&b, []byte(r.Body), "", "  "); err != nil {
			b.WriteString(r.Body)
		}
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(r.Body)
		if err != nil {
			b.WriteString(r.Body)
			break
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range form {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			for _, v := range form[k] {
				b.WriteString(k + "=" + v + "\n")
			}
		}
	default:
		b.WriteString(r.Body)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteString("\n")
	}
	return b.Bytes()
}

// Server is a stand-in for a provider on loopback: it records every
// request and answers 200, or as told.
type Server struct {
	srv *httptest.Server

	mu      sync.Mutex
	got     []Request
	status  int
	answer  string
	respond http.HandlerFunc
}

// NewServer starts a stand-in that lives until the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{status: http.StatusOK}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		user, pass, ok := r.BasicAuth()
		s.mu.Lock()
		s.got = append(s.got, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(),
			Body: string(body), User: user, Pass: pass, HasAuth: ok})
		status, answer, respond := s.status, s.answer, s.respond
		s.mu.Unlock()
		if respond != nil {
			respond(w, r)
			return
		}
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the stand-in's base URL, http://127.0.0.1:port.
func (s *Server) URL() string { return s.srv.URL }

// Client is a client for the stand-in.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Answer makes the stand-in answer every request with status and body
// (a 3xx with a Location).
func (s *Server) Answer(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.answer, s.respond = status, body, nil
}

// Respond makes h answer every request, after it is recorded.
func (s *Server) Respond(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = h
}

// Requests returns what the stand-in got, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// Reset forgets the requests got so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = nil
}

// Only returns the one request the stand-in got.
func (s *Server) Only(t testing.TB) Request {
	t.Helper()
	got := s.Requests()
	if len(got) != 1 {
		t.Fatalf("provider got %d requests, want 1", len(got))
	}
	return got[0]
}

// CheckErr checks a Send's outcome: no error when wantErr is false,
// otherwise an error that is a notify.PermanentError exactly when
// permanent is true, and that notify.Retryable classifies alike.
func CheckErr(t testing.TB, err error, wantErr, permanent bool) {
	t.Helper()
	if !wantErr {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	var perm *notify.PermanentError
	if got := errors.As(err, &perm); got != permanent {
		t.Fatalf("error %q: permanent=%v, want %v", err, got, permanent)
	}
	if notify.Retryable(err) == permanent {
		t.Fatalf("Retryable(%q) = %v", err, !permanent)
	}
}

// NoSecret fails the test when err shows one of secrets.
func NoSecret(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error shows the secret %q: %v", s, err)
		}
	}
}
