package web

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// overrideList is what the tests read of a schedule's overrides.
type overrideList struct {
	Overrides []struct {
		ID        string    `json:"id"`
		User      string    `json:"user"`
		Replaces  string    `json:"replaces"`
		Start     time.Time `json:"start"`
		End       time.Time `json:"end"`
		Source    string    `json:"source"`
		CreatedBy string    `json:"created_by"`
	} `json:"overrides"`
}

func (s *server) overrides(schedule string) overrideList {
	s.t.Helper()
	var l overrideList
	if code := s.call("GET", "/api/v1/schedules/"+schedule+"/overrides", adminSecret, nil, &l); code != 200 {
		s.t.Fatalf("list overrides = %d", code)
	}
	return l
}

// signInAs signs in at the server with a user id and password, in a
// browser that forgets any earlier session.
func (b *browser) signInAs(url, user, password string) {
	b.t.Helper()
	b.clearCookies()
	b.do("sign in as "+user,
		chromedp.Navigate(url+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=user]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[aria-labelledby=pw-title] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#incident-list`)))
}

// setField sets a form control's value as a person would, firing input
// and change.
func (b *browser) setField(sel, value string) {
	b.t.Helper()
	var ok bool
	b.eval("set "+sel, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return false;
		el.value = %q;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, sel, value), &ok)
	if !ok {
		b.fail("set "+sel, fmt.Errorf("no element"))
	}
}

// The schedule editor, at Sunday 2026-03-01 12:00 UTC. shop-oncall
// (Berlin) rotates alice and carol daily at 09:00 from Monday Jan 5:
// alice holds the days from Monday Mar 2 09:00, carol Tuesday's, and so
// on. A configured override puts carol on alone on Monday Mar 9.
func TestBrowserScheduleEditor(t *testing.T) {
	s := newServerAt(t, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	org := shop()
	sched := org["schedules"].([]any)[0].(map[string]any)
	sched["overrides"] = []any{map[string]any{"id": "planned", "user": "carol", "start": "2026-03-09T09:00:00+01:00", "end": "2026-03-10T09:00:00+01:00"}}
	s.apply(org)
	for _, u := range []string{"alice", "carol"} {
		if code := s.call("PUT", "/api/v1/users/"+u+"/password", adminSecret, map[string]string{"password": alicePassword}, nil); code != 204 {
			t.Fatalf("password of %s = %d", u, code)
		}
	}
	b := newBrowser(t)
	b.emulateZone("America/New_York", "en_US")
	b.signInAs(s.url, "alice", alicePassword)
	page := s.url + "/schedules/shop-oncall?from=2026-03-02"
	b.do("schedule", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`svg.timeline`)))

	// Two weeks from Monday midnight in Berlin: a row per layer, the
	// overrides and the final rotation; the files' schedule is read-only.
	var view struct {
		Rows     []string
		Days     int
		FirstDay string
		Zone     string
		Final    []string
		Note     string
		Planned  string
	}
	readView := `({
		rows: [...document.querySelectorAll('svg.timeline g.row')].map((g) => g.dataset.row),
		days: document.querySelectorAll('svg.timeline g.day').length,
		firstDay: document.querySelector('svg.timeline g.day').dataset.day,
		zone: document.querySelector('svg.timeline').dataset.zone,
		final: [...document.querySelectorAll('svg.timeline g.row-final g.bar')].slice(0, 3).map((g) => g.dataset.user + '@' + new Date(g.dataset.start).toISOString()),
		note: (document.querySelector('[data-note=config]') || {}).textContent || '',
		planned: (document.querySelector('tr[data-override=planned]') || {}).textContent || '',
	})`
	b.eval("the timeline", readView, &view)
	if want := []string{"layer daily", "overrides", "final: who is paged"}; !reflect.DeepEqual(view.Rows, want) {
		t.Errorf("rows %q, want %q", view.Rows, want)
	}
	if view.Days != 14 || view.FirstDay != "2026-03-01T23:00:00.000Z" || view.Zone != "Europe/Berlin" {
		t.Errorf("%d days from %s in %q, want 14 from Berlin's Monday midnight (2026-03-01T23:00:00.000Z)", view.Days, view.FirstDay, view.Zone)
	}
	if want := []string{"carol@2026-03-01T23:00:00.000Z", "alice@2026-03-02T08:00:00.000Z", "carol@2026-03-03T08:00:00.000Z"}; !reflect.DeepEqual(view.Final, want) {
		t.Errorf("final rotation begins %q, want %q", view.Final, want)
	}
	if !strings.Contains(view.Note, "defined in the configuration files") || !strings.Contains(view.Planned, "read-only") {
		t.Errorf("read-only notes: page %q, configured override row %q", view.Note, view.Planned)
	}
	var plannedClickable bool
	b.eval("configured override bar", `document.querySelector('svg.timeline g.override.config').getAttribute('role') === 'button' ||
		!!document.querySelector('tr[data-override=planned] button')`, &plannedClickable)
	if plannedClickable {
		t.Error("the configured override can be edited in the UI")
	}

	// The reader's zone: days from New York's Monday midnight.
	b.do("reader's zone", chromedp.Click(chromedp.CSS(`input[name=zone][value=""]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('svg.timeline').dataset.zone === ''`, chromedp.WithPollingTimeout(30*time.Second)))
	b.eval("the timeline in New York", readView, &view)
	if view.FirstDay != "2026-03-02T05:00:00.000Z" || view.Days != 14 {
		t.Errorf("in the reader's zone: %d days from %s, want 14 from 2026-03-02T05:00:00.000Z", view.Days, view.FirstDay)
	}
	b.do("schedule's zone", chromedp.Click(chromedp.CSS(`input[name=zone][value="Europe/Berlin"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('svg.timeline').dataset.zone === 'Europe/Berlin'`, chromedp.WithPollingTimeout(30*time.Second)))

	// Create: carol on Thursday 10:00–14:00 Berlin time.
	b.setField(`form.override-form select[name=user]`, "carol")
	b.setField(`form.override-form input[name=start]`, "2026-03-05T10:00")
	b.setField(`form.override-form input[name=end]`, "2026-03-05T14:00")
	b.do("add override", chromedp.Click(chromedp.CSS(`form.override-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.timeline g.override.api`)))
	made := s.overrides("shop-oncall").Overrides
	if len(made) != 2 || made[1].Source != "api" || made[1].User != "carol" || made[1].CreatedBy != "user:alice" ||
		!made[1].Start.Equal(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)) || !made[1].End.Equal(time.Date(2026, 3, 5, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("overrides after adding one: %+v", made)
	}
	id := made[1].ID

	// The API's checks hold in the form: an end before the start.
	b.setField(`form.override-form select[name=user]`, "carol")
	b.setField(`form.override-form input[name=start]`, "2026-03-06T10:00")
	b.setField(`form.override-form input[name=end]`, "2026-03-06T09:00")
	b.do("a bad override", chromedp.Click(chromedp.CSS(`form.override-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.override-form p.error`)))
	if msg := b.text(`form.override-form p.error`); !strings.Contains(msg, "Could not add the override") || !strings.Contains(msg, "400") {
		t.Errorf("the form says %q", msg)
	}

	// Move: choose the bar, give Friday 10:00–12:00.
	b.do("choose the override", chromedp.Click(chromedp.CSS(`svg.timeline g.override.api`)),
		chromedp.WaitVisible(chromedp.CSS(`form.override-form[data-mode=move]`)))
	var prefilled []string
	b.eval("prefilled", `['user', 'start', 'end'].map((n) => document.querySelector('form.override-form [name=' + n + ']').value)`, &prefilled)
	if want := []string{"carol", "2026-03-05T10:00", "2026-03-05T14:00"}; !reflect.DeepEqual(prefilled, want) {
		t.Errorf("the move form shows %q, want %q", prefilled, want)
	}
	b.setField(`form.override-form input[name=start]`, "2026-03-06T10:00")
	b.setField(`form.override-form input[name=end]`, "2026-03-06T12:00")
	b.do("move", chromedp.Click(chromedp.CSS(`form.override-form button[type=submit]`)),
		chromedp.Poll[chromedp.Void](`new Date((document.querySelector('svg.timeline g.override.api') || {dataset: {start: 0}}).dataset.start).getTime() === Date.parse('2026-03-06T09:00:00Z')`,
			chromedp.WithPollingTimeout(30*time.Second)))
	moved := s.overrides("shop-oncall").Overrides
	if len(moved) != 2 || moved[1].ID != id || !moved[1].Start.Equal(time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)) || !moved[1].End.Equal(time.Date(2026, 3, 6, 11, 0, 0, 0, time.UTC)) {
		t.Fatalf("overrides after the move: %+v", moved)
	}

	// Delete.
	b.do("delete", chromedp.Click(chromedp.CSS(`tr[data-override="`+id+`"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.override-form[data-mode=move] button.danger`)),
		chromedp.Click(chromedp.CSS(`form.override-form button.danger`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector('svg.timeline g.override.api')`, chromedp.WithPollingTimeout(30*time.Second)))
	if left := s.overrides("shop-oncall").Overrides; len(left) != 1 || left[0].ID != "planned" {
		t.Fatalf("overrides after the deletion: %+v", left)
	}
	b.screenshot("schedule-editor", 1280)

	// Ask for cover: alice picks her Monday shift on the timeline.
	b.do("pick a shift", chromedp.Click(chromedp.CSS(`svg.timeline g.row-final g.bar[data-user=alice]`)))
	var span []string
	b.eval("cover form", `['start', 'end'].map((n) => document.querySelector('form.cover-form [name=' + n + ']').value)`, &span)
	if want := []string{"2026-03-02T09:00", "2026-03-03T09:00"}; !reflect.DeepEqual(span, want) {
		t.Errorf("the cover form shows %q, want alice's shift %q", span, want)
	}
	b.do("ask for cover", chromedp.Click(chromedp.CSS(`form.cover-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-cover][data-status=open]`)))
	var coverID string
	b.eval("request id", `document.querySelector('tr[data-cover][data-status=open]').dataset.cover`, &coverID)

	// carol, her teammate, opens the link of the notice and accepts.
	b.signInAs(s.url, "carol", alicePassword)
	b.do("carol's link", chromedp.Navigate(page+"&cover="+coverID), chromedp.WaitVisible(chromedp.CSS(`tr.highlight[data-cover="`+coverID+`"] button[data-act=accept]`)))
	b.do("accept", chromedp.Click(chromedp.CSS(`tr[data-cover="`+coverID+`"] button[data-act=accept]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-cover="`+coverID+`"][data-status=accepted]`)))
	var mondayUser string
	b.eval("Monday", `[...document.querySelectorAll('svg.timeline g.row-final g.bar')].filter((g) => Date.parse(g.dataset.start) <= Date.parse('2026-03-02T08:00:00Z') && Date.parse(g.dataset.end) > Date.parse('2026-03-02T08:00:00Z')).map((g) => g.dataset.user).join()`, &mondayUser)
	if mondayUser != "carol" {
		t.Errorf("on call Monday 09:00 Berlin after the swap: %q, want carol", mondayUser)
	}

	// bob, on no team of this schedule, reads it and changes nothing.
	b.clearCookies()
	b.do("bob", chromedp.Navigate(s.url+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), bobSecret),
		chromedp.Click(chromedp.CSS(`form[aria-labelledby=tok-title] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#incident-list`)),
		chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`[data-note=no-rights]`)))
	var bobCan struct{ Form, Clickable bool }
	b.eval("bob's rights", `({form: !!document.querySelector('form.override-form'), clickable: !!document.querySelector('svg.timeline g.override[role=button]')})`, &bobCan)
	if bobCan.Form || bobCan.Clickable {
		t.Errorf("bob may edit overrides in the UI: %+v", bobCan)
	}
	var missing []string
	b.eval("labels", unlabelled, &missing)
	if len(missing) > 0 {
		t.Errorf("controls without a label: %q", missing)
	}
}

// The wall-clock helpers the schedule editor reads and writes times with,
// across both DST changes of 2026 in Berlin.
func TestBrowserWallClock(t *testing.T) {
	s := newServer(t)
	b := newBrowser(t)
	b.do("open", chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)))
	b.emulateZone("Asia/Kolkata", "en_US")
	var got []string
	b.eval("wall clock", `import('/assets/format.js').then((m) => [
		m.fromWall('2026-03-02T10:00', 'Europe/Berlin').toISOString(),
		m.fromWall('2026-07-02T10:00', 'Europe/Berlin').toISOString(),
		m.fromWall('2026-03-29T02:30', 'Europe/Berlin').toISOString(),  // skipped: read before the change
		m.fromWall('2026-10-25T02:30', 'Europe/Berlin').toISOString(),  // repeated: the first
		m.fromWall('2026-03-02T10:00', 'America/New_York').toISOString(),
		m.fromWall('2026-03-02T10:00').toISOString(),                     // the reader's zone
		String(m.fromWall('bogus', 'UTC')),
		String(m.fromWall('2026-03-02', 'UTC')),
		m.toWall(new Date('2026-03-29T01:30:00Z'), 'Europe/Berlin'),
		m.toWall(new Date('2026-03-02T04:30:00Z')),
		...m.midnights(new Date('2026-03-28T12:00:00Z'), 2, 'Europe/Berlin').map((d) => d.toISOString()),
		...m.midnights(new Date('2026-10-24T12:00:00Z'), 2, 'Europe/Berlin').map((d) => d.toISOString()),
	])`, &got)
	want := []string{
		"2026-03-02T09:00:00.000Z",
		"2026-07-02T08:00:00.000Z",
		"2026-03-29T01:30:00.000Z",
		"2026-10-25T00:30:00.000Z",
		"2026-03-02T15:00:00.000Z",
		"2026-03-02T04:30:00.000Z",
		"null",
		"null",
		"2026-03-29T03:30",
		"2026-03-02T10:00",
		"2026-03-27T23:00:00.000Z", "2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z",
		"2026-10-23T22:00:00.000Z", "2026-10-24T22:00:00.000Z", "2026-10-25T23:00:00.000Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("wall clock =\n%q\nwant\n%q", got, want)
	}
}
