package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oncall/vigil/internal/vigiltest/oidctest"
)

// ssoSecretEnv names the client secret of the test provider's client.
const ssoSecretEnv = "VIGIL_WEB_TEST_OIDC_SECRET"

// TestBrowserSingleSignOn signs in through a real OpenID provider (zitadel's
// example server on loopback): the sign-in page's "Sign in with Test IdP",
// the provider's own login form, and back in Vigil signed in as the user
// the email claim names, on the page the notification linked to. A
// second tab is signed in too; a request that changes state without the
// CSRF token is refused, and the UI's own carry it. With password sign-in
// turned off the page offers single sign-on only, and a person no user
// matches gets the server's refusal page.
//
// The provider stamps its ID tokens with the machine's time. The server's
// clock starts at an instant before any day this test runs, whatever
// VIGIL_TEST_NOW pins, so that they are never expired to it.
func TestBrowserSingleSignOn(t *testing.T) {
	s := newServerAt(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	p := oidctest.Start(t, []oidctest.User{
		{Username: "alice@idp.test", Password: "alice-at-the-idp", FirstName: "Alice", LastName: "Martin", Email: "alice.martin@example.com"},
		{Username: "nina@idp.test", Password: "nina-at-the-idp", FirstName: "Nina", LastName: "Novak", Email: "nina@example.com"},
	}, s.url+"/auth/oidc/callback")
	org := shop()
	org["users"].([]any)[0].(map[string]any)["email"] = "alice.martin@example.com"
	sso := map[string]any{"name": "Test IdP", "issuer": p.Issuer, "client_id": oidctest.ClientID, "client_secret_env": ssoSecretEnv}
	org["org"] = map[string]any{"auth": map[string]any{"oidc": sso}}
	s.apply(org)
	inc := s.trigger("Checkout 500s after the deploy")
	id := strconv.FormatInt(inc.ID, 10)
	b := newBrowser(t)

	// The notification's link, signed out: the sign-in page offers the
	// provider beside the password.
	b.do("open the link", chromedp.Navigate(s.url+"/incidents/"+id), chromedp.WaitVisible(chromedp.CSS(`a[data-sso]`)))
	if text := b.text(`a[data-sso]`); text != "Sign in with Test IdP" {
		t.Errorf("the single sign-on button says %q", text)
	}
	var href string
	b.eval("its link", `document.querySelector('a[data-sso]').getAttribute('href')`, &href)
	if href != "/auth/oidc/login?next="+url.QueryEscape("/incidents/"+id) {
		t.Errorf("the single sign-on link is %q", href)
	}
	var hasPassword bool
	b.eval("the password form", `!!document.querySelector('input[name=password]')`, &hasPassword)
	if !hasPassword {
		t.Error("the password form is hidden while passwords are on")
	}
	var missing []string
	b.eval("labels", unlabelled, &missing)
	if len(missing) != 0 {
		t.Errorf("sign-in page: controls without a label: %v", missing)
	}
	b.screenshot("login-sso-and-password", 1280)

	// The provider's own login page.
	b.do("go to the provider", chromedp.Click(chromedp.CSS(`a[data-sso]`)), chromedp.WaitVisible(chromedp.CSS(`input#username`)))
	if loc := b.location(); !strings.HasPrefix(loc, p.Issuer+"login/username") {
		t.Errorf("the provider's login page is at %s, want under %s", loc, p.Issuer)
	}
	b.do("sign in at the provider",
		chromedp.SendKeys(chromedp.CSS(`input#username`), "alice@idp.test"),
		chromedp.SendKeys(chromedp.CSS(`input#password`), "alice-at-the-idp"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.timeline`)))
	if loc := b.location(); loc != s.url+"/incidents/"+id {
		t.Errorf("back from the provider at %s, want the incident", loc)
	}
	if who := b.text("#who"); !strings.Contains(who, "Signed in as alice") {
		t.Errorf("the header says %q, want alice", who)
	}
	b.noSecretInScripts(s.url)

	// The UI's requests carry the CSRF token: alice acknowledges.
	b.do("acknowledge",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Acknowledge"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@role="status" and contains(., "Acknowledge: done")]`)))
	if got := s.incident(inc.ID); got.Status != "acknowledged" {
		t.Errorf("the incident after Acknowledge is %s", got.Status)
	}

	// A state-changing request the cookie authenticates without the CSRF
	// token is refused; with it, it passes.
	var csrf struct {
		Without, Wrong, With int
		Code                 string
	}
	b.eval("requests without and with the CSRF token", `(async () => {
		const declare = (headers) => fetch('/api/v1/incidents', {method: 'POST', headers: {'Content-Type': 'application/json', ...headers},
			body: JSON.stringify({title: 'declared from the console', service: 'checkout'})});
		const token = document.cookie.match(/vigil_csrf=([^;]+)/)[1];
		const without = await declare({});
		const wrong = await declare({'X-CSRF-Token': 'x' + token});
		const withToken = await declare({'X-CSRF-Token': token});
		return {without: without.status, wrong: wrong.status, with: withToken.status, code: (await without.json()).code};
	})()`, &csrf)
	if csrf.Without != 403 || csrf.Wrong != 403 || csrf.Code != "csrf" || csrf.With != 201 {
		t.Errorf("declare by cookie: %d without the CSRF token (code %q), %d with a wrong one, %d with it; want 403 (csrf), 403, 201",
			csrf.Without, csrf.Code, csrf.Wrong, csrf.With)
	}

	// A second tab of the same browser is signed in.
	tab := b.newTab()
	tab.do("open services in a new tab", chromedp.Navigate(s.url+"/services"), chromedp.WaitVisible(chromedp.CSS(`#who button`)))
	if loc := tab.location(); loc != s.url+"/services" {
		t.Errorf("the new tab is at %s, want /services", loc)
	}
	if who := tab.text("#who"); !strings.Contains(who, "Signed in as alice") {
		t.Errorf("the new tab's header says %q, want alice", who)
	}
	// Signing out there signs the whole browser out.
	tab.do("sign out in the new tab",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign out"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[data-sso]`)))
	b.do("the first tab", chromedp.Navigate(s.url+"/services"), chromedp.WaitVisible(chromedp.CSS(`a[data-sso]`)))
	if loc := b.location(); loc != s.url+"/login?next=%2Fservices" {
		t.Errorf("after signing out in the other tab, the first is at %s", loc)
	}

	// Password sign-in off: the page offers the provider and API tokens.
	sso["password_login"] = false
	if code := s.call("PUT", "/api/v1/org", adminSecret, org["org"], nil); code != http.StatusOK {
		t.Fatalf("turn passwords off = %d", code)
	}
	b.do("the sign-in page", chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.CSS(`a[data-sso]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
	b.eval("the password form", `!!document.querySelector('input[name=password]')`, &hasPassword)
	if hasPassword {
		t.Error("the password form shows while passwords are off")
	}
	b.screenshot("login-sso-only", 1280)

	// Someone the provider knows and no user matches is refused.
	b.do("nina at the provider", chromedp.Click(chromedp.CSS(`a[data-sso]`)), chromedp.WaitVisible(chromedp.CSS(`input#username`)),
		chromedp.SendKeys(chromedp.CSS(`input#username`), "nina@idp.test"),
		chromedp.SendKeys(chromedp.CSS(`input#password`), "nina-at-the-idp"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-sso-error]`)))
	if msg := b.text(`[data-sso-error]`); msg != "No Vigil user has the email nina@example.com: ask an admin to add you." {
		t.Errorf("the refusal says %q", msg)
	}
	b.screenshot("sso-refused", 1280)
	b.do("back to sign-in", chromedp.Click(chromedp.Search(`//a[normalize-space()="Back to sign-in"]`)), chromedp.WaitVisible(chromedp.CSS(`a[data-sso]`)))
	if c := b.cookie(s.url, "vigil_session"); c != nil {
		t.Errorf("a refused sign-in left a session cookie: %+v", c)
	}
}
