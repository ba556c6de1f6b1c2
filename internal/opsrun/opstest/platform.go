// Package opstest holds what tests of operations share: an HTTP
// stand-in for the platform that records what it receives.
package opstest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Platform is an HTTP stand-in for the platform: it records what it
// receives and answers with the status the test sets, after a delay.
type Platform struct {
	srv *httptest.Server

	mu       sync.Mutex
	received []Received
	status   int
	delay    time.Duration
}

// Received is one request as the platform saw it.
type Received struct {
	Method, Path, RawQuery, Body string
	Header                       http.Header
}

// StartPlatform starts a stand-in, stopped when the test ends.
func StartPlatform(t testing.TB) *Platform {
	p := &Platform{status: http.StatusOK}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.received = append(p.received, Received{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Body: string(body), Header: r.Header.Clone()})
		status, delay := p.status, p.delay
		p.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(status)
		// It echoes the credential it saw: the run's output must mask it.
		fmt.Fprintf(w, `{"accepted": true, "auth": %q}`, r.Header.Get("Authorization"))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// Set makes the platform answer status after delay.
func (p *Platform) Set(status int, delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status, p.delay = status, delay
}

// Requests returns what the platform received, in order.
func (p *Platform) Requests() []Received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Received(nil), p.received...)
}

// URL is the platform's base URL.
func (p *Platform) URL() string { return p.srv.URL }
