package reliability

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Keys of the hostile test's integrations.
const (
	hostilePD = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
	hostileAM = "am-hostile-checkout"
	hostileGF = "gf-hostile-checkout"
	hostileGN = "gn-hostile-checkout"
	hostileHB = "hb-hostile-checkout"
)

// hostileConfig: alice (team shop) owns checkout and is paged on the
// receiver; olga is in another team.
func hostileConfig(receiver string) string {
	return strings.ReplaceAll(`
users:
  - id: alice
    name: Alice
    time_zone: UTC
    contact_methods:
      - {id: alice-hook, type: webhook, url: "{receiver}/alice"}
  - {id: olga, name: Olga, time_zone: UTC}
  - {id: gina, name: Gina, time_zone: UTC}
teams:
  - {id: shop, name: Shop, kind: dev, time_zone: UTC, country: DE, members: [alice], schedule: shop-oncall, escalation_policy: shop}
  - {id: other, name: Other, kind: dev, time_zone: UTC, country: DE, members: [olga]}
  - {id: irt, name: IRT, kind: global-irt, members: [gina]}
schedules:
  - id: shop-oncall
    time_zone: UTC
    layers:
      - {id: weekly, users: [alice], rotation: {every: 1w}, start: "2026-01-05T09:00:00Z"}
escalation_policies:
  - id: shop
    steps:
      - {targets: [{user: alice}], escalate_after: 1h}
services:
  - id: checkout
    name: Checkout
    owner: shop
    integrations:
      - {type: pagerduty, key: "`+hostilePD+`"}
      - {type: alertmanager, key: `+hostileAM+`}
      - {type: grafana, key: `+hostileGF+`}
      - {type: generic, key: `+hostileGN+`}
      - {type: heartbeat, key: `+hostileHB+`, interval: 1h}
`, "{receiver}", receiver)
}

// hostileServer is a vigil serve with the hostile configuration and an
// open incident on checkout whose page reached the receiver.
type hostileServer struct {
	*vigilProcess
	recv     *pageReceiver
	incident int64
	page     page // the incident's page, with its action links
}

func startHostile(t *testing.T, name string) *hostileServer {
	t.Helper()
	recv := newPageReceiver(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "vigil.yaml", hostileConfig(recv.URL()))
	p := startVigil(t, name, serveArgs{db: "sqlite:" + filepath.Join(dir, "vigil.db"), config: cfg})
	code, err := call(context.Background(), apiClient, "POST", p.base+"/v2/enqueue", "", pdTrigger(hostilePD, "hostile", "checkout is down", "critical"), nil)
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("trigger: %d, %v", code, err)
	}
	h := &hostileServer{vigilProcess: p, recv: recv}
	if !waitUntil(20*time.Second, 20*time.Millisecond, func() bool {
		for _, pg := range recv.snapshot() {
			if pg.Kind == "page" {
				h.page, h.incident = pg, pg.IncidentID
				return true
			}
		}
		return false
	}) {
		t.Fatal("no page within 20s")
	}
	return h
}

// newIncident triggers an alert on checkout and returns its incident.
func (h *hostileServer) newIncident(t *testing.T, dedupKey string) int64 {
	t.Helper()
	code, err := call(context.Background(), apiClient, "POST", h.base+"/v2/enqueue", "", pdTrigger(hostilePD, dedupKey, "checkout "+dedupKey, "critical"), nil)
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("trigger %s: %d, %v", dedupKey, code, err)
	}
	var id int64
	if !waitUntil(20*time.Second, 20*time.Millisecond, func() bool {
		var list struct {
			Alerts []apiAlert `json:"alerts"`
		}
		mustGet(t, h.base, "/api/v1/alerts?dedup_key="+dedupKey, &list)
		if len(list.Alerts) == 1 && list.Alerts[0].IncidentID != 0 {
			id = list.Alerts[0].IncidentID
			return true
		}
		return false
	}) {
		t.Fatalf("no incident for %s within 20s", dedupKey)
	}
	return id
}

// userToken creates an API token for a user (or a viewer token when user
// is "") and returns its secret.
func (h *hostileServer) userToken(t *testing.T, user string) string {
	t.Helper()
	req := map[string]string{"name": "token of " + user}
	if user != "" {
		req["user_id"] = user
	} else {
		req["role"] = "viewer"
	}
	body, _ := json.Marshal(req) // strings only: cannot fail
	var created struct {
		Token string `json:"token"`
	}
	code, err := call(context.Background(), apiClient, "POST", h.base+"/api/v1/tokens", adminToken, body, &created)
	if err != nil || code != http.StatusCreated || created.Token == "" {
		t.Fatalf("create token for %q: %d, %v", user, code, err)
	}
	return created.Token
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// TestHostileClients runs hostile requests against a real vigil serve:
// oversized headers and bodies, a slow client, path traversal, acting on
// another team's service, and replayed or forged signed links.
func TestHostileClients(t *testing.T) {
	h := startHostile(t, "hostile")

	t.Run("oversized headers are refused with 431", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name    string
			headers func(http.Header)
		}{
			{"one 100 KiB header", func(hd http.Header) { hd.Set("X-Big", strings.Repeat("a", 100<<10)) }},
			{"2000 headers", func(hd http.Header) {
				for i := range 2000 {
					hd.Set(fmt.Sprintf("X-H-%d", i), strings.Repeat("b", 40))
				}
			}},
			{"a 100 KiB token", func(hd http.Header) { hd.Set("Authorization", "Bearer "+strings.Repeat("c", 100<<10)) }},
		} {
			req, _ := http.NewRequest("GET", h.base+"/api/v1/incidents", nil)
			tc.headers(req.Header)
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("%s: %d, want 431", tc.name, resp.StatusCode)
			}
		}
	})

	t.Run("oversized bodies are refused with 413 on every write endpoint", func(t *testing.T) {
		t.Parallel()
		routes := writeRoutes(t, h.base)
		if len(routes) < 20 {
			t.Fatalf("the OpenAPI document lists %d write endpoints; expected the whole API", len(routes))
		}
		huge := append(append([]byte(`{"summary": "`), bytes.Repeat([]byte("x"), 2<<20)...), `"}`...)
		var refused, ignored, notFound []string
		for _, rt := range routes {
			// A parameter the test has no object for names one that does
			// not exist: then a 404 before reading is a refusal too.
			path, known := h.fillPath(rt.path)
			code, err := sendBody(h.base+path, rt.method, huge)
			switch {
			case err != nil:
				t.Errorf("%s %s: %v", rt.method, path, err)
			case rt.takesBody && !known && code == http.StatusNotFound:
				notFound = append(notFound, rt.method+" "+rt.path)
			case rt.takesBody && code != http.StatusRequestEntityTooLarge:
				t.Errorf("%s %s with a 2 MiB body: %d, want 413", rt.method, path, code)
			case rt.takesBody:
				refused = append(refused, rt.method+" "+rt.path)
			case code >= 500:
				// An endpoint without a request body answers without
				// reading it; the server closes the connection after.
				t.Errorf("%s %s (no request body) with a 2 MiB body: %d", rt.method, path, code)
			default:
				ignored = append(ignored, fmt.Sprintf("%s %s: %d", rt.method, rt.path, code))
			}
		}
		if h.Exited() {
			t.Fatal("the server died")
		}
		t.Logf("%d write endpoints refused a 2 MiB body with 413; %d take no body and answered without reading it: %s; %d were asked about an object that does not exist and answered 404: %s",
			len(refused), len(ignored), strings.Join(ignored, "; "), len(notFound), strings.Join(notFound, "; "))
	})

	t.Run("a slow client is cut off by the header timeout", func(t *testing.T) {
		t.Parallel()
		const readHeaderTimeout = 5 * time.Second // vigil serve's
		took := trickle(t, h.base, "GET /healthz HTTP/1.1\r\nHost: vigil\r\nX-Slow: ", "a", 3*readHeaderTimeout, "headers")
		if took < readHeaderTimeout-500*time.Millisecond || took > readHeaderTimeout+3*time.Second {
			t.Errorf("the server closed the slow connection after %s, want about %s", took, readHeaderTimeout)
		}
		recordFigures(t, "slow client cut off after", took)
	})

	t.Run("a slow body is cut off by the read timeout", func(t *testing.T) {
		if !soak() {
			t.Skip("takes vigil serve's 30s read timeout: VIGIL_SOAK=1 runs it")
		}
		t.Parallel()
		const readTimeout = 30 * time.Second // vigil serve's
		took := trickle(t, h.base, "POST /v2/enqueue HTTP/1.1\r\nHost: vigil\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", " ", 2*readTimeout, "a body")
		if took < readTimeout-time.Second || took > readTimeout+5*time.Second {
			t.Errorf("the server closed the slow upload after %s, want about %s", took, readTimeout)
		}
		recordFigures(t, "slow upload cut off after", took)
	})

	t.Run("path traversal finds no files", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{
			"/a/..%2f..%2f..%2fetc%2fpasswd",
			"/a/../../../etc/passwd",
			"/a/%2e%2e/%2e%2e/etc/passwd",
			"/../../../../etc/passwd",
			"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
			"//etc/passwd",
			"/api/v1/../../../etc/passwd",
			"/api/v1/schedules/..%2f..%2f..%2fetc%2fpasswd/calendar.ics",
			"/api/v1/users/..%2f..%2fetc%2fpasswd/calendar.ics",
			"/static/../../etc/passwd",
			"/.git/config",
			"/vigil.db",
			"/a/....//....//etc/passwd",
			"/a/%252e%252e%252fetc%252fpasswd",
			// The web UI's files.
			"/assets/../../../../etc/passwd",
			"/assets/..%2f..%2f..%2f..%2fetc%2fpasswd",
			"/assets/%2e%2e/%2e%2e/web.go",
			"/assets/..%2fweb.go",
			"/assets/..%5c..%5cweb.go",
			"/assets//etc/passwd",
			"/assets/pages/..%2f..%2f..%2f..%2f..%2fgo.mod",
			"/incidents/..%2f..%2f..%2fetc%2fpasswd",
		} {
			req, err := http.NewRequest("GET", h.base+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = path // sent as written, not cleaned by the client
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Errorf("GET %s: %v", path, err)
				continue
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			leaked := false
			for _, marker := range []string{"root:", "[core]", "SQLite format", "package web", "module github.com"} {
				leaked = leaked || bytes.Contains(body, []byte(marker))
			}
			if resp.StatusCode >= 500 || resp.StatusCode < 300 && leaked {
				t.Errorf("GET %s: %d %q", path, resp.StatusCode, truncated(body))
			}
		}
		// The UI's own files are served (the checks above see real answers).
		code, err := call(context.Background(), noRedirects, "GET", h.base+"/assets/app.js", "", nil, nil)
		if err != nil || code != http.StatusOK {
			t.Errorf("GET /assets/app.js: %d, %v; want 200", code, err)
		}
	})

	t.Run("a member of another team may not act on the service", func(t *testing.T) {
		t.Parallel()
		olga, viewer := h.userToken(t, "olga"), h.userToken(t, "")
		id := fmt.Sprint(h.newIncident(t, "not-olgas"))
		for _, tc := range []struct {
			method, path, body string
		}{
			{"POST", "/api/v1/incidents/" + id + "/acknowledge", ""},
			{"POST", "/api/v1/incidents/" + id + "/resolve", `{"note": "not mine"}`},
			{"POST", "/api/v1/incidents/" + id + "/snooze", `{"duration": "1h"}`},
			{"POST", "/api/v1/incidents/" + id + "/notes", `{"message": "hi"}`},
			{"POST", "/api/v1/incidents/" + id + "/severity", `{"severity": "SEV4"}`},
			{"POST", "/api/v1/incidents/" + id + "/reassign", `{"user": "olga"}`},
			{"POST", "/api/v1/services/checkout/maintenance", `{"start": "2026-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z", "reason": "silence it"}`},
			{"POST", "/api/v1/schedules/shop-oncall/overrides", `{"user": "olga", "start": "2026-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z"}`},
			{"PUT", "/api/v1/services/checkout", `{"id": "checkout", "name": "Mine", "owner": "other"}`},
			{"DELETE", "/api/v1/services/checkout", ""},
		} {
			for who, token := range map[string]string{"olga (team other)": olga, "a viewer": viewer} {
				var body []byte
				if tc.body != "" {
					body = []byte(tc.body)
				}
				code, err := call(context.Background(), apiClient, tc.method, h.base+tc.path, token, body, nil)
				if err != nil || code != http.StatusForbidden {
					t.Errorf("%s: %s %s = %d, %v; want 403", who, tc.method, tc.path, code, err)
				}
			}
		}
		var inc apiIncident
		mustGet(t, h.base, "/api/v1/incidents/"+id, &inc)
		if inc.Status != "triggered" {
			t.Errorf("after the refused actions the incident is %s, want triggered", inc.Status)
		}
	})

	t.Run("signed links work once and cannot be forged", func(t *testing.T) {
		t.Parallel()
		link := h.page.Acknowledge
		if !strings.Contains(link, "/a/") {
			t.Fatalf("the page has no acknowledge link: %+v", h.page)
		}
		token := link[strings.LastIndex(link, "/a/")+3:]
		forgeries := map[string]string{
			"last character changed":  token[:len(token)-1] + flip(token[len(token)-1]),
			"first character changed": flip(token[0]) + token[1:],
			"cut short":               token[:len(token)/2],
			"empty signature":         strings.SplitN(token, ".", 2)[0] + ".",
			"random":                  randomHex(32),
		}
		for name, forged := range forgeries {
			code, err := call(context.Background(), noRedirects, "POST", h.base+"/a/"+forged, "", nil, nil)
			if err != nil || code != http.StatusForbidden {
				t.Errorf("forged link (%s): %d, %v; want 403", name, code, err)
			}
		}
		// A GET only shows what the link would do.
		if code, err := call(context.Background(), noRedirects, "GET", link, "", nil, nil); err != nil || code != http.StatusOK {
			t.Errorf("GET link: %d, %v", code, err)
		}
		var inc apiIncident
		mustGet(t, h.base, fmt.Sprintf("/api/v1/incidents/%d", h.incident), &inc)
		if inc.Status != "triggered" {
			t.Fatalf("after a forged POST and a GET the incident is %s, want triggered", inc.Status)
		}
		if code, err := call(context.Background(), noRedirects, "POST", link, "", nil, nil); err != nil || code != http.StatusOK {
			t.Fatalf("POST link: %d, %v; want 200", code, err)
		}
		mustGet(t, h.base, fmt.Sprintf("/api/v1/incidents/%d", h.incident), &inc)
		if inc.Status != "acknowledged" {
			t.Errorf("after the link the incident is %s, want acknowledged", inc.Status)
		}
		if code, err := call(context.Background(), noRedirects, "POST", link, "", nil, nil); err != nil || code != http.StatusConflict {
			t.Errorf("replayed link: %d, %v; want 409", code, err)
		}
	})
}

// TestTokenGuessingIsThrottled sends wrong tokens from one client until it
// is refused with 429, on a server of its own (the lockout would slow the
// other tests).
func TestTokenGuessingIsThrottled(t *testing.T) {
	h := startHostile(t, "guessing")
	unauthorized, firstThrottle := 0, -1
	for i := range 130 {
		code, err := call(context.Background(), apiClient, "GET", h.base+"/api/v1/incidents", "vigil_"+randomHex(24), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		switch code {
		case http.StatusUnauthorized:
			if firstThrottle >= 0 {
				t.Errorf("guess %d answered 401 after the client was throttled at guess %d", i, firstThrottle)
			}
			unauthorized++
		case http.StatusTooManyRequests:
			if firstThrottle < 0 {
				firstThrottle = i
			}
		default:
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	// The limiter allows a burst of 100 failures and one more a second.
	if firstThrottle < 100 || firstThrottle > 110 {
		t.Errorf("throttled after %d wrong tokens, want after 100 (and one more per second)", firstThrottle)
	}
	// Another guess is refused with Retry-After; a valid token from the
	// same client is not: only failures are throttled.
	for _, tt := range []struct {
		token string
		want  int
	}{{"vigil_" + randomHex(24), http.StatusTooManyRequests}, {adminToken, http.StatusOK}} {
		req, _ := http.NewRequest("GET", h.base+"/api/v1/incidents", nil)
		req.Header.Set("Authorization", "Bearer "+tt.token)
		resp, err := apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want || tt.want == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Errorf("a token from the throttled client: %d (Retry-After %q), want %d", resp.StatusCode, resp.Header.Get("Retry-After"), tt.want)
		}
	}
	// Ingest authenticates by integration key and is not locked out.
	code, err := call(context.Background(), apiClient, "POST", h.base+"/v2/enqueue", "", pdTrigger(hostilePD, "after-guessing", "still ingesting", "critical"), nil)
	if err != nil || code != http.StatusAccepted {
		t.Errorf("ingest from the throttled client: %d, %v; want 202", code, err)
	}
	recordFigures(t, "wrong tokens answered 401 before 429", unauthorized)
}

// route is one write endpoint of the OpenAPI document.
type route struct {
	method, path string
	takesBody    bool // the document declares a requestBody
}

// writeRoutes lists the POST, PUT and PATCH endpoints of the running
// server's OpenAPI document.
func writeRoutes(t *testing.T, base string) []route {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	mustGet(t, base, "/api/v1/openapi.json", &doc)
	var out []route
	for path, item := range doc.Paths {
		for method, raw := range item {
			if m := strings.ToUpper(method); m == "POST" || m == "PUT" || m == "PATCH" {
				var op struct {
					RequestBody json.RawMessage `json:"requestBody"`
				}
				if err := json.Unmarshal(raw, &op); err != nil {
					t.Fatalf("OpenAPI %s %s: %v", m, path, err)
				}
				out = append(out, route{m, path, len(op.RequestBody) > 0})
			}
		}
	}
	slices.SortFunc(out, func(a, b route) int { return strings.Compare(a.path+a.method, b.path+b.method) })
	return out
}

// fillPath puts existing ids into a route's parameters, so that the
// request reaches the handler's body reading; known is false when a
// parameter names no object of the test's (it is then "no-such-object").
func (h *hostileServer) fillPath(pattern string) (path string, known bool) {
	ok := true
	var b strings.Builder
	for rest := pattern; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		closing := strings.IndexByte(rest[open:], '}')
		if closing < 0 {
			return "", false
		}
		b.WriteString(rest[:open])
		name := rest[open+1 : open+closing]
		before := b.String()
		switch {
		case name == "key" && strings.HasSuffix(before, "/alertmanager/"):
			b.WriteString(hostileAM)
		case name == "key" && strings.HasSuffix(before, "/grafana/"):
			b.WriteString(hostileGF)
		case name == "key" && strings.HasSuffix(before, "/generic/"):
			b.WriteString(hostileGN)
		case name == "key" && strings.HasSuffix(before, "/heartbeat/"):
			b.WriteString(hostileHB)
		case name == "token":
			b.WriteString("forged-token")
		case name == "cm":
			b.WriteString("alice-hook")
		case name == "id" && strings.HasSuffix(before, "/incidents/"):
			b.WriteString(fmt.Sprint(h.incident))
		case name == "id" && strings.HasSuffix(before, "/users/"):
			b.WriteString("alice")
		case name == "id" && strings.HasSuffix(before, "/teams/"):
			b.WriteString("shop")
		case name == "id" && strings.HasSuffix(before, "/schedules/"):
			b.WriteString("shop-oncall")
		case name == "id" && strings.HasSuffix(before, "/escalation_policies/"):
			b.WriteString("shop")
		case name == "id" && strings.HasSuffix(before, "/services/"):
			b.WriteString("checkout")
		default:
			b.WriteString("no-such-object")
			ok = false
		}
		rest = rest[open+closing+1:]
	}
	return b.String(), ok
}

// sendBody sends body as admin and returns the status; a server that
// answers before reading the whole body may close the connection while
// it is sent, which counts as its answer when one came.
func sendBody(target, method string, body []byte) (int, error) {
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := noRedirects.Do(req)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) || strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe") {
			return rawStatus(target, method, body)
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// rawStatus sends the request on a raw connection and reads whatever
// status line comes back, even when the server stops reading the body.
func rawStatus(target, method string, body []byte) (int, error) {
	u, err := url.Parse(target)
	if err != nil {
		return 0, err
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		method, u.RequestURI(), u.Host, adminToken, len(body))
	go func() { // owner: rawStatus; ends when the write fails or finishes
		_, _ = conn.Write(append([]byte(head), body...))
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, fmt.Errorf("no answer: %w", err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// flip replaces a base64url character by one that differs in its top four
// bits: the last character of a signature also carries padding bits,
// which a decoder may ignore.
func flip(c byte) string {
	if c >= 'A' && c <= 'D' {
		return "z"
	}
	return "A"
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func truncated(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// trickle sends head to the server at base, then drip every half second,
// until the server closes the connection, and says how long that took; it
// fails the test when the server is still listening after limit.
func trickle(t *testing.T, base, head, drip string, limit time.Duration, what string) time.Duration {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	began := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	closed := make(chan time.Duration, 1)
	go func() { // owner: trickle; ends when the server closes the connection
		_, _ = io.Copy(io.Discard, conn)
		closed <- time.Since(began)
	}()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case took := <-closed:
			return took
		case <-tick.C:
			if time.Since(began) > limit {
				t.Fatalf("the server kept a client trickling %s for %s", what, time.Since(began))
			}
			_, _ = io.WriteString(conn, drip)
		}
	}
}
