package loadgen

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer answers 202 and counts requests and TCP connections.
func countingServer(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(handler)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestRawClientKeepsConnections(t *testing.T) {
	var mu sync.Mutex
	var bad []string
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond) // long enough for every client to take part
		if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" || r.Header.Get("Content-Type") != "application/json" ||
			r.ContentLength <= 0 || r.Host == "" {
			mu.Lock()
			bad = append(bad, r.Method+" "+r.URL.String())
			mu.Unlock()
		}
		w.WriteHeader(http.StatusAccepted)
	})
	res, err := Run(context.Background(), Options{Target: newPD(t, srv.URL), Concurrency: 3, Requests: 60})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 60 || res.Errors != 0 {
		t.Errorf("ok %d errors %d (%s), want 60 and 0", res.OK, res.Errors, res.FirstError)
	}
	if len(bad) > 0 {
		t.Errorf("malformed requests: %q", bad)
	}
	if n := conns.Load(); n < 1 || n > 3 {
		t.Errorf("%d connections for 3 clients, want at most one each", n)
	}
}

func TestRawClientReconnects(t *testing.T) {
	var n atomic.Int64
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch i := n.Add(1); {
		case i%4 == 0:
			// The server ends the connection after answering.
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusAccepted)
		case i%5 == 0:
			// The connection dies without an answer.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case i%7 == 0:
			// An answer too large to read whole.
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(strings.Repeat("x", maxAnswerBody+10)))
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	})
	res, err := Run(context.Background(), Options{Target: newPD(t, srv.URL), Concurrency: 1, Requests: 40})
	if err != nil {
		t.Fatal(err)
	}
	// Of requests 1..40, 5, 10, 15, 25, 30, 35 die unanswered (20 and 40
	// are answered with Connection: close first); the other 34 succeed.
	if res.Sent != 40 || res.Errors != 6 || res.OK != 34 {
		t.Errorf("sent %d errors %d ok %d, want 40, 6, 34", res.Sent, res.Errors, res.OK)
	}
	// A connection ends after the Connection: close answers (4, 8, ... 40:
	// 10), the unanswered requests (6) and the large answers (7, 14, 21:
	// 28 and 35 ended otherwise): 19 ends, the last with no request after
	// it, so 1 + 18 connections.
	if got := conns.Load(); got != 19 {
		t.Errorf("%d connections, want 19", got)
	}
}

func TestRawClientStopsWithContext(t *testing.T) {
	release := make(chan struct{})
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusAccepted)
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	res, err := Run(ctx, Options{Target: newPD(t, srv.URL), Concurrency: 2, Requests: 10})
	if !errors.Is(err, context.DeadlineExceeded) || res == nil {
		t.Fatalf("Run = %v, %v; want the partial result and the deadline", res, err)
	}
	if res.OK != 0 || res.Errors != 2 || !strings.Contains(res.FirstError, "deadline") {
		t.Errorf("ok %d errors %d (%q), want the 2 requests in flight to end with the context", res.OK, res.Errors, res.FirstError)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("Run took %s after its context ended", took)
	}
}

func TestHTTPSUsesTheStandardClient(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Options{Target: newPD(t, srv.URL), Client: srv.Client(), Concurrency: 2, Requests: 6})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 6 {
		t.Errorf("ok %d (%s), want 6", res.OK, res.FirstError)
	}
}

func TestRawPosterRefusesOtherSchemes(t *testing.T) {
	p := newRawPoster(context.Background())
	defer p.close()
	for _, target := range []string{"https://127.0.0.1:1/x", "ftp://127.0.0.1/x", "http://", "http://[::1"} {
		if _, err := p.post(context.Background(), target, []byte("{}")); err == nil {
			t.Errorf("post to %q succeeded", target)
		}
	}
}
