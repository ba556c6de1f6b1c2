package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// hostileSummary is Markdown with HTML and a script link in it: the page
// must show all of it as text.
const hostileSummary = "Checkout failed **for 20 minutes** after deploy `4711`.\n\n" +
	"<script>window.pwned = 1</script> <img src=x onerror=\"window.pwned = 2\">\n\n" +
	"- the canary was skipped\n- [the tracker](https://tracker.example.com/SF-1) and [this](javascript:window.pwned=3)\n"

// TestBrowserPostmortem: from a resolved incident's page, a post-mortem is
// drafted, a section edited as Markdown (rendered without any of its raw
// HTML), an edit made on a stale version refused with the text kept, the
// review moved from draft to in review to published, and an action item
// added and found in the org-wide list filtered by team.
func TestBrowserPostmortem(t *testing.T) {
	s := newServer(t)
	s.applyShop()
	inc := s.trigger("Checkout is failing")
	if code := s.call("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", inc.ID), adminSecret, map[string]any{}, nil); code != http.StatusOK {
		t.Fatalf("resolve = %d", code)
	}
	b := newBrowser(t)
	b.emulateZone("UTC", "en_US")
	b.signInAsAdmin(s.url)
	pmURL := fmt.Sprintf("/postmortems/%d", inc.ID)

	// The incident page says the policy requires one (a critical alert is
	// a SEV2), and drafts it.
	b.do("open the incident", chromedp.Navigate(fmt.Sprintf("%s/incidents/%d", s.url, inc.ID)),
		chromedp.WaitVisible(chromedp.CSS(`section.postmortem button.primary`)))
	if req := b.text("section.postmortem p.required"); !strings.Contains(req, "severity SEV2") {
		t.Errorf("required says %q", req)
	}
	b.do("draft", chromedp.Click(chromedp.CSS(`section.postmortem button.primary`)))
	b.waitFor("the post-mortem page", fmt.Sprintf(`location.pathname === %q && !!document.querySelector('.pm-status')`, pmURL))
	if st := b.text(".pm-status"); st != "draft" {
		t.Errorf("status %q, want draft", st)
	}
	var drafted string
	b.eval("the drafted timeline", `document.querySelector('section[data-section=timeline] .markdown').textContent`, &drafted)
	if !strings.Contains(drafted, "Checkout is failing") {
		t.Errorf("the draft's timeline: %q", drafted)
	}

	// Edit the summary as Markdown.
	edit := func(section, text string) {
		t.Helper()
		b.do("open the editor of "+section, chromedp.Click(chromedp.CSS(`section[data-section=`+section+`] button.edit`)),
			chromedp.WaitVisible(chromedp.CSS(`textarea[name=`+section+`]`)))
		var ok bool
		b.eval("type and save "+section, fmt.Sprintf(`(() => {
			const area = document.querySelector('textarea[name=%s]');
			area.value = %q;
			area.form.requestSubmit();
			return true;
		})()`, section, text), &ok)
	}
	edit("summary", hostileSummary)
	b.waitFor("the rendered summary", `!!document.querySelector('section[data-section=summary] .markdown strong')`)
	var rendered struct {
		Text    string   `json:"text"`
		Tags    []string `json:"tags"`
		Links   []string `json:"links"`
		Pwned   any      `json:"pwned"`
		Version string   `json:"version"`
	}
	b.eval("the summary as rendered", `(() => {
		const el = document.querySelector('section[data-section=summary] .markdown');
		return {text: el.textContent, tags: [...new Set([...el.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()))].sort(),
			links: [...el.querySelectorAll('a')].map((a) => a.href), pwned: window.pwned ?? null,
			version: document.querySelector('p.done').textContent};
	})()`, &rendered)
	if strings.Join(rendered.Tags, ",") != "a,code,li,p,strong,ul" || rendered.Pwned != nil {
		t.Errorf("rendered elements %v (pwned %v), want only a, code, li, p, strong, ul", rendered.Tags, rendered.Pwned)
	}
	if !strings.Contains(rendered.Text, `<script>window.pwned = 1</script> <img src=x onerror="window.pwned = 2">`) {
		t.Errorf("the raw HTML is not shown as text: %q", rendered.Text)
	}
	if len(rendered.Links) != 1 || rendered.Links[0] != "https://tracker.example.com/SF-1" || !strings.Contains(rendered.Text, "this") {
		t.Errorf("links %v: want the tracker only, the javascript: one as text", rendered.Links)
	}
	if !strings.Contains(rendered.Version, "version 2") {
		t.Errorf("after saving: %q", rendered.Version)
	}

	// Someone else saves meanwhile: an edit made on version 2 is refused,
	// and what was typed stays in the editor.
	if code := s.call("PUT", "/api/v1/postmortems/"+fmt.Sprint(inc.ID), adminSecret, map[string]any{"version": 2, "went_well": "The IRT joined at once."}, nil); code != http.StatusOK {
		t.Fatalf("the other edit = %d", code)
	}
	edit("impact", "Every checkout failed.")
	b.waitFor("the conflict", `!document.querySelector('p.error[role=alert]').hidden`)
	if msg := b.text("p.error[role=alert]"); !strings.Contains(msg, "someone else changed this post-mortem") || !strings.Contains(msg, "version 3") {
		t.Errorf("conflict says %q", msg)
	}
	var kept string
	b.eval("the editor after the conflict", `document.querySelector('textarea[name=impact]').value`, &kept)
	if kept != "Every checkout failed." {
		t.Errorf("the editor holds %q after the conflict", kept)
	}

	// Reload: their change shows; the review moves on.
	b.do("reload", chromedp.Navigate(s.url+pmURL), chromedp.WaitVisible(chromedp.CSS(`button[data-to=in_review]`)))
	if ww := b.text("section[data-section=went_well] .markdown"); ww != "The IRT joined at once." {
		t.Errorf("went well: %q", ww)
	}
	for _, step := range []struct{ button, status string }{{"in_review", "in review"}, {"published", "published"}} {
		b.do("move to "+step.status, chromedp.Click(chromedp.CSS(`button[data-to=`+step.button+`]`)))
		b.waitFor(step.status, fmt.Sprintf(`document.querySelector('.pm-status') && document.querySelector('.pm-status').textContent === %q`, step.status))
	}
	var editable int
	b.eval("edit buttons once published", `[...document.querySelectorAll('section.pm-section button.edit')].filter((e) => !e.disabled).length`, &editable)
	if editable != 0 {
		t.Errorf("%d sections still editable once published", editable)
	}

	// An action item, added on the page, shows in the org-wide list of the
	// shop's open items.
	b.waitFor("the teams", `document.querySelectorAll('form.add-item select[name=owner_team] option').length > 1`)
	var added bool
	b.eval("add an action item", `(() => {
		const f = document.querySelector('form.add-item');
		f.closest('details').open = true;
		f.querySelector('[name=title]').value = 'Canary every deploy';
		f.querySelector('[name=owner_team]').value = 'shop';
		f.querySelector('[name=due]').value = '2026-12-20';
		f.querySelector('[name=url]').value = 'https://tracker.example.com/SF-2';
		f.requestSubmit();
		return true;
	})()`, &added)
	b.waitFor("the item", `!!document.querySelector('tr[data-item]')`)
	b.do("the action items of the shop", chromedp.Navigate(s.url+"/action-items?status=open&team=shop"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-item]`)))
	if row := b.text("tr[data-item]"); !strings.Contains(row, "Canary every deploy") || !strings.Contains(row, "shop") {
		t.Errorf("action items row: %q", row)
	}
	b.do("the search team's", chromedp.Navigate(s.url+"/action-items?status=open&team=search-team"),
		chromedp.WaitVisible(chromedp.CSS(`p.empty`)))

	// The list of post-mortems has it, published; nothing required is
	// left.
	b.do("the list", chromedp.Navigate(s.url+"/postmortems"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-postmortem="%d"]`, inc.ID))))
	if row := b.text(fmt.Sprintf(`tr[data-postmortem="%d"]`, inc.ID)); !strings.Contains(row, "published") || !strings.Contains(row, "1 open of 1") {
		t.Errorf("list row: %q", row)
	}
	if empty := b.text("section.required-postmortems p.empty"); !strings.Contains(empty, "published") {
		t.Errorf("required: %q", empty)
	}
	var missing []string
	b.eval("labels", unlabelled, &missing)
	if len(missing) != 0 {
		t.Errorf("controls without a label: %v", missing)
	}
}
