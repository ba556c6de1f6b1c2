package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/vigiltest/oidctest"
)

// The single sign-on tests run against a real OpenID provider (zitadel's
// example server) on loopback: Vigil discovers it, sends the browser to
// its login page, and verifies what it signs. The provider stamps its
// tokens with the machine's time; the fixture's clock (2026-11-26) is
// before any day these tests run, so the tokens are never expired to it.

const ssoSecretEnv = "VIGIL_TEST_OIDC_SECRET"

// The provider's people: alice and gina are users of the shop (by their
// email addresses, alice's in another case), nina is nobody yet, and
// ulla's address is not verified.
var ssoPeople = []oidctest.User{
	{Username: "alice", Password: "alice-at-the-idp", FirstName: "Alice", LastName: "Martin", Email: "Alice@Example.com", Groups: []string{"shop-engineers"}},
	{Username: "gina", Password: "gina-at-the-idp", FirstName: "Gina", LastName: "Lee", Email: "gina@example.com", Groups: []string{"irt", "search-engineers"}},
	{Username: "nina", Password: "nina-at-the-idp", FirstName: "Nina", LastName: "Novak", Email: "nina.novak@example.com", Groups: []string{"shop-engineers"}},
	{Username: "ulla", Password: "ulla-at-the-idp", FirstName: "Ulla", LastName: "Berg", Email: "ulla@example.com", EmailUnverified: true},
}

// ssoFixture serves the shop (alice with her address; a search team) with
// org.auth.oidc pointing at a provider of its own; oidc adds to or
// overrides the settings.
func ssoFixture(t *testing.T, oidc map[string]any) (*fixture, *oidctest.Provider) {
	t.Helper()
	f := startFixture(t, fixtureOptions{getenv: func(name string) string {
		if name == ssoSecretEnv {
			return oidctest.ClientSecret
		}
		return ""
	}})
	p := oidctest.Start(t, ssoPeople, f.http.URL+oidcCallbackPath)
	settings := map[string]any{"name": "Test IdP", "issuer": p.Issuer, "client_id": oidctest.ClientID, "client_secret_env": ssoSecretEnv}
	for k, v := range oidc {
		settings[k] = v
	}
	b := shop()
	b["users"].([]any)[0].(map[string]any)["email"] = "alice@example.com"
	b["users"].([]any)[1].(map[string]any)["email"] = "gina@example.com"
	b["teams"] = append(b["teams"].([]any), map[string]any{"id": "search", "kind": "dev", "members": []string{}})
	b["org"] = map[string]any{"auth": map[string]any{"oidc": settings}}
	var out map[string]any
	if code := f.call("POST", "/api/v1/config/apply", adminSecret, b, &out); code != 200 {
		t.Fatalf("apply = %d %v", code, out)
	}
	return f, p
}

var loginFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// toCallback begins a sign-in at Vigil, signs in on the provider's own
// login page as username, and answers the URL the provider sends the
// browser back to (Vigil's callback, not yet followed).
func (c *webClient) toCallback(next, username, password string) string {
	c.t.Helper()
	a := c.send("GET", oidcLoginPath+"?next="+url.QueryEscape(next), nil, nil)
	if a.status != http.StatusFound || a.cookies[oidcCookie] == nil {
		c.t.Fatalf("GET %s = %d, cookies %v: %s", oidcLoginPath, a.status, a.cookies, a.body)
	}
	st := a.cookies[oidcCookie]
	if !st.HttpOnly || st.SameSite != http.SameSiteLaxMode || st.Path != oidcCookiePath || st.MaxAge != 600 {
		c.t.Errorf("state cookie %+v: want HttpOnly, SameSite=Lax, on %s, for 10 minutes", st, oidcCookiePath)
	}
	to, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		c.t.Fatal(err)
	}
	q := to.Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" || q.Get("nonce") == "" ||
		q.Get("client_id") != oidctest.ClientID || q.Get("redirect_uri") != c.base+oidcCallbackPath || q.Get("scope") != "openid email profile" {
		c.t.Errorf("authorisation request %s: want PKCE S256, a state, a nonce, the client, the callback and the default scopes", to)
	}
	// The provider's pages: its authorisation endpoint, then its login.
	for range 5 {
		a = c.send("GET", to.String(), nil, nil)
		if a.status != http.StatusFound && a.status != http.StatusSeeOther {
			break
		}
		if to, err = to.Parse(a.header.Get("Location")); err != nil {
			c.t.Fatal(err)
		}
	}
	m := loginFormID.FindSubmatch(a.body)
	if a.status != 200 || m == nil {
		c.t.Fatalf("the provider's login page at %s = %d: %s", to, a.status, a.body)
	}
	form := url.Values{"id": {string(m[1])}, "username": {username}, "password": {password}}
	req, err := http.NewRequest("POST", to.ResolveReference(&url.URL{Path: "/login/username"}).String(), strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for range 5 {
		resp, err := c.http.Do(req)
		if err != nil {
			c.t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			c.t.Fatalf("the provider after the login form = %d, no redirect", resp.StatusCode)
		}
		if strings.HasPrefix(loc.String(), c.base+oidcCallbackPath) {
			return loc.String()
		}
		if req, err = http.NewRequest("GET", loc.String(), nil); err != nil {
			c.t.Fatal(err)
		}
	}
	c.t.Fatal("the provider never sent the browser back")
	return ""
}

// signIn goes through the whole sign-in and answers the callback's answer.
func (c *webClient) signIn(username, password string) answer {
	c.t.Helper()
	return c.send("GET", c.toCallback("/incidents/7", username, password), nil, nil)
}

// reseal changes the state cookie of a sign-in under way, signed with the
// server's key as the server would.
func (c *webClient) reseal(f *fixture, change func(*oidcState)) {
	c.t.Helper()
	key, err := f.srv.oidcKey(c.t.Context())
	if err != nil {
		c.t.Fatal(err)
	}
	st, err := openState(key, c.cookie(oidcCookie), f.clock.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	change(&st)
	sealed, err := sealState(key, st)
	if err != nil {
		c.t.Fatal(err)
	}
	c.setCookie(oidcCookie, sealed, oidcCookiePath)
}

func (c *webClient) setCookie(name, value, path string) {
	u, err := url.Parse(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	c.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: path}})
}

// TestSingleSignOn signs in through the provider: the browser comes back
// signed in as the user the email claim names, with a login session that
// the API takes from the cookie, recorded in the audit log.
func TestSingleSignOn(t *testing.T) {
	f, p := ssoFixture(t, nil)
	var methods loginMethods
	if code := f.call("GET", "/api/v1/login/methods", "", nil, &methods); code != 200 || !methods.Password || methods.OIDC == nil ||
		methods.OIDC.Name != "Test IdP" || methods.OIDC.LoginURL != oidcLoginPath {
		t.Fatalf("login methods = %d %+v", code, methods)
	}
	b := newWebClient(t, f.http.URL, http.DefaultClient)
	a := b.signIn("alice", "alice-at-the-idp")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/incidents/7" {
		t.Fatalf("callback = %d to %q: %s", a.status, a.header.Get("Location"), a.body)
	}
	sc := a.cookies[sessionCookie]
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || a.cookies[csrfCookie] == nil {
		t.Fatalf("callback cookies %v: want the HttpOnly, SameSite=Lax session cookie and the CSRF cookie", a.cookies)
	}
	if st := a.cookies[oidcCookie]; st == nil || st.MaxAge >= 0 {
		t.Errorf("the state cookie after the callback: %+v, want it cleared", st)
	}
	var who sessionInfo
	if a := b.send("GET", "/api/v1/session", nil, nil); a.status != 200 {
		t.Fatalf("GET /api/v1/session = %d", a.status)
	} else {
		a.decode(t, &who)
	}
	if who.UserID != "alice" || who.Kind != "session" || !strings.HasPrefix(who.TokenID, sessionIDPrefix) || who.Role != auth.RoleUser ||
		who.ExpiresAt == nil || !who.ExpiresAt.Equal(fixtureNow.Add(defaultSessionTTL)) {
		t.Fatalf("signed in as %+v, want alice's 12-hour login session", who)
	}
	// The session acts as alice, with the CSRF token.
	if a := b.send("POST", "/api/v1/incidents", map[string]any{"title": "slow", "service": "checkout"}, map[string]string{csrfHeader: who.CSRFToken}); a.status != 201 {
		t.Errorf("declare as alice by the SSO session = %d %s", a.status, a.body)
	}
	// The callback is used once: the same answer again has no state.
	entries := f.auditActions("kind=token&object_id=" + who.TokenID)
	if len(entries) != 1 || entries[0].Action != "session.create" || entries[0].Actor != "user:alice" ||
		!strings.Contains(entries[0].Details, "single sign-on through "+p.Issuer) || !strings.Contains(entries[0].Details, `email "Alice@Example.com"`) {
		t.Errorf("audit of the session = %+v", entries)
	}
	if f.srv.org.Snapshot().Team("shop").Members[0] != "alice" {
		t.Error("a sign-in without group_teams changed a team")
	}
}

// TestSingleSignOnRefusals: every way a callback can be wrong is refused
// with a page that says why, and signs nobody in.
func TestSingleSignOnRefusals(t *testing.T) {
	f, _ := ssoFixture(t, nil)
	tests := []struct {
		name string
		// tamper changes the browser or the callback URL before it is
		// followed.
		tamper func(b *webClient, callback *url.URL)
		want   int
		says   string
	}{
		{"bad state", inQuery(func(q url.Values) { q.Set("state", "forged-"+q.Get("state")) }), 400, "its state differs"},
		{"no state in the answer", inQuery(func(q url.Values) { q.Del("state") }), 400, "its state differs"},
		{"the sign-in began in another browser: no verifier", func(b *webClient, _ *url.URL) {
			u, _ := url.Parse(b.base + oidcCookiePath)
			b.jar.SetCookies(u, []*http.Cookie{{Name: oidcCookie, Path: oidcCookiePath, MaxAge: -1}})
			if b.cookie(oidcCookie) != "" {
				b.t.Fatal("the state cookie is still there")
			}
		}, 400, "did not begin in this browser"},
		{"a wrong verifier", func(b *webClient, _ *url.URL) {
			b.reseal(f, func(st *oidcState) { st.Verifier = strings.Repeat("v", 43) })
		}, 400, "refused the code of this sign-in (invalid_grant)"},
		{"an empty verifier", func(b *webClient, _ *url.URL) {
			b.reseal(f, func(st *oidcState) { st.Verifier = "" })
		}, 400, "refused the code of this sign-in"},
		{"a wrong nonce", func(b *webClient, _ *url.URL) {
			b.reseal(f, func(st *oidcState) { st.Nonce = "another-sign-in" })
		}, 403, "its nonce differs"},
		{"a forged state cookie", func(b *webClient, _ *url.URL) {
			st, err := openState(mustKey(b.t, f), b.cookie(oidcCookie), f.clock.Now())
			if err != nil {
				b.t.Fatal(err)
			}
			sealed, _ := sealState([]byte("not the server's key, 32 bytes!!"), st)
			b.setCookie(oidcCookie, sealed, oidcCookiePath)
		}, 400, "not valid or expired"},
		{"a garbled state cookie", func(b *webClient, _ *url.URL) {
			b.setCookie(oidcCookie, "e30.e30", oidcCookiePath)
		}, 400, "not valid or expired"},
		{"an expired sign-in", func(*webClient, *url.URL) {
			f.clock.Add(oidcStateTTL)
		}, 400, "not valid or expired"},
		{"the provider refused", inQuery(func(q url.Values) {
			q.Del("code")
			q.Set("error", "access_denied")
			q.Set("error_description", "<script>alert(1)</script>")
		}), 403, "did not sign you in: access_denied &lt;script&gt;alert(1)&lt;/script&gt;"},
		{"no code", inQuery(func(q url.Values) { q.Del("code") }), 400, "has no code"},
		{"a code used twice", func(b *webClient, cb *url.URL) {
			kept := b.cookie(oidcCookie) // a browser replaying the old request
			if first := b.send("GET", cb.String(), nil, nil); first.status != http.StatusSeeOther {
				b.t.Fatalf("first use of the callback = %d %s", first.status, first.body)
			}
			b.setCookie(oidcCookie, kept, oidcCookiePath)
		}, 400, "refused the code of this sign-in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Set(fixtureNow)
			b := newWebClient(t, f.http.URL, http.DefaultClient)
			raw := b.toCallback("/incidents", "alice", "alice-at-the-idp")
			cb, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			tt.tamper(b, cb)
			a := b.send("GET", cb.String(), nil, nil)
			if a.status != tt.want || !strings.Contains(string(a.body), tt.says) {
				t.Fatalf("callback = %d, want %d saying %q:\n%s", a.status, tt.want, tt.says, a.body)
			}
			if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" || a.header.Get("Content-Security-Policy") == "" {
				t.Errorf("refusal page Content-Type %q, CSP %q", ct, a.header.Get("Content-Security-Policy"))
			}
			if a.cookies[sessionCookie] != nil {
				t.Errorf("a refused sign-in set the session cookie: %v", a.cookies)
			}
		})
	}
}

// inQuery tampers with the callback's query.
func inQuery(change func(url.Values)) func(*webClient, *url.URL) {
	return func(_ *webClient, cb *url.URL) {
		q := cb.Query()
		change(q)
		cb.RawQuery = q.Encode()
	}
}

func mustKey(t *testing.T, f *fixture) []byte {
	t.Helper()
	key, err := f.srv.oidcKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestSingleSignOnUsers: who a sign-in names, with and without
// create_users, and the teams that follow the groups.
func TestSingleSignOnUsers(t *testing.T) {
	t.Run("unknown users are refused without create_users", func(t *testing.T) {
		f, _ := ssoFixture(t, nil)
		b := newWebClient(t, f.http.URL, http.DefaultClient)
		a := b.signIn("nina", "nina-at-the-idp")
		if a.status != 403 || !strings.Contains(string(a.body), "No Vigil user has the email nina.novak@example.com") || a.cookies[sessionCookie] != nil {
			t.Fatalf("an unknown user's sign-in = %d %s", a.status, a.body)
		}
		if f.srv.org.Snapshot().User("nina-novak") != nil {
			t.Error("a user was created without create_users")
		}
		// An address the provider has not verified names nobody.
		a = b.signIn("ulla", "ulla-at-the-idp")
		if a.status != 403 || !strings.Contains(string(a.body), "has not verified your email address ulla@example.com") {
			t.Fatalf("an unverified address = %d %s", a.status, a.body)
		}
		// The provider's own refusal of a wrong password keeps the person
		// on its page: Vigil never sees it.
	})

	t.Run("create_users makes the user at the first sign-in", func(t *testing.T) {
		f, _ := ssoFixture(t, map[string]any{"create_users": true, "time_zone": "Europe/Vienna"})
		b := newWebClient(t, f.http.URL, http.DefaultClient)
		a := b.signIn("nina", "nina-at-the-idp")
		if a.status != http.StatusSeeOther {
			t.Fatalf("a new user's sign-in = %d %s", a.status, a.body)
		}
		u := f.srv.org.Snapshot().User("nina-novak")
		if u == nil || u.Name != "Nina Novak" || u.Email != "nina.novak@example.com" || u.TimeZone != "Europe/Vienna" {
			t.Fatalf("created user %+v", u)
		}
		var who sessionInfo
		b.send("GET", "/api/v1/session", nil, nil).decode(t, &who)
		if who.UserID != "nina-novak" {
			t.Errorf("signed in as %q, want nina-novak", who.UserID)
		}
		created := f.auditActions("kind=" + store.KindUser + "&object_id=nina-novak")
		if len(created) != 1 || created[0].Action != "user.create" || created[0].Actor != "user:nina-novak" {
			t.Errorf("audit of the new user = %+v", created)
		}
		// The second sign-in finds her by her address.
		b2 := newWebClient(t, f.http.URL, http.DefaultClient)
		if a := b2.signIn("nina", "nina-at-the-idp"); a.status != http.StatusSeeOther {
			t.Fatalf("her second sign-in = %d", a.status)
		}
		if n := len(f.srv.org.Snapshot().Bundle.Users); n != 3 {
			t.Errorf("%d users after two sign-ins of one new person, want 3", n)
		}
	})

	t.Run("user_claim names users by id", func(t *testing.T) {
		f, _ := ssoFixture(t, map[string]any{"user_claim": "preferred_username"})
		b := newWebClient(t, f.http.URL, http.DefaultClient)
		// gina's preferred_username is her id; alice's is too.
		if a := b.signIn("gina", "gina-at-the-idp"); a.status != http.StatusSeeOther {
			t.Fatalf("gina by preferred_username = %d %s", a.status, a.body)
		}
		var who sessionInfo
		b.send("GET", "/api/v1/session", nil, nil).decode(t, &who)
		if who.UserID != "gina" {
			t.Errorf("signed in as %q, want gina", who.UserID)
		}
		// ulla's unverified address does not matter when the address is
		// not what names her; nobody is ulla.
		if a := newWebClient(t, f.http.URL, http.DefaultClient).signIn("ulla", "ulla-at-the-idp"); a.status != 403 ||
			!strings.Contains(string(a.body), "No Vigil user has the preferred_username ulla") {
			t.Errorf("ulla by preferred_username = %d %s", a.status, a.body)
		}
	})

	t.Run("groups map to teams", func(t *testing.T) {
		f, _ := ssoFixture(t, map[string]any{"create_users": true, "groups_claim": "groups",
			"group_teams": map[string]any{"shop-engineers": "shop", "search-engineers": "search"}})
		members := func(team string) []string { return f.srv.org.Snapshot().Team(team).Members }
		b := newWebClient(t, f.http.URL, http.DefaultClient)
		if a := b.signIn("nina", "nina-at-the-idp"); a.status != http.StatusSeeOther {
			t.Fatalf("nina = %d %s", a.status, a.body)
		}
		if !slices.Equal(members("shop"), []string{"alice", "nina-novak"}) || len(members("search")) != 0 {
			t.Errorf("after nina: shop %v, search %v", members("shop"), members("search"))
		}
		// gina is in search-engineers (joins search), not shop-engineers;
		// the irt team no group maps to keeps her.
		if a := b.signIn("gina", "gina-at-the-idp"); a.status != http.StatusSeeOther {
			t.Fatalf("gina = %d %s", a.status, a.body)
		}
		if !slices.Equal(members("search"), []string{"gina"}) || !slices.Equal(members("irt"), []string{"gina"}) {
			t.Errorf("after gina: search %v, irt %v", members("search"), members("irt"))
		}
		changes := f.auditActions("kind=" + store.KindTeam + "&object_id=search")
		if len(changes) == 0 || changes[0].Action != "team.update" || changes[0].Actor != "user:gina" {
			t.Errorf("audit of search = %+v", changes)
		}
		// alice is in shop-engineers and stays; were she put in search by
		// hand, her next sign-in would take her out.
		search := *f.srv.org.Snapshot().Team("search")
		search.Members = []string{"gina", "alice"}
		if code := f.call("PUT", "/api/v1/teams/search", adminSecret, search, nil); code != 200 {
			t.Fatalf("put alice in search = %d", code)
		}
		if a := b.signIn("alice", "alice-at-the-idp"); a.status != http.StatusSeeOther {
			t.Fatalf("alice = %d %s", a.status, a.body)
		}
		if !slices.Equal(members("search"), []string{"gina"}) || !slices.Equal(members("shop"), []string{"alice", "nina-novak"}) {
			t.Errorf("after alice: search %v, shop %v", members("search"), members("shop"))
		}
	})
}

// TestSingleSignOnSettingsAtTheServer: password sign-in turned off, no
// single sign-on, and a secret the environment lacks.
func TestSingleSignOnSettingsAtTheServer(t *testing.T) {
	f, _ := ssoFixture(t, map[string]any{"password_login": false})
	f.givePassword("alice")
	var refused errorBody
	if code := f.call("POST", "/api/v1/login", "", map[string]any{"user": "alice", "password": alicePassword}, &refused); code != 403 ||
		refused.Code != "password_login_disabled" || !strings.Contains(refused.Message, "sign in with Test IdP at /auth/oidc/login") {
		t.Errorf("password login while turned off = %d %+v", code, refused)
	}
	var methods loginMethods
	f.call("GET", "/api/v1/login/methods", "", nil, &methods)
	if methods.Password || methods.OIDC == nil {
		t.Errorf("login methods = %+v, want single sign-on only", methods)
	}
	if a := newWebClient(t, f.http.URL, http.DefaultClient).signIn("alice", "alice-at-the-idp"); a.status != http.StatusSeeOther {
		t.Errorf("single sign-on while passwords are off = %d", a.status)
	}
	// API tokens still work.
	if code := f.call("GET", "/api/v1/incidents", adminSecret, nil, nil); code != 200 {
		t.Errorf("an API token while passwords are off = %d", code)
	}

	// The secret's variable unset: the sign-in does not begin.
	f.srv.getenv = func(string) string { return "" }
	a := newWebClient(t, f.http.URL, http.DefaultClient).send("GET", oidcLoginPath, nil, nil)
	if a.status != 503 || !strings.Contains(string(a.body), ssoSecretEnv+" is not set") {
		t.Errorf("sign-in without the secret = %d %s", a.status, a.body)
	}

	// Without org.auth.oidc there is nothing to sign in with, and
	// passwords work.
	var org map[string]any
	f.call("GET", "/api/v1/org", adminSecret, nil, &org)
	delete(org, "auth")
	if code := f.call("PUT", "/api/v1/org", adminSecret, org, nil); code != 200 {
		t.Fatalf("remove org.auth = %d", code)
	}
	methods = loginMethods{}
	f.call("GET", "/api/v1/login/methods", "", nil, &methods)
	if !methods.Password || methods.OIDC != nil {
		t.Errorf("login methods without org.auth = %+v", methods)
	}
	for _, path := range []string{oidcLoginPath, oidcCallbackPath + "?state=x&code=y"} {
		if a := newWebClient(t, f.http.URL, http.DefaultClient).send("GET", path, nil, nil); a.status != 404 || !strings.Contains(string(a.body), "not configured") {
			t.Errorf("GET %s without org.auth = %d %s", path, a.status, a.body)
		}
	}
	if code, _ := f.login("alice", alicePassword); code != 201 {
		t.Errorf("password login without org.auth = %d", code)
	}
}

// TestSafeNext keeps the return path inside the UI.
func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"/incidents/7":         "/incidents/7",
		"/schedules/x?from=1":  "/schedules/x?from=1",
		"":                     "/incidents",
		"https://evil.example": "/incidents",
		"//evil.example":       "/incidents",
		"/\\evil.example":      "/incidents",
		"/a\r\nSet-Cookie: x":  "/incidents",
		"/api/v1/logout":       "/incidents",
		"/auth/oidc/login":     "/incidents",
		"javascript:alert(1)":  "/incidents",
	}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStateCookie seals and opens the state by hand: the signature and
// the expiry hold, and nothing else opens.
func TestStateCookie(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := oidcState{State: "s", Nonce: "n", Verifier: "v", Next: "/incidents", Issuer: "https://id.example.com", Expires: now.Add(oidcStateTTL).Unix()}
	sealed, err := sealState(key, st)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := openState(key, sealed, now); err != nil || got != st {
		t.Fatalf("open = %+v %v", got, err)
	}
	payload, sig, _ := strings.Cut(sealed, ".")
	other, _ := json.Marshal(oidcState{State: "s", Nonce: "n", Verifier: "mine", Expires: st.Expires})
	tests := map[string]struct {
		sealed string
		at     time.Time
	}{
		"expired":            {sealed, now.Add(oidcStateTTL)},
		"another key":        {must(sealState([]byte("another key of 32 bytes, really!"), st)), now},
		"payload swapped":    {encode(other) + "." + sig, now},
		"no signature":       {payload, now},
		"signature garbled":  {payload + ".!!", now},
		"empty":              {"", now},
		"huge":               {strings.Repeat("a", 5000) + "." + sig, now},
		"signature of other": {payload + "." + strings.Split(must(sealState(key, oidcState{Expires: st.Expires})), ".")[1], now},
	}
	for name, tt := range tests {
		if got, err := openState(key, tt.sealed, tt.at); err == nil {
			t.Errorf("%s: opened %+v", name, got)
		}
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func encode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
