package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/vigil-oncall/vigil/internal/slo/slotest"
)

const chromiumPath = "/usr/bin/chromium"

// browser is a headless Chromium tab. It records script exceptions and
// console or security errors (a Content-Security-Policy violation is
// one), which fail the test at its end.
type browser struct {
	t        *testing.T
	ctx      context.Context
	shots    string
	mu       sync.Mutex
	problems []string
	// report, for a second tab, is the first tab's browser, which keeps
	// the problems of both.
	report *browser
}

// newBrowser starts Chromium, or skips when it is not installed (and fails
// when CI=true: there it must be).
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing and CI=true: install it (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("%s is missing: install it (apt-get install chromium) to run the browser tests", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// Screenshots go to the test's temporary directory, or to
	// VIGIL_WEB_SCREENSHOTS to keep them for a look.
	shots := os.Getenv("VIGIL_WEB_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, shots: shots}
	// The first action starts the browser; it must run without a timeout,
	// which would stop the whole browser when it ends.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	b.watch(ctx)
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Errorf("browser: %s", p)
		}
	})
	return b
}

// newTab opens another tab of the same browser (its cookies are the
// same), whose problems fail the test as the first tab's do.
func (b *browser) newTab() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a tab: %v", err)
	}
	b.watch(ctx)
	return &browser{t: b.t, ctx: ctx, shots: b.shots, report: b}
}

// watch records the script exceptions and console or security errors of
// the tab of ctx.
func (b *browser) watch(ctx context.Context) {
	b.t.Helper()
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.problem("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.problem("console.error: %s", strings.Join(args, " "))
			}
		case *cdplog.EventEntryAdded:
			// Refused requests (401, 403, 404) are logged by the network
			// source; the tests cause some on purpose.
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
				b.problem("%s error: %s", ev.Entry.Source, ev.Entry.Text)
			}
		}
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) problem(format string, args ...any) {
	if b.report != nil {
		b.report.problem(format, args...)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// stepTimeout bounds each group of steps, so that a page that never shows
// what a step waits for fails the test with what it shows instead.
const stepTimeout = 60 * time.Second

func (b *browser) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
	b.t.Fatalf("%s: %v\nat %s, the page says:\n%s", what, err, loc, body)
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(what, err)
	}
}

// eval evaluates an expression in the page, awaiting a promise, and
// decodes its value into out.
func (b *browser) eval(what, expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(what, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("%s: decode %s: %v", what, raw, err)
	}
}

// waitFor polls a JavaScript condition until it holds.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	b.do("wait for "+what, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(45*time.Second)))
}

func (b *browser) location() string {
	b.t.Helper()
	var loc string
	b.eval("location", `location.href`, &loc)
	return loc
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.fail("text of "+sel, err)
	}
	return s
}

// screenshot saves the whole page as PNG and checks it is one of the
// page's width.
func (b *browser) screenshot(name string, width int) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fail("screenshot "+name, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		b.t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if got := img.Bounds().Dx(); got != width {
		b.t.Errorf("screenshot %s is %d pixels wide, want %d", name, got, width)
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// signInAsAdmin signs in at the server at url with the admin token and
// waits for the incident list.
func (b *browser) signInAsAdmin(url string) {
	b.t.Helper()
	b.do("sign in",
		chromedp.Navigate(url+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), adminSecret),
		chromedp.Click(chromedp.CSS(`form[aria-labelledby=tok-title] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#incident-list`)))
}

// cookie is the browser's cookie of this name for url (HttpOnly ones
// too: the DevTools protocol reads them), nil when there is none.
func (b *browser) cookie(url, name string) *network.Cookie {
	b.t.Helper()
	var found *network.Cookie
	b.do("read the cookies", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
		if err != nil {
			return err
		}
		for _, c := range res.Cookies {
			if c.Name == name {
				found = c
			}
		}
		return nil
	}))
	return found
}

// setCookie sets a cookie for url as a server would.
func (b *browser) setCookie(url, name, value string) {
	b.t.Helper()
	b.do("set a cookie", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: url})
		return err
	}))
}

// clearCookies signs the browser out of everything, in every tab.
func (b *browser) clearCookies() {
	b.t.Helper()
	b.do("clear the cookies", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
}

// noSecretInScripts fails the test when the page's scripts can read a
// session secret: nothing in sessionStorage or localStorage, and the
// session cookie is not among the cookies a script sees.
func (b *browser) noSecretInScripts(url string) {
	b.t.Helper()
	var seen struct {
		Session, Local int
		Cookies        string
	}
	b.eval("what scripts see", `({session: sessionStorage.length, local: localStorage.length, cookies: document.cookie})`, &seen)
	if seen.Session != 0 || seen.Local != 0 || strings.Contains(seen.Cookies, "vigil_session") {
		b.t.Errorf("the page's scripts see %+v: want no stored session and no session cookie", seen)
	}
	if c := b.cookie(url, "vigil_session"); c == nil || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax {
		b.t.Errorf("session cookie %+v: want HttpOnly and SameSite=Lax", c)
	}
}

// emulateZone makes the tab read its clock in zone with locale's
// conventions, whatever the machine's own are.
func (b *browser) emulateZone(zone, locale string) {
	b.t.Helper()
	b.do("emulate "+zone+" "+locale, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: locale})
		return err
	}))
}

// oneTimeFormat is the UI's only format of an instant: 24-hour, year
// first, with the zone's offset from UTC.
var oneTimeFormat = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC([+-]\d{1,2}(:\d{2})?)?$`)

// unlabelled lists the form controls that have no label a screen reader
// could announce.
const unlabelled = `[...document.querySelectorAll('input, select, textarea')]
	.filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
	.map((el) => el.name || el.outerHTML.slice(0, 60))`

// fitsWidth holds when nothing makes the page scroll sideways.
const fitsWidth = `document.documentElement.scrollWidth <= window.innerWidth`

func TestBrowserRespondToAnIncident(t *testing.T) {
	s := newServer(t)
	s.applyShop()
	inc := s.trigger("Checkout error rate above 5%")
	id := strconv.FormatInt(inc.ID, 10)
	b := newBrowser(t)
	// A reader in India with a US locale, whose default clock is 12-hour.
	b.emulateZone("Asia/Kolkata", "en_US")

	// Sign in with a password.
	b.do("open the sign-in page", chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)))
	var missing []string
	b.eval("labels on the sign-in page", unlabelled, &missing)
	if len(missing) != 0 {
		t.Errorf("sign-in page: controls without a label: %v", missing)
	}
	b.do("sign in",
		chromedp.SendKeys(chromedp.CSS(`input[name=user]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), alicePassword),
		chromedp.Click(chromedp.CSS(`form[aria-labelledby=pw-title] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-incident="`+id+`"]`)))
	if loc := b.location(); loc != s.url+"/incidents" {
		t.Errorf("after sign-in at %s, want /incidents", loc)
	}
	// The session is the server's HttpOnly cookie, which no script reads.
	b.noSecretInScripts(s.url)
	if who := b.text("#who"); !strings.Contains(who, "Signed in as alice") {
		t.Errorf("the header says %q, want alice signed in", who)
	}

	// The live list shows the incident with its facts.
	row := b.text(`tr[data-incident="` + id + `"]`)
	for _, want := range []string{"#" + id, inc.Title, "triggered", "SEV", "high urgency", "checkout"} {
		if !strings.Contains(row, want) {
			t.Errorf("incident row %q lacks %q", row, want)
		}
	}
	var fits bool
	b.eval("width", fitsWidth, &fits)
	if !fits {
		t.Error("the incidents page scrolls sideways at 1280 pixels")
	}
	// Every instant in one format, with the zone.
	var listTimes []string
	b.eval("list times", `[document.getElementById('updated').textContent.replace(/^.* updated /, ''),
		...[...document.querySelectorAll('#incident-list time')].map((el) => el.title)]`, &listTimes)
	for _, tm := range listTimes {
		if !oneTimeFormat.MatchString(tm) && !regexp.MustCompile(`^\d{2}:\d{2}:\d{2} UTC\+5:30$`).MatchString(tm) {
			t.Errorf("the incident list shows the time %q, want 24-hour with the zone", tm)
		}
	}
	b.screenshot("incidents", 1280)

	// A new incident appears without reloading: the list polls.
	second := s.trigger("Checkout latency p99 above 2s")
	b.waitFor("the second incident", fmt.Sprintf(`!!document.querySelector('tr[data-incident="%d"]')`, second.ID))

	// Open it and acknowledge.
	b.do("open the incident",
		chromedp.Click(chromedp.CSS(`tr[data-incident="`+id+`"] a.title-link`)),
		chromedp.WaitVisible(chromedp.CSS(`table.timeline`)))
	if loc := b.location(); loc != s.url+"/incidents/"+id {
		t.Errorf("incident page at %s", loc)
	}
	if h1 := b.text("h1"); !strings.Contains(h1, inc.Title) {
		t.Errorf("incident page heading %q", h1)
	}
	b.eval("labels on the incident page", unlabelled, &missing)
	if len(missing) != 0 {
		t.Errorf("incident page: controls without a label: %v", missing)
	}
	b.do("acknowledge",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Acknowledge"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@role="status" and contains(., "Acknowledge: done")]`)))
	b.waitFor("the status badge", `document.querySelector('.incident-head .badges').textContent.includes('acknowledged')`)
	b.waitFor("the timeline entry", `[...document.querySelectorAll('table.timeline tr[data-kind="acknowledged"]')].some((tr) => tr.textContent.includes('alice') && tr.textContent.includes('web'))`)

	got := s.incident(inc.ID)
	if got.Status != "acknowledged" {
		t.Errorf("incident status after Acknowledge = %q", got.Status)
	}
	acked := false
	for _, e := range got.Timeline {
		if e.Kind == "acknowledged" {
			acked = true
			if e.Actor != "user:alice" || e.Channel != "web" {
				t.Errorf("acknowledgement recorded as %s via %s, want user:alice via web", e.Actor, e.Channel)
			}
		}
	}
	if !acked {
		t.Errorf("no acknowledgement on the timeline: %+v", got.Timeline)
	}

	// A note through its form, then the page as a responder sees it.
	b.do("add a note",
		chromedp.Click(chromedp.Search(`//summary[normalize-space()="Add note"]`)),
		chromedp.SendKeys(chromedp.Search(`//details[summary[normalize-space()="Add note"]]//textarea`), "Rolled back deploy 4711"),
		chromedp.Click(chromedp.Search(`//details[summary[normalize-space()="Add note"]]//button[@type="submit"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@role="status" and contains(., "Add note: done")]`)))
	b.waitFor("the note", `[...document.querySelectorAll('table.timeline tr[data-kind="note"]')].some((tr) => tr.textContent.includes('Rolled back deploy 4711'))`)
	// A role through its form: the choices come from the API.
	b.waitFor("the users", `!!document.querySelector('select[name=user] option[value="carol"]')`)
	b.do("assign a role",
		chromedp.Click(chromedp.Search(`//summary[normalize-space()="Assign role"]`)),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const form = [...document.querySelectorAll('details.action')].find((d) => d.querySelector('summary').textContent === 'Assign role');
			form.querySelector('select[name=role]').value = 'scribe';
			form.querySelector('select[name=user]').value = 'carol';
		})()`),
		chromedp.Click(chromedp.Search(`//details[summary[normalize-space()="Assign role"]]//button[@type="submit"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@role="status" and contains(., "Assign scribe: done")]`)))
	if got := s.incident(inc.ID); got.Roles["scribe"] != "carol" {
		t.Errorf("roles after Assign role: %v, want scribe carol", got.Roles)
	}
	b.waitFor("the role in the side panel", `document.querySelector('.roles').textContent.includes('carol')`)
	var pageTimes []string
	b.eval("incident times", `[...document.querySelectorAll('main time')].map((el) => el.textContent)`, &pageTimes)
	if len(pageTimes) < 3 {
		t.Errorf("the incident page shows %d times, want its opening and timeline", len(pageTimes))
	}
	for _, tm := range pageTimes {
		if !oneTimeFormat.MatchString(tm) || !strings.Contains(tm, "UTC+5:30") {
			t.Errorf("the incident page shows the time %q, want 24-hour in the reader's zone (UTC+5:30)", tm)
		}
	}
	if txt := b.text("main"); regexp.MustCompile(`\b[0-9]{1,2}:[0-9]{2}(:[0-9]{2})? ?[AP]M\b`).MatchString(txt) {
		t.Errorf("the incident page shows a 12-hour time: %q", txt)
	}
	b.eval("width", fitsWidth, &fits)
	if !fits {
		t.Error("the incident page scrolls sideways at 1280 pixels")
	}
	b.screenshot("incident", 1280)

	// Narrow screens: nothing scrolls sideways.
	b.do("narrow", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`table.timeline`)))
	b.eval("narrow width", fitsWidth, &fits)
	if !fits {
		t.Error("the incident page scrolls sideways at 390 pixels")
	}
	b.screenshot("incident-narrow", 390)
	b.do("narrow list", chromedp.Navigate(s.url+"/incidents"), chromedp.WaitVisible(chromedp.CSS(`tr[data-incident="`+id+`"]`)))
	b.eval("narrow width", fitsWidth, &fits)
	if !fits {
		t.Error("the incidents page scrolls sideways at 390 pixels")
	}
	b.screenshot("incidents-narrow", 390)

	// The status filter goes into the address, and resolved incidents are
	// none yet.
	b.do("filter resolved", chromedp.Evaluate[chromedp.Void](`(() => {
		const sel = document.querySelector('select[name=status]');
		sel.value = 'resolved';
		sel.dispatchEvent(new Event('change'));
	})()`))
	b.waitFor("the filtered list", `location.search === '?status=resolved' && !!document.querySelector('#incident-list .empty')`)
	var rows int
	b.eval("rows", `document.querySelectorAll('tr[data-incident]').length`, &rows)
	if rows != 0 {
		t.Errorf("resolved filter shows %d incidents, want none", rows)
	}
	b.do("wide again", chromedp.EmulateViewport(1280, 900))

	// Sign out ends the session on the server too, and the cookie goes.
	session := b.cookie(s.url, "vigil_session")
	if session == nil {
		t.Fatal("no session cookie before sign-out")
	}
	b.do("sign out",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign out"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)))
	if code := s.call("GET", "/api/v1/incidents", session.Value, nil, nil); code != 401 {
		t.Errorf("the session token after sign-out answers %d, want 401", code)
	}
	if c := b.cookie(s.url, "vigil_session"); c != nil {
		t.Errorf("the session cookie is still there after sign-out: %+v", c)
	}
}

func TestBrowserRefusalsAndSignIn(t *testing.T) {
	s := newServer(t)
	s.applyShop()
	inc := s.trigger("Checkout 502s")
	id := strconv.FormatInt(inc.ID, 10)
	b := newBrowser(t)

	// The notification link, opened signed out, returns to the incident
	// after signing in with an API token.
	b.do("open the link", chromedp.Navigate(s.url+"/incidents/"+id), chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
	if loc := b.location(); loc != s.url+"/login?next=%2Fincidents%2F"+id {
		t.Errorf("signed out, /incidents/%s went to %s", id, loc)
	}
	b.screenshot("login", 1280)
	b.do("wrong token",
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), "not-a-token"),
		chromedp.Click(chromedp.CSS(`form[aria-labelledby=tok-title] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[aria-labelledby=tok-title] [role=alert]`)))
	if msg := b.text(`form[aria-labelledby=tok-title] [role=alert]`); !strings.Contains(msg, "invalid or revoked token") {
		t.Errorf("wrong token message %q", msg)
	}
	b.eval("clear the token field", `document.querySelector('input[name=token]').value = ''`, new(string))
	b.do("bob's token",
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), bobSecret),
		chromedp.Click(chromedp.CSS(`form[aria-labelledby=tok-title] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.timeline`)))
	if loc := b.location(); loc != s.url+"/incidents/"+id {
		t.Errorf("after sign-in at %s, want the incident", loc)
	}

	// Bob is not on the owning team: the refusal shows in place.
	b.do("resolve as bob",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Resolve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.actions [role=alert]`)))
	if msg := b.text(`.actions [role=alert]`); !strings.Contains(msg, "you may not act on incidents of checkout") {
		t.Errorf("refusal shown as %q", msg)
	}
	if got := s.incident(inc.ID); got.Status != "triggered" {
		t.Errorf("bob's refused resolve left the incident %s", got.Status)
	}

	// The token is kept in the HttpOnly cookie, not by the page.
	b.noSecretInScripts(s.url)
	if c := b.cookie(s.url, "vigil_session"); c == nil || c.Value != bobSecret || !c.Session {
		t.Errorf("session cookie %+v: want bob's token until the browser closes", c)
	}

	// A token the server stops accepting returns to the sign-in page.
	b.setCookie(s.url, "vigil_session", "revoked-token")
	b.do("open services", chromedp.Navigate(s.url+"/services"), chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)))
	if loc := b.location(); loc != s.url+"/login?next=%2Fservices" {
		t.Errorf("after a 401 at %s, want the sign-in page", loc)
	}
}

// TestBrowserNotFound: a path that is no page shows the app's own
// not-found page, signed in or not, with its way back.
func TestBrowserNotFound(t *testing.T) {
	s := newServer(t)
	b := newBrowser(t)
	b.do("signed out", chromedp.Navigate(s.url+"/no/such/page"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	if loc := b.location(); loc != s.url+"/no/such/page" {
		t.Errorf("an unknown path went on to %s, want it to stay", loc)
	}
	if h1 := b.text("main h1"); h1 != "Page not found" {
		t.Errorf("signed out, an unknown path shows %q", h1)
	}
	if txt := b.text("main"); !strings.Contains(txt, "/no/such/page") || !strings.Contains(txt, "Sign in") {
		t.Errorf("the not-found page says %q, want the path and a way to sign in", txt)
	}
	var title string
	b.eval("title", `document.title`, &title)
	if title != "Page not found · Vigil" {
		t.Errorf("title %q", title)
	}

	b.signInAsAdmin(s.url)
	b.do("signed in", chromedp.Navigate(s.url+"/incidents/12/nothing"), chromedp.WaitVisible(chromedp.CSS(`main .not-found-links`)))
	if h1 := b.text("main h1"); h1 != "Page not found" {
		t.Errorf("signed in, an unknown path shows %q", h1)
	}
	var nav bool
	b.eval("header", `getComputedStyle(document.querySelector('header nav')).display !== 'none'`, &nav)
	if !nav {
		t.Error("the not-found page hides the main navigation from a signed-in reader")
	}
	var current int
	b.eval("current section", `document.querySelectorAll('header nav a[aria-current]').length`, &current)
	if current != 0 {
		t.Errorf("the not-found page marks %d sections of the navigation as current", current)
	}
	b.screenshot("not-found", 1280)
	b.do("the way back",
		chromedp.Click(chromedp.Search(`//main//a[normalize-space()="Services"]`)),
		chromedp.WaitVisible(chromedp.Search(`//main/h1[normalize-space()="Services"]`)))
	if loc := b.location(); loc != s.url+"/services" {
		t.Errorf("the not-found page's Services link opened %s", loc)
	}
}

func TestBrowserServicesSchedulesReports(t *testing.T) {
	s := newServer(t)
	s.applyShop()
	done := s.trigger("Checkout down")
	for _, verb := range []string{"acknowledge", "resolve"} {
		if code := s.call("POST", fmt.Sprintf("/api/v1/incidents/%d/%s", done.ID, verb), adminSecret, map[string]any{}, nil); code != 200 {
			t.Fatalf("%s = %d", verb, code)
		}
	}
	b := newBrowser(t)
	b.signInAsAdmin(s.url)

	// The service list: criticality and why.
	b.do("services", chromedp.Navigate(s.url+"/services"), chromedp.WaitVisible(chromedp.CSS(`svg.graph`)))
	if row := b.text(`tr[data-service="ledger"]`); !strings.Contains(row, "critical") || !strings.Contains(row, "checkout → payments → ledger") {
		t.Errorf("ledger row %q", row)
	}
	if row := b.text(`tr[data-service="fraud"]`); !strings.Contains(row, "no") {
		t.Errorf("fraud row %q", row)
	}
	var nodes []string
	b.eval("graph nodes", `[...document.querySelectorAll('svg.graph a.node')].map((a) => a.dataset.service).sort()`, &nodes)
	if want := []string{"checkout", "fraud", "ledger", "payments", "search"}; !reflect.DeepEqual(nodes, want) {
		t.Errorf("the whole graph shows %v, want %v", nodes, want)
	}
	// search->ledger spans two rows, the middle one holding payments: it
	// runs beside payments, not through it.
	var problems []string
	b.eval("the whole graph's geometry", `(`+edgesAvoidBoxes+`)(document.querySelector('svg.graph'))`, &problems)
	if len(problems) > 0 {
		t.Errorf("the whole graph: %q", problems)
	}
	var looks struct {
		HardDash, SoftDash, CriticalStroke, PlainStroke string
	}
	b.eval("edge and node styles", `({
		hardDash: getComputedStyle(document.querySelector('svg.graph path.edge-hard')).strokeDasharray,
		softDash: getComputedStyle(document.querySelector('svg.graph path.edge-soft')).strokeDasharray,
		criticalStroke: getComputedStyle(document.querySelector('svg.graph a.node.critical rect')).stroke,
		plainStroke: getComputedStyle(document.querySelector('svg.graph a.node:not(.critical) rect')).stroke,
	})`, &looks)
	if looks.HardDash != "none" || looks.SoftDash == "none" || looks.SoftDash == "" {
		t.Errorf("hard edges dashed %q, soft %q: want hard solid and soft dashed", looks.HardDash, looks.SoftDash)
	}
	if looks.CriticalStroke != "rgb(180, 35, 24)" || looks.PlainStroke == looks.CriticalStroke {
		t.Errorf("critical services outlined %q, others %q: want critical in red (rgb(180, 35, 24)) only", looks.CriticalStroke, looks.PlainStroke)
	}
	b.screenshot("services", 1280)

	// A service page draws what it needs and what needs it, not siblings
	// or strangers.
	b.do("payments", chromedp.Navigate(s.url+"/services/payments"), chromedp.WaitVisible(chromedp.CSS(`svg.graph`)))
	var graph struct {
		Nodes    []string
		Critical []string
		Current  []string
		Edges    []string
	}
	b.eval("the graph", `({
		nodes: [...document.querySelectorAll('svg.graph a.node')].map((a) => a.dataset.service).sort(),
		critical: [...document.querySelectorAll('svg.graph a.node.critical')].map((a) => a.dataset.service).sort(),
		current: [...document.querySelectorAll('svg.graph a.node.current')].map((a) => a.dataset.service),
		edges: [...document.querySelectorAll('svg.graph path.edge')].map((p) => p.dataset.from + '>' + p.dataset.to + ':' + p.getAttribute('class')).sort(),
	})`, &graph)
	want := struct {
		Nodes    []string
		Critical []string
		Current  []string
		Edges    []string
	}{
		Nodes:    []string{"checkout", "fraud", "ledger", "payments"},
		Critical: []string{"checkout", "ledger", "payments"},
		Current:  []string{"payments"},
		Edges:    []string{"checkout>payments:edge edge-hard", "payments>fraud:edge edge-soft", "payments>ledger:edge edge-hard"},
	}
	if !reflect.DeepEqual(graph, want) {
		t.Errorf("payments graph = %+v\nwant %+v", graph, want)
	}
	var dashed string
	b.eval("soft edge style", `getComputedStyle(document.querySelector('svg.graph path.edge-soft')).strokeDasharray`, &dashed)
	if dashed == "none" || dashed == "" {
		t.Errorf("soft edges are drawn solid (stroke-dasharray %q)", dashed)
	}
	var above bool
	b.eval("layering", `(() => {
		const y = (id) => document.querySelector('svg.graph a.node[data-service="' + id + '"] rect').y.baseVal.value;
		return y('checkout') < y('payments') && y('payments') < y('ledger') && y('payments') < y('fraud');
	})()`, &above)
	if !above {
		t.Error("a service is not drawn above the services it depends on")
	}
	for _, want := range []string{"Who responds now", "Maintenance windows", "Blast radius"} {
		if !strings.Contains(b.text("main"), want) {
			t.Errorf("service page lacks %q", want)
		}
	}
	b.screenshot("service", 1280)
	b.do("open a node",
		chromedp.Click(chromedp.CSS(`svg.graph a.node[data-service="ledger"]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.graph a.node.current[data-service="ledger"]`)))
	if loc := b.location(); loc != s.url+"/services/ledger" {
		t.Errorf("clicking ledger opened %s", loc)
	}

	// Schedules: on call now and the week's shifts.
	b.do("schedule", chromedp.Navigate(s.url+"/schedules/shop-oncall"), chromedp.WaitVisible(chromedp.CSS(`table.data`)))
	now := b.text(".oncall-now")
	if !strings.Contains(now, "Alice Martin") && !strings.Contains(now, "Carol Diaz") {
		t.Errorf("on call now shows %q", now)
	}
	var shifts int
	b.eval("shifts", `document.querySelectorAll('section[aria-labelledby=shifts-title] table.data tbody tr').length`, &shifts)
	// A daily rotation over 7 days: 7 shifts, 8 when the week starts
	// mid-shift.
	if shifts != 7 && shifts != 8 {
		t.Errorf("the next 7 days show %d shifts of a daily rotation", shifts)
	}
	b.screenshot("schedule", 1280)

	// SLOs: whatever the server has, the page says it plainly.
	b.do("slos", chromedp.Navigate(s.url+"/slos"), chromedp.WaitVisible(chromedp.CSS(`main .notice, main table`)))
	if txt := b.text("main"); !strings.Contains(txt, "No SLOs are configured") {
		t.Errorf("SLO page for an organisation without SLOs says %q", txt)
	}
	b.screenshot("slos", 1280)

	// Reports: the server's response report over its last 30 days counts
	// the resolved incident for checkout, with median, p90 and mean of
	// both times.
	b.do("reports", chromedp.Navigate(s.url+"/reports"), chromedp.Click(chromedp.Search(`//a[normalize-space()="Response"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-service="checkout"]`)))
	var head, cells []string
	b.eval("report columns", `[...document.querySelector('table.numbers').querySelectorAll('th')].map((th) => th.textContent)`, &head)
	if want := []string{"Service", "Team", "Incidents", "Acked", "Resolved", "MTTA median", "MTTA p90", "MTTA mean", "MTTR median", "MTTR p90", "MTTR mean",
		"Escalation rate", "Acked by owners", "Acked by IRT", "Per week"}; !reflect.DeepEqual(head, want) {
		t.Errorf("report columns %q, want %q", head, want)
	}
	b.eval("checkout row", `[...document.querySelectorAll('tr[data-service="checkout"] td')].map((td) => td.textContent)`, &cells)
	if len(cells) != 15 || cells[0] != "checkout" || cells[1] != "shop" || cells[2] != "1" || cells[3] != "1" || cells[4] != "1" {
		t.Errorf("checkout report row %q, want checkout of shop, 1 incident acknowledged and resolved", cells)
	}
	if txt := b.text("main"); !strings.Contains(txt, "How these numbers were computed") {
		t.Errorf("the report does not say how its numbers were computed: %q", txt)
	}
}

// edgesAvoidBoxes is a JavaScript function of a drawn graph (an <svg>)
// that lists what is wrong with its geometry: boxes that overlap, edges
// that pass through a box other than their two ends (each segment of the
// drawn path, lines and cubic curves, sampled 40 times, with 2 pixels of
// margin), and edges that do not start and end on their ends' boxes.
const edgesAvoidBoxes = `(svg) => {
	const boxes = [...svg.querySelectorAll('a.node')].map((a) => {
		const r = a.querySelector('rect');
		return {id: a.dataset.service, x: r.x.baseVal.value, y: r.y.baseVal.value, w: r.width.baseVal.value, h: r.height.baseVal.value};
	});
	const inside = (p, b, m) => p.x > b.x - m && p.x < b.x + b.w + m && p.y > b.y - m && p.y < b.y + b.h + m;
	const problems = [];
	for (const a of boxes) for (const b of boxes) {
		if (a.id < b.id && inside({x: a.x + a.w / 2, y: a.y + a.h / 2}, {x: b.x - a.w / 2, y: b.y - a.h / 2, w: b.w + a.w, h: b.h + a.h}, 0)) {
			problems.push(a.id + ' overlaps ' + b.id);
		}
	}
	// The drawn path, sampled: M, L and C with absolute coordinates.
	const samples = (d) => {
		const out = [];
		let at = null;
		for (const [, cmd, args] of d.matchAll(/([MLC])([^MLC]*)/g)) {
			const n = args.trim().split(/[ ,]+/).map(Number);
			if (cmd === 'M') { at = {x: n[0], y: n[1]}; out.push(at); continue; }
			const end = {x: n[n.length - 2], y: n[n.length - 1]};
			for (let i = 1; i <= 40; i++) {
				const t = i / 40, u = 1 - t;
				out.push(cmd === 'L'
					? {x: u * at.x + t * end.x, y: u * at.y + t * end.y}
					: {x: u*u*u*at.x + 3*u*u*t*n[0] + 3*u*t*t*n[2] + t*t*t*end.x, y: u*u*u*at.y + 3*u*u*t*n[1] + 3*u*t*t*n[3] + t*t*t*end.y});
			}
			at = end;
		}
		return out;
	};
	for (const path of svg.querySelectorAll('path.edge')) {
		const from = path.dataset.from, to = path.dataset.to;
		const name = from + '->' + to;
		const d = path.getAttribute('d');
		if (!/^[MLC0-9., -]+$/.test(d)) { problems.push(name + ' has a path this check cannot read: ' + d); continue; }
		const pts = samples(d);
		for (const p of pts) {
			for (const b of boxes) {
				if (b.id === from || b.id === to) {
					if (inside(p, b, -1)) { problems.push(name + ' runs inside its end ' + b.id + ' at ' + p.x + ',' + p.y); break; }
				} else if (inside(p, b, 2)) {
					problems.push(name + ' passes through ' + b.id + ' at ' + p.x + ',' + p.y);
					break;
				}
			}
		}
		const on = (p, id) => { const b = boxes.find((x) => x.id === id); return inside(p, b, 0.6) && !inside(p, b, -0.6); };
		if (!on(pts[0], from) || !on(pts[pts.length - 1], to)) problems.push(name + ' does not join its ends');
	}
	return problems;
}`

// randomGraph makes a dependency graph of 4 to 33 services from a seed:
// mostly edges downwards in a random order, some closing cycles, some
// soft, now and then a service that needs itself.
func randomGraph(seed uint64) (nodes, edges string) {
	r := rand.New(rand.NewPCG(seed, 7))
	n := 4 + r.IntN(30)
	var ns, es []string
	for i := range n {
		ns = append(ns, fmt.Sprintf(`{id:'svc-%02d', label:'%s'}`, i, strings.Repeat("x", 3+r.IntN(18))))
	}
	perm := r.Perm(n)
	for range n + r.IntN(2*n) {
		a, b := r.IntN(n), r.IntN(n)
		if perm[a] > perm[b] && r.IntN(8) != 0 {
			a, b = b, a // mostly downwards; one in eight may close a cycle
		}
		if a == b && r.IntN(4) != 0 {
			continue
		}
		kind := "hard"
		if r.IntN(3) == 0 {
			kind = "soft"
		}
		es = append(es, fmt.Sprintf(`{from:'svc-%02d', to:'svc-%02d', kind:'%s'}`, a, b, kind))
	}
	return "[" + strings.Join(ns, ",") + "]", "[" + strings.Join(es, ",") + "]"
}

// TestBrowserScriptUnits runs the UI's pure functions in the browser
// against cases worked out by hand.
func TestBrowserScriptUnits(t *testing.T) {
	s := newServer(t)
	b := newBrowser(t)
	b.do("open", chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)))

	t.Run("span", func(t *testing.T) {
		var got []string
		b.eval("span", `import('/assets/format.js').then((m) => [0, 59999, 60000, 3599999, 3600000, 3660000, 86400000, 90000000, 90060000, -5, NaN].map(m.span))`, &got)
		want := []string{"0s", "59s", "1m", "59m", "1h", "1h 1m", "1d", "1d 1h", "1d 1h", "0s", "0s"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("span = %q, want %q", got, want)
		}
	})

	t.Run("when", func(t *testing.T) {
		b.emulateZone("Asia/Kolkata", "en_US")
		var got []string
		b.eval("when", `import('/assets/format.js').then((m) => [
			m.when('2026-03-02T10:00:00Z', 'Europe/Berlin'),
			m.when('2026-07-01T22:30:45Z', 'Europe/Berlin', true),
			m.when('2026-03-02T10:00:00Z', 'UTC'),
			m.when('2026-03-02T23:59:00Z', 'America/New_York'),
			m.when('2026-03-02T13:05:00Z', 'Asia/Tokyo'),
			m.when('2026-03-02T00:00:00Z', 'UTC', true),
			m.when('2026-03-02T10:00:00Z'),
			m.when(''),
			m.when('not a time'),
			m.clock(new Date('2026-03-02T13:05:09Z')),
		])`, &got)
		want := []string{
			"2026-03-02 11:00 UTC+1",
			"2026-07-02 00:30:45 UTC+2",
			"2026-03-02 10:00 UTC",
			"2026-03-02 18:59 UTC-5",
			"2026-03-02 22:05 UTC+9",
			"2026-03-02 00:00:00 UTC",
			"2026-03-02 15:30 UTC+5:30",
			"",
			"not a time",
			"18:35:09 UTC+5:30",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("when = %q\nwant %q", got, want)
		}
	})

	t.Run("layers", func(t *testing.T) {
		tests := []struct {
			name  string
			ids   string
			edges string
			want  map[string]int
		}{
			{"chain and soft edge", `['a','b','c','d']`, `[{from:'a',to:'b'},{from:'b',to:'c'},{from:'a',to:'d',kind:'soft'}]`,
				map[string]int{"a": 0, "b": 1, "c": 2, "d": 1}},
			{"longest path wins", `['a','b','c']`, `[{from:'a',to:'b'},{from:'b',to:'c'},{from:'a',to:'c'}]`,
				map[string]int{"a": 0, "b": 1, "c": 2}},
			{"cycle broken at the back edge", `['a','b']`, `[{from:'a',to:'b'},{from:'b',to:'a'}]`,
				map[string]int{"a": 0, "b": 1}},
			{"self edge", `['a']`, `[{from:'a',to:'a'}]`, map[string]int{"a": 0}},
			{"unknown ends ignored", `['a','b']`, `[{from:'a',to:'zz'},{from:'zz',to:'b'}]`, map[string]int{"a": 0, "b": 0}},
		}
		for _, tt := range tests {
			var got map[string]int
			b.eval(tt.name, fmt.Sprintf(`import('/assets/layout.js').then((m) => Object.fromEntries(m.layers(%s, %s)))`, tt.ids, tt.edges), &got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: layers = %v, want %v", tt.name, got, tt.want)
			}
		}
	})

	t.Run("layout", func(t *testing.T) {
		type node struct {
			ID         string
			Layer      int
			Order      int
			X, Y, W, H float64
		}
		type edge struct {
			From, To string
			Reversed bool
			Points   [][2]float64
			D        string
		}
		type result struct {
			Width, Height float64
			Crossings     int
			Nodes         []node
			Edges         []edge
		}
		run := func(name, nodes, edges string) result {
			var got result
			b.eval(name, fmt.Sprintf(`import('/assets/layout.js').then((m) => m.layout(%s, %s))`, nodes, edges), &got)
			return got
		}
		find := func(r result, id string) node {
			for _, n := range r.Nodes {
				if n.ID == id {
					return n
				}
			}
			t.Fatalf("no node %s in %+v", id, r.Nodes)
			return node{}
		}

		// One node of 17 characters: 17*7.4 = 125.8 -> 126, +28 = 154
		// wide, plus 12 of padding each side; 36 high plus 24.
		one := run("one node", `[{id:'ledger-db-primary'}]`, `[]`)
		if one.Width != 178 || one.Height != 60 || len(one.Nodes) != 1 || one.Nodes[0].X != 12 || one.Nodes[0].Y != 12 {
			t.Errorf("one node: %+v", one)
		}

		// x needs q and y needs p: q goes under x and p under y, no
		// crossing. Rows of two 88-wide boxes 28 apart: 204 + 24 = 228
		// wide; two rows 36 high 64 apart: 136 + 24 = 160 high. The edge
		// x->q runs straight down from x's bottom centre (12 + 44 = 56,
		// 12 + 36 = 48) to q's top (12 + 36 + 64 = 112).
		two := run("crossing removed", `[{id:'x'},{id:'y'},{id:'p'},{id:'q'}]`, `[{from:'x',to:'q'},{from:'y',to:'p'}]`)
		want := map[string][2]int{"x": {0, 0}, "y": {0, 1}, "q": {1, 0}, "p": {1, 1}}
		for _, n := range two.Nodes {
			if w := want[n.ID]; n.Layer != w[0] || n.Order != w[1] {
				t.Errorf("crossing removed: %s at layer %d order %d, want %v", n.ID, n.Layer, n.Order, w)
			}
		}
		if two.Width != 228 || two.Height != 160 || two.Crossings != 0 {
			t.Errorf("crossing removed: %vx%v with %d crossings, want 228x160 with none", two.Width, two.Height, two.Crossings)
		}
		if e := two.Edges[0]; e.D != "M56,48 L56,112" {
			t.Errorf("edge x->q path %q, want M56,48 L56,112", e.D)
		}

		// a needs b and c, b needs c: the edge a->c spans two layers and
		// passes through b's row beside b, through a dummy, at least 14
		// from b's box.
		tri := run("triangle", `[{id:'a'},{id:'b'},{id:'c'}]`, `[{from:'a',to:'b'},{from:'b',to:'c'},{from:'a',to:'c',kind:'soft'}]`)
		bb := find(tri, "b")
		for _, e := range tri.Edges {
			if e.From != "a" || e.To != "c" {
				continue
			}
			if len(e.Points) != 4 {
				t.Fatalf("triangle: a->c has points %v, want 4 (through one dummy)", e.Points)
			}
			x := e.Points[1][0]
			if e.Points[2][0] != x || e.Points[1][1] != bb.Y || e.Points[2][1] != bb.Y+bb.H {
				t.Errorf("triangle: a->c crosses b's row at %v, want straight down through it", e.Points[1:3])
			}
			if x > bb.X-14 && x < bb.X+bb.W+14 {
				t.Errorf("triangle: a->c passes b's row at x=%v, within 14 of b (%v to %v)", x, bb.X, bb.X+bb.W)
			}
		}
		if tri.Crossings != 0 {
			t.Errorf("triangle: %d crossings", tri.Crossings)
		}

		// Two trees whose leaves interleave by name: ordered apart, no
		// crossing. Two sources that both need both targets: one
		// crossing, which no order avoids.
		apart := run("interleaved trees", `[{id:'r1'},{id:'r2'},{id:'a'},{id:'b'},{id:'c'},{id:'d'}]`,
			`[{from:'r1',to:'a'},{from:'r1',to:'c'},{from:'r2',to:'b'},{from:'r2',to:'d'}]`)
		if apart.Crossings != 0 {
			t.Errorf("interleaved trees: %d crossings, want 0", apart.Crossings)
		}
		k22 := run("K2,2", `[{id:'u1'},{id:'u2'},{id:'v1'},{id:'v2'}]`,
			`[{from:'u1',to:'v1'},{from:'u1',to:'v2'},{from:'u2',to:'v1'},{from:'u2',to:'v2'}]`)
		if k22.Crossings != 1 {
			t.Errorf("K2,2: %d crossings, want 1", k22.Crossings)
		}

		// A cycle: b->a closes it, is laid out turned round, and is drawn
		// from b's top up to a's bottom.
		cyc := run("cycle", `[{id:'a'},{id:'b'}]`, `[{from:'a',to:'b'},{from:'b',to:'a'}]`)
		for _, e := range cyc.Edges {
			if e.From == "b" {
				first, last := e.Points[0], e.Points[len(e.Points)-1]
				if !e.Reversed || first[1] != find(cyc, "b").Y || last[1] != find(cyc, "a").Y+36 {
					t.Errorf("cycle: b->a drawn %+v, want from b's top to a's bottom", e)
				}
			}
		}
	})

	t.Run("edges avoid boxes", func(t *testing.T) {
		// Graphs of every shape, drawn in the page: no edge passes
		// through a box other than its two ends, and no boxes overlap.
		graphs := []struct{ name, nodes, edges string }{
			{"long edge past a box", `[{id:'a'},{id:'b'},{id:'c'}]`, `[{from:'a',to:'b'},{from:'b',to:'c'},{from:'a',to:'c'}]`},
			{"cycle and self edge", `[{id:'a'},{id:'b'},{id:'c'}]`, `[{from:'a',to:'b'},{from:'b',to:'c'},{from:'c',to:'a'},{from:'b',to:'b'}]`},
		}
		for seed := uint64(1); seed <= 12; seed++ {
			nodes, edges := randomGraph(seed)
			graphs = append(graphs, struct{ name, nodes, edges string }{fmt.Sprintf("random %d", seed), nodes, edges})
		}
		for _, g := range graphs {
			var problems []string
			b.eval(g.name, fmt.Sprintf(`Promise.all([import('/assets/layout.js'), import('/assets/graph.js')]).then(([l, d]) => {
				const svg = d.drawGraph(l.layout(%s, %s));
				document.body.append(svg);
				const problems = (%s)(svg);
				svg.remove();
				return problems;
			})`, g.nodes, g.edges, edgesAvoidBoxes), &problems)
			if len(problems) > 0 {
				t.Errorf("%s: %d problems, first %q", g.name, len(problems), problems[:min(len(problems), 5)])
			}
		}
	})

	t.Run("neighbourhood", func(t *testing.T) {
		edges := `[{from:'web',to:'checkout'},{from:'checkout',to:'payments'},{from:'payments',to:'ledger'},{from:'payments',to:'fraud'}]`
		tests := []struct {
			id   string
			want []string
		}{
			{"payments", []string{"checkout", "fraud", "ledger", "payments", "web"}},
			// fraud shares a dependent with ledger but neither needs the
			// other: it is not drawn.
			{"ledger", []string{"checkout", "ledger", "payments", "web"}},
			{"web", []string{"checkout", "fraud", "ledger", "payments", "web"}},
			{"alone", []string{"alone"}},
		}
		for _, tt := range tests {
			var got []string
			b.eval(tt.id, fmt.Sprintf(`import('/assets/graph.js').then((m) => [...m.neighbourhood(%q, %s)].sort())`, tt.id, edges), &got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("neighbourhood(%s) = %v, want %v", tt.id, got, tt.want)
			}
		}
	})

	t.Run("niceMax", func(t *testing.T) {
		var got []float64
		b.eval("niceMax", `import('/assets/chart.js').then((m) => [
			...[0, -3, 1, 3, 4, 5, 7, 9, 11, 37, 100, 101, 2500].map((v) => m.niceMax(v)),
			...[0, 1, 3, 9, 11, 37, 101].map((v) => m.niceMax(v, true))])`, &got)
		// Four grid lines on round steps: 1, 2, 2.5 or 5 times a power of
		// ten; for counts whole steps of 1, 2, 3, 5 or 10 (a power of ten).
		want := []float64{1, 1, 1, 4, 4, 8, 8, 10, 20, 40, 100, 200, 4000,
			4, 4, 4, 12, 12, 40, 200}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("niceMax = %v, want %v", got, want)
		}
	})

	t.Run("reportQuery", func(t *testing.T) {
		var got []string
		// Thursday 5 March 2026, late in the day in UTC.
		b.eval("reportQuery", `import('/assets/pages/reports.js').then((m) => [
			'', 'days=7', 'days=90&team=payments', 'from=2026-03-01&to=2026-04-01&team=irt', 'days=lots&from=2026-01-01', 'days=7&from=2026-01-01',
		].map((q) => m.reportQuery(new URLSearchParams(q), new Date('2026-03-05T23:30:00Z')).toString()))`, &got)
		want := []string{"", "from=2026-02-27&to=2026-03-06", "from=2025-12-06&to=2026-03-06&team=payments",
			"from=2026-03-01&to=2026-04-01&team=irt", "from=2026-01-01", "from=2026-02-27&to=2026-03-06"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("reportQuery = %q, want %q", got, want)
		}
	})

	t.Run("sloRow", func(t *testing.T) {
		var got []map[string]any
		b.eval("slo rows", `import('/assets/pages/slos.js').then((m) => [
			m.sloRow({slo:'checkout-availability', service:'checkout', objective:0.999, sli:0.9995, budget_remaining:0.5}),
			m.sloRow({name:'ledger-latency', status:{service:'ledger', budget_remaining:-0.1, frozen:true}}),
			m.sloRow({metadata:{name:'quiet'}, spec:{service:'search'}, status:{no_data:true}}),
		].map((r) => ({name: r.name, service: r.service, state: r.state})))`, &got)
		want := []map[string]any{
			{"name": "checkout-availability", "service": "checkout", "state": "ok"},
			{"name": "ledger-latency", "service": "ledger", "state": "budget exhausted: releases frozen"},
			{"name": "quiet", "service": "search", "state": "no data"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("sloRow = %v, want %v", got, want)
		}
	})

	t.Run("slo page words", func(t *testing.T) {
		var got []string
		b.eval("slo words", `import('/assets/pages/slo.js').then((m) => [
			m.pct(0.999), m.pct(0.99909858), m.pct(0.0985797, 1), m.pct(-0.5, 1), m.pct(null),
			m.tierState({disabled: true, met: true}, 100),
			m.tierState({met: true, suppressed: true, long_events: 500}, 100),
			m.tierState({met: true, long_events: 500}, 100),
			m.tierState({met: false, long_events: 40}, 100),
			m.tierState({met: false, long_events: 4000}, 100),
			m.sliText({kind: 'threshold', op: 'lte', value: 0.3, source: 'prometheus', data_source: 'prom', url: 'http://prom:9090'}, 'x'),
			m.sliText({kind: 'ratio-bad/total', source: 'vigil-push', name: 'reqs'}, 'api-errors'),
		])`, &got)
		want := []string{
			"99.9%", "99.91%", "9.9%", "-50%", "—",
			"disabled", "firing, held back by a faster tier", "firing", "quiet: 40 of the 100 events a tier needs", "quiet",
			"one sample a minute, good when its value is at most 0.3, pulled from Prometheus prom (http://prom:9090)",
			"reqs: all events less the bad ones, out of all events, pushed to Vigil at /api/v1/slos/api-errors/events",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("SLO page words = %q\nwant %q", got, want)
		}
	})

	t.Run("hostile text stays text", func(t *testing.T) {
		var got struct {
			Scripts int
			Text    string
		}
		b.eval("h", `import('/assets/dom.js').then((m) => {
			const el = m.h('td', null, '<img src=x onerror=alert(1)><script>alert(2)</script>');
			return {scripts: el.querySelectorAll('img, script').length, text: el.textContent};
		})`, &got)
		if got.Scripts != 0 || got.Text != "<img src=x onerror=alert(1)><script>alert(2)</script>" {
			t.Errorf("hostile text became markup: %+v", got)
		}
		var links []string
		b.eval("externalLink", `import('/assets/dom.js').then((m) => [
			'https://runbooks.example.com/x', 'http://grafana:3000/d', 'javascript:alert(1)', 'JaVaScRiPt:alert(1)',
			'data:text/html,<script>alert(1)</script>', '/relative', 'not a url',
		].map((u) => { const el = m.externalLink(u, 'x'); return el instanceof Node ? el.nodeName + ' ' + el.getAttribute('href') : 'text'; }))`, &links)
		want := []string{"A https://runbooks.example.com/x", "A http://grafana:3000/d", "text", "text", "text", "text", "text"}
		if !reflect.DeepEqual(links, want) {
			t.Errorf("externalLink = %q, want %q", links, want)
		}
	})
}

// checkoutSLO is the shared checkout SLO over 30 days (page-1h above a
// burn rate of 14.4), with a display name; releases freeze at a quarter
// of the budget left, security changes pass.
func checkoutSLO() string {
	return slotest.Edit(slotest.CheckoutAvailability, append(slices.Clone(slotest.Over30Days),
		"metadata: {name: checkout-availability}",
		`metadata: {name: checkout-availability, displayName: Checkout availability, `+
			`annotations: {vigil.dev/freeze-below: "0.25", vigil.dev/exemptions: security}}`)...)
}

// sloNow is when the SLO page's server starts: its pages depend on no
// other date.
var sloNow = time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)

// TestBrowserSLOPage: an SLO that burns its budget fast and is frozen.
// Every 6 hours of the window 100,000 events, 10 bad (119 of them, the
// first 29d18h ago); three of them (5 days ago, 10 and 20) with 2,500 bad
// more; and the last 70 minutes 1,000 events a minute, 30 bad: a burn
// rate of 30 that fires page-1h. Events: 11,900,000 + 70,000 =
// 11,970,000, a budget of 11,970 bad; bad: 1,190 + 7,500 + 2,100 =
// 10,790. Left: 1 − 10,790 / 11,970 = 9.858%; SLI 1 − 10,790 /
// 11,970,000 = 99.90986%.
func TestBrowserSLOPage(t *testing.T) {
	s := newServerAt(t, sloNow)
	s.applyShopWith(checkoutSLO())
	var events []map[string]any
	for k := 1; k <= 119; k++ {
		bad := 10.0
		if k == 40 || k == 80 || k == 100 {
			bad += 2500
		}
		at := sloNow.Add(-30*24*time.Hour + time.Duration(k)*6*time.Hour)
		events = append(events, map[string]any{"timestamp": at.Format(time.RFC3339), "good": 100000 - bad, "total": 100000})
	}
	for i := range 70 {
		events = append(events, map[string]any{"timestamp": sloNow.Add(-time.Duration(i) * time.Minute).Format(time.RFC3339), "good": 970, "total": 1000})
	}
	var pushed map[string]any
	if code := s.call("POST", "/api/v1/slos/checkout-availability/events", adminSecret, map[string]any{"batch_id": "b1", "events": events}, &pushed); code != http.StatusAccepted {
		t.Fatalf("push = %d %v", code, pushed)
	}

	b := newBrowser(t)
	b.emulateZone("UTC", "en_US")
	b.signInAsAdmin(s.url)
	b.do("the SLO list", chromedp.Navigate(s.url+"/slos"), chromedp.WaitVisible(chromedp.CSS(`tr[data-slo="checkout-availability"] a`)))
	b.do("open the SLO",
		chromedp.Click(chromedp.CSS(`tr[data-slo="checkout-availability"] a[href="/slos/checkout-availability"]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.budget-chart`)))
	if loc := b.location(); loc != s.url+"/slos/checkout-availability" {
		t.Errorf("the SLO's link opened %s", loc)
	}
	if h1 := b.text("main h1"); !strings.Contains(h1, "Checkout availability") {
		t.Errorf("heading %q", h1)
	}
	var facts map[string]string
	b.eval("facts", `Object.fromEntries([...document.querySelectorAll('dl.facts dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent]))`, &facts)
	for label, want := range map[string]string{
		"SLI":          "checkout-requests: good events out of all events, pushed to Vigil at /api/v1/slos/checkout-availability/events",
		"Objective":    "99.9% of events (Occurrences)",
		"Window":       "rolling 30d",
		"SLI now":      "99.91% (11,959,210 good of 11,970,000)",
		"Error budget": "0.1% of the events may be bad: 90.1% of it spent, 9.9% left",
		"Releases": "frozen: the budget left (9.9%) is at or below 25%, so the release gate denies releases of checkout. " +
			"Change types that pass a freeze: security",
	} {
		if facts[label] != want {
			t.Errorf("the SLO's %s: %q, want %q", label, facts[label], want)
		}
	}
	if badges := b.text("main .badges"); !strings.Contains(badges, "firing: page-1h") || !strings.Contains(badges, "releases frozen") {
		t.Errorf("badges %q, want page-1h firing and releases frozen", badges)
	}
	var tiers map[string]string
	b.eval("tiers", `Object.fromEntries([...document.querySelectorAll('tr[data-tier]')].map((tr) => [tr.dataset.tier, tr.lastElementChild.textContent]))`, &tiers)
	if tiers["page-1h"] != "firing" || tiers["page-6h"] != "firing, held back by a faster tier" || len(tiers) != 4 {
		t.Errorf("tier states %v, want page-1h firing and the slower ones held back", tiers)
	}
	if txt := b.text("main .firing"); !strings.Contains(txt, "page-1h fires (high urgency)") || !strings.Contains(txt, "above 14.4×") {
		t.Errorf("firing line %q", txt)
	}

	// The chart: the burn-down from the API, a point every 3h and one at
	// now, from 100% at the window's start (x 48, y 12) down to 9.858% at
	// now (x 706, y 12 + 0.90142 × 198 = 190.5), never rising.
	var chart struct {
		Points, APIPoints int
		First, Last       string
		Rises             bool
		Ticks, Label      string
		Freeze            string
	}
	b.eval("chart", `(async () => {
		const d = document.querySelector('svg.budget-chart path.budget-line').getAttribute('d');
		const pts = d.split(/ (?=[ML])/).map((p) => p.slice(1));
		const ys = pts.map((p) => Number(p.split(',')[1]));
		const api = await (await fetch('/api/v1/slos/checkout-availability/burndown')).json();
		return {
			points: pts.length, apiPoints: api.points.length, first: pts[0], last: pts[pts.length - 1],
			rises: ys.some((y, i) => i && y < ys[i - 1]),
			ticks: [...document.querySelectorAll('svg.budget-chart .grid text')].map((t) => t.textContent).join(' '),
			label: document.querySelector('svg.budget-chart').getAttribute('aria-label'),
			freeze: document.querySelector('svg.budget-chart .freeze text').textContent,
		};
	})()`, &chart)
	if chart.Points != 241 || chart.APIPoints != 241 || chart.First != "48,12" || chart.Last != "706,190.5" || chart.Rises {
		t.Errorf("chart: %d points (API %d) from %s to %s, rising %v; want 241 from 48,12 to 706,190.5, never rising", chart.Points, chart.APIPoints, chart.First, chart.Last, chart.Rises)
	}
	if chart.Ticks != "100% 75% 50% 25% 0%" || chart.Freeze != "releases freeze at 25%" || !strings.Contains(chart.Label, "100% at the start, 10% now") {
		t.Errorf("chart labels %q, freeze %q, summary %q", chart.Ticks, chart.Freeze, chart.Label)
	}
	var fits bool
	b.eval("width", fitsWidth, &fits)
	if !fits {
		t.Error("the SLO page scrolls sideways at 1280 pixels")
	}
	b.screenshot("slo", 1280)
	b.do("narrow", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`svg.budget-chart`)))
	b.eval("narrow width", fitsWidth, &fits)
	if !fits {
		t.Error("the SLO page scrolls sideways at 390 pixels")
	}
	b.screenshot("slo-narrow", 390)
	b.do("wide", chromedp.EmulateViewport(1280, 900))

	b.do("an unknown SLO", chromedp.Navigate(s.url+"/slos/nope"), chromedp.WaitVisible(chromedp.Search(`//main//p[contains(., "There is no such SLO")]`)))
}

// TestBrowserRelatedIncidents: checkout and search both need ledger, which
// shows no sign of trouble, so their alerts open two incidents, each
// listing the other; one click on checkout's page merges search's into it.
func TestBrowserRelatedIncidents(t *testing.T) {
	s := newServer(t)
	s.applyShop()
	org := shop()
	org["services"].([]any)[4].(map[string]any)["integrations"] = []any{map[string]any{"type": "generic", "key": "gen-search"}}
	s.apply(org)
	checkout := s.trigger("Checkout down")
	if code := s.call("POST", "/api/v1/integrations/generic/gen-search", "", map[string]any{"summary": "Search down", "severity": "critical", "dedup_key": "s"}, nil); code != http.StatusAccepted {
		t.Fatalf("search alert = %d", code)
	}
	var search incident
	for deadline := time.Now().Add(10 * time.Second); search.ID == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var page struct{ Incidents []incident }
		s.call("GET", "/api/v1/incidents?service=search", adminSecret, nil, &page)
		if len(page.Incidents) == 1 {
			search = page.Incidents[0]
		}
	}
	if search.ID == 0 || search.ID == checkout.ID {
		t.Fatalf("search's incident = %+v, want one of its own beside checkout's %d", search, checkout.ID)
	}

	b := newBrowser(t)
	b.signInAsAdmin(s.url)
	row := fmt.Sprintf(`li[data-related="%d"]`, search.ID)
	b.do("open checkout's incident", chromedp.Navigate(fmt.Sprintf("%s/incidents/%d", s.url, checkout.ID)), chromedp.WaitVisible(chromedp.CSS(row)))
	text := b.text(row)
	for _, want := range []string{fmt.Sprintf("Incident #%d", search.ID), "ledger", "search and checkout both depend on ledger, which shows no sign of trouble"} {
		if !strings.Contains(text, want) {
			t.Errorf("related row %q lacks %q", text, want)
		}
	}
	b.screenshot("incident-related", 1280)
	b.do("merge",
		chromedp.Click(chromedp.CSS(row+` button`)),
		chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//p[@role="status" and contains(., "Merge incident #%d: done")]`, search.ID))))
	b.waitFor("the related section to go", `document.querySelector('section[aria-labelledby=related-title]').hidden`)
	if got := s.incident(checkout.ID); strings.Join(got.Services, ",") != "checkout,search" {
		t.Errorf("checkout's incident after the merge: services %v, want checkout and search", got.Services)
	}
	if got := s.incident(search.ID); got.Status != "resolved" {
		t.Errorf("search's incident after the merge is %s, want resolved", got.Status)
	}
}
