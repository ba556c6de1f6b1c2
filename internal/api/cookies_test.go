package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// webClient is a browser as the API sees it: a cookie jar, and requests
// without a bearer token unless given one.
type webClient struct {
	t    *testing.T
	base string
	http *http.Client
	jar  *cookiejar.Jar
}

func newWebClient(t *testing.T, base string, client *http.Client) *webClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *client
	c.Jar = jar
	// The tests look at every answer: redirects are not followed unless
	// a test follows them itself.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &webClient{t: t, base: base, http: &c, jar: jar}
}

// answer is what the tests read of a response.
type answer struct {
	status  int
	header  http.Header
	body    []byte
	cookies map[string]*http.Cookie // Set-Cookie, by name
}

func (a answer) decode(t *testing.T, out any) {
	t.Helper()
	if err := json.Unmarshal(a.body, out); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// send makes a request with the jar's cookies and these headers (a
// "Bearer" value goes in Authorization) and a JSON body when given.
func (c *webClient) send(method, target string, body any, header map[string]string) answer {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	if strings.HasPrefix(target, "/") {
		target = c.base + target
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: data, cookies: map[string]*http.Cookie{}}
	for _, ck := range resp.Cookies() {
		a.cookies[ck.Name] = ck
	}
	return a
}

// cookie is the jar's value of a cookie the server's callback gets (the
// session's and the sign-in state's), "" when none.
func (c *webClient) cookie(name string) string {
	u, err := url.Parse(c.base + oidcCallbackPath)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// givePassword sets a user's password to alicePassword, hashed quickly.
func (f *fixture) givePassword(user string) {
	f.t.Helper()
	f.fastPasswords()
	if code := f.call("PUT", "/api/v1/users/"+user+"/password", adminSecret, map[string]any{"password": alicePassword}, nil); code != 204 {
		f.t.Fatalf("set %s's password = %d", user, code)
	}
}

// passwordLogin signs the browser in as alice with her password.
func (c *webClient) passwordLogin() answer {
	c.t.Helper()
	a := c.send("POST", "/api/v1/login", map[string]string{"user": "alice", "password": alicePassword}, nil)
	if a.status != http.StatusCreated {
		c.t.Fatalf("login = %d %s", a.status, a.body)
	}
	return a
}

// TestSessionCookieAndCSRF: a login sets the session cookie, which the API
// takes instead of a bearer token; requests it authenticates that change
// state need the session's CSRF token, bearer requests none.
func TestSessionCookieAndCSRF(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	f.givePassword("alice")
	b := newWebClient(t, f.http.URL, http.DefaultClient)
	// Another site's form posting JSON-looking text signs nobody in.
	forged := b.send("POST", "/api/v1/login", map[string]string{"user": "alice", "password": alicePassword}, map[string]string{"Content-Type": "text/plain"})
	if forged.status != http.StatusUnsupportedMediaType || len(forged.cookies) != 0 {
		t.Errorf("a text/plain login = %d, cookies %v: want 415 and none", forged.status, forged.cookies)
	}
	login := b.passwordLogin()
	var created session
	login.decode(t, &created)
	sc, cc := login.cookies[sessionCookie], login.cookies[csrfCookie]
	if sc == nil || cc == nil {
		t.Fatalf("login set cookies %v, want %s and %s", login.cookies, sessionCookie, csrfCookie)
	}
	if sc.Value != created.Token || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.Path != "/" {
		t.Errorf("session cookie %+v: want the session's secret, HttpOnly, SameSite=Lax, not Secure over plain HTTP, path /", sc)
	}
	// The fixture's clock is at 2026-11-26T12:00Z; sessions last 12 hours.
	if sc.MaxAge != 12*3600 || !sc.Expires.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("session cookie lasts %ds until %v, want the session's 12 hours", sc.MaxAge, sc.Expires)
	}
	if cc.HttpOnly || cc.Value == "" || cc.Value == sc.Value || cc.SameSite != http.SameSiteLaxMode {
		t.Errorf("CSRF cookie %+v: want the page's script to read it, not the secret", cc)
	}
	csrf := cc.Value
	var who sessionInfo
	if a := b.send("GET", "/api/v1/session", nil, nil); a.status != 200 {
		t.Fatalf("GET /api/v1/session by cookie = %d %s", a.status, a.body)
	} else {
		a.decode(t, &who)
	}
	if who.Kind != "session" || who.UserID != "alice" || who.Role != "user" || !who.Cookie || who.CSRFToken != csrf || who.TokenID != created.ID {
		t.Errorf("the session by cookie = %+v", who)
	}
	if a := b.send("GET", "/api/v1/session", nil, map[string]string{"Authorization": "Bearer " + created.Token}); a.status != 200 {
		t.Fatalf("GET /api/v1/session by bearer = %d", a.status)
	} else {
		var byBearer sessionInfo
		if a.decode(t, &byBearer); byBearer.Cookie || byBearer.CSRFToken != "" || byBearer.UserID != "alice" {
			t.Errorf("the session by bearer = %+v: want alice's, no cookie, no CSRF token", byBearer)
		}
	}

	declare := map[string]any{"title": "slow checkout", "service": "checkout"}
	tests := []struct {
		name     string
		method   string
		path     string
		header   map[string]string
		noCookie bool
		want     int
	}{
		{"a read by cookie needs no token", "GET", "/api/v1/incidents", nil, false, 200},
		{"a write by cookie without the token", "POST", "/api/v1/incidents", nil, false, 403},
		{"a write by cookie with a wrong token", "POST", "/api/v1/incidents", map[string]string{csrfHeader: "not-the-token"}, false, 403},
		{"a write by cookie with another session's token", "POST", "/api/v1/incidents", map[string]string{csrfHeader: strings.Repeat("A", len(csrf))}, false, 403},
		{"a write by cookie with the token in the cookie only", "POST", "/api/v1/incidents", map[string]string{"Cookie": csrfCookie + "=" + csrf}, false, 403},
		{"a write by cookie with the token", "POST", "/api/v1/incidents", map[string]string{csrfHeader: csrf}, false, 201},
		{"a bearer write needs no token", "POST", "/api/v1/incidents", map[string]string{"Authorization": "Bearer " + created.Token}, true, 201},
		{"bearer wins over the cookie", "POST", "/api/v1/incidents", map[string]string{"Authorization": "Bearer " + aliceToken2}, false, 201},
		{"a dead bearer is not saved by the cookie", "GET", "/api/v1/incidents", map[string]string{"Authorization": "Bearer wrong"}, false, 401},
		{"neither", "GET", "/api/v1/incidents", nil, true, 401},
	}
	for _, tt := range tests {
		c := b
		if tt.noCookie {
			c = newWebClient(t, f.http.URL, http.DefaultClient)
		}
		var body any
		if tt.method == "POST" {
			body = declare
		}
		a := c.send(tt.method, tt.path, body, tt.header)
		if a.status != tt.want {
			t.Errorf("%s: %s %s = %d, want %d: %s", tt.name, tt.method, tt.path, a.status, tt.want, a.body)
			continue
		}
		if tt.want == 403 {
			var e errorBody
			a.decode(t, &e)
			if e.Code != "csrf" || !strings.Contains(e.Message, csrfHeader) {
				t.Errorf("%s: refusal %+v, want code csrf naming %s", tt.name, e, csrfHeader)
			}
		}
	}

	// Sign-out by cookie needs the token too, then ends the session and
	// clears both cookies.
	if a := b.send("POST", "/api/v1/logout", nil, nil); a.status != 403 {
		t.Errorf("logout by cookie without the token = %d, want 403", a.status)
	}
	out := b.send("POST", "/api/v1/logout", nil, map[string]string{csrfHeader: csrf})
	if out.status != 204 || out.cookies[sessionCookie] == nil || out.cookies[sessionCookie].MaxAge >= 0 || out.cookies[csrfCookie] == nil || out.cookies[csrfCookie].MaxAge >= 0 {
		t.Fatalf("logout by cookie = %d, cookies %v: want 204 clearing both", out.status, out.cookies)
	}
	if b.cookie(sessionCookie) != "" {
		t.Error("the browser keeps the session cookie after logout")
	}
	if code := f.call("GET", "/api/v1/incidents", created.Token, nil, nil); code != 401 {
		t.Errorf("the session after logout by cookie = %d, want 401", code)
	}
	// A dead cookie is cleared when refused.
	stale := newWebClient(t, f.http.URL, http.DefaultClient)
	a := stale.send("GET", "/api/v1/incidents", nil, map[string]string{"Cookie": sessionCookie + "=" + created.Token})
	if a.status != 401 || a.cookies[sessionCookie] == nil || a.cookies[sessionCookie].MaxAge >= 0 {
		t.Errorf("a revoked session's cookie = %d, cookies %v: want 401 clearing it", a.status, a.cookies)
	}
}

// TestAPITokenInTheBrowser: the sign-in page's API token goes into the
// cookie through POST /api/v1/session; signing out forgets it there
// without revoking it.
func TestAPITokenInTheBrowser(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	b := newWebClient(t, f.http.URL, http.DefaultClient)
	if a := b.send("POST", "/api/v1/session", nil, map[string]string{"Authorization": "Bearer wrong"}); a.status != 401 || a.cookies[sessionCookie] != nil {
		t.Fatalf("a wrong token = %d, cookies %v: want 401 and none", a.status, a.cookies)
	}
	a := b.send("POST", "/api/v1/session", nil, map[string]string{"Authorization": "Bearer " + viewerSecret})
	var who sessionInfo
	a.decode(t, &who)
	if a.status != 200 || who.Kind != "token" || who.Role != "viewer" || who.TokenID != "viewer" || who.CSRFToken == "" {
		t.Fatalf("POST /api/v1/session = %d %+v", a.status, who)
	}
	if ck := a.cookies[sessionCookie]; ck == nil || ck.Value != viewerSecret || ck.MaxAge != 0 || !ck.HttpOnly {
		t.Fatalf("an API token's cookie %+v: want it, HttpOnly, until the browser closes", ck)
	}
	if a := b.send("GET", "/api/v1/services", nil, nil); a.status != 200 {
		t.Errorf("reading by the token's cookie = %d", a.status)
	}
	if a := b.send("POST", "/api/v1/logout", nil, map[string]string{csrfHeader: who.CSRFToken}); a.status != 204 || a.cookies[sessionCookie] == nil || a.cookies[sessionCookie].MaxAge >= 0 {
		t.Errorf("signing out of an API token = %d %v", a.status, a.cookies)
	}
	if code := f.call("GET", "/api/v1/services", viewerSecret, nil, nil); code != 200 {
		t.Errorf("signing out revoked the API token: %d", code)
	}
	if code := f.call("POST", "/api/v1/logout", viewerSecret, nil, nil); code != 400 {
		t.Errorf("logout with an API token as a bearer token = %d, want 400", code)
	}
}

// TestSecureCookieOverTLS: the cookies are Secure when the browser came
// over TLS (to the server, or to a trusted proxy that says so), never on
// plain HTTP.
func TestSecureCookieOverTLS(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	f.givePassword("alice")
	tlsServer := httptest.NewTLSServer(f.srv.Handler())
	t.Cleanup(tlsServer.Close)
	proxies := func(list string) {
		p, err := ParseTrustedProxies(list)
		if err != nil {
			t.Fatal(err)
		}
		f.srv.trustedProxies = p
	}
	tests := []struct {
		name    string
		tls     bool
		proxies string
		proto   string
		want    bool
	}{
		{"TLS", true, "", "", true},
		{"plain HTTP", false, "", "", false},
		{"plain HTTP from a trusted proxy that received https", false, "127.0.0.1", "https", true},
		{"from a trusted proxy, the nearest hop's word", false, "127.0.0.1", "http, https", true},
		{"from a trusted proxy that received http", false, "127.0.0.1", "https, http", false},
		{"an untrusted client saying https", false, "10.0.0.0/8", "https", false},
		{"TLS whatever the client says", true, "", "http", true},
	}
	for _, tt := range tests {
		proxies(tt.proxies)
		base, client := f.http.URL, http.DefaultClient
		if tt.tls {
			base, client = tlsServer.URL, tlsServer.Client()
		}
		b := newWebClient(t, base, client)
		var header map[string]string
		if tt.proto != "" {
			header = map[string]string{"X-Forwarded-Proto": tt.proto}
		}
		a := b.send("POST", "/api/v1/login", map[string]string{"user": "alice", "password": alicePassword}, header)
		sc, cc := a.cookies[sessionCookie], a.cookies[csrfCookie]
		if a.status != 201 || sc == nil || cc == nil {
			t.Fatalf("%s: login = %d, cookies %v", tt.name, a.status, a.cookies)
		}
		if sc.Secure != tt.want || cc.Secure != tt.want {
			t.Errorf("%s: Secure %v and %v, want %v", tt.name, sc.Secure, cc.Secure, tt.want)
		}
	}
	proxies("")
	// Over TLS the cookie signs in as over plain HTTP.
	b := newWebClient(t, tlsServer.URL, tlsServer.Client())
	b.passwordLogin()
	if a := b.send("GET", "/api/v1/session", nil, nil); a.status != 200 {
		t.Errorf("GET /api/v1/session by a Secure cookie over TLS = %d", a.status)
	}
}

// TestOverTLSReadsOnlyTrustedProxies checks overTLS on requests made by
// hand.
func TestOverTLSReadsOnlyTrustedProxies(t *testing.T) {
	s := &Server{trustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}
	tests := []struct {
		remote string
		protos []string
		want   bool
	}{
		{"192.0.2.7:5000", []string{"https"}, true},
		{"192.0.2.7:5000", []string{"HTTPS"}, true},
		{"192.0.2.7:5000", []string{"http", "https"}, true},
		{"192.0.2.7:5000", []string{"https", "http"}, false},
		{"192.0.2.7:5000", nil, false},
		{"198.51.100.1:5000", []string{"https"}, false},
		{"garbage", []string{"https"}, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, p := range tt.protos {
			r.Header.Add("X-Forwarded-Proto", p)
		}
		if got := s.overTLS(r); got != tt.want {
			t.Errorf("overTLS from %s with %q = %v, want %v", tt.remote, tt.protos, got, tt.want)
		}
	}
}
