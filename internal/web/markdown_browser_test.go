package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// renderedMarkdown is the DOM markdown.js built, serialised: text nodes
// come out escaped, so raw HTML in the input shows as &lt;…&gt;.
type renderedMarkdown struct {
	HTML  string   `json:"html"`
	Text  string   `json:"text"`
	Tags  []string `json:"tags"`
	Links []string `json:"links"`
	Pwned any      `json:"pwned"`
}

// renderMarkdown renders text with the UI's own markdown.js in the page,
// in the document, and gives anything the nodes could have started (an
// image's error handler) its turn before looking.
func (b *browser) renderMarkdown(what, text string) renderedMarkdown {
	b.t.Helper()
	input, err := json.Marshal(text)
	if err != nil {
		b.t.Fatal(err)
	}
	var out renderedMarkdown
	b.eval("render "+what, fmt.Sprintf(`(async () => {
		const {markdown} = await import('/assets/markdown.js');
		const root = document.createElement('div');
		document.body.append(root);
		root.append(...markdown(%s));
		await new Promise((resolve) => setTimeout(resolve, 50));
		const out = {html: root.innerHTML, text: root.textContent, pwned: window.pwned ?? null,
			tags: [...new Set([...root.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()))].sort(),
			links: [...root.querySelectorAll('a')].map((a) => a.getAttribute('href'))};
		root.remove();
		return out;
	})()`, input), &out)
	return out
}

// TestBrowserMarkdown: hostile and malformed Markdown through the
// post-mortem renderer (markdown.js) in Chromium. Raw HTML stays text,
// only http(s) links are links (with their URL as an attribute, never
// markup), emphasis nests one level either way, an unclosed code fence
// runs to the end, and inputs as long as a section may be (100,000
// bytes) render without the page's script failing.
func TestBrowserMarkdown(t *testing.T) {
	s := newServer(t)
	b := newBrowser(t)
	b.do("open the app", chromedp.Navigate(s.url+"/"), chromedp.WaitReady(chromedp.CSS("body")))
	const a = ` rel="noopener noreferrer" target="_blank"`
	cases := []struct {
		name, in string
		html     string // the DOM built, serialised
		links    []string
	}{
		{"a script", "<script>window.pwned = 1</script>", "<p>&lt;script&gt;window.pwned = 1&lt;/script&gt;</p>", nil},
		{"an image's handler and an HTML link",
			`<img src=x onerror="window.pwned = 2"> and <a href="javascript:window.pwned=3">x</a>`,
			`<p>&lt;img src=x onerror="window.pwned = 2"&gt; and &lt;a href="javascript:window.pwned=3"&gt;x&lt;/a&gt;</p>`, nil},
		{"links of every scheme: only http(s) link",
			`[a](javascript:window.pwned=4) [b](JavaScript:alert(1)) [c](data:text/html,<b>x</b>) [d](//evil.example.com/x) [e](vbscript:x) [f](http://ok.example.com/a?b=1&c="2")`,
			`<p>a b) c d e <a href="http://ok.example.com/a?b=1&amp;c=&quot;2&quot;"` + a + `>f</a></p>`,
			[]string{`http://ok.example.com/a?b=1&c="2"`}},
		{"quotes in a URL stay in the attribute",
			`[ok](https://e.example.com/"onmouseover="window.pwned=5)`,
			`<p><a href="https://e.example.com/&quot;onmouseover=&quot;window.pwned=5"` + a + `>ok</a></p>`,
			[]string{`https://e.example.com/"onmouseover="window.pwned=5`}},
		{"markup in a link's text is text", "[<b>x</b> **y**](https://e.example.com)",
			`<p><a href="https://e.example.com"` + a + `>&lt;b&gt;x&lt;/b&gt; **y**</a></p>`, []string{"https://e.example.com"}},
		{"nested emphasis", "**bold *em* bold** and *em **bold** em* and ***both*** and __x _y_ z__ and _a __b__ a_",
			"<p><strong>bold <em>em</em> bold</strong> and <em>em <strong>bold</strong> em</em> and <strong><em>both</em></strong> and " +
				"<strong>x <em>y</em> z</strong> and <em>a <strong>b</strong> a</em></p>", nil},
		{"unclosed emphasis and code", "**unclosed and *also and `code **not bold**` and `unclosed",
			"<p>*<em>unclosed and </em>also and <code>code **not bold**</code> and `unclosed</p>", nil},
		{"an unclosed code fence runs to the end", "before\n```\n<b>not bold</b>\n# not a heading\n[x](https://e.example.com)",
			"<p>before</p><pre><code>&lt;b&gt;not bold&lt;/b&gt;\n# not a heading\n[x](https://e.example.com)</code></pre>", nil},
		{"an indented fence with a language", "  ```js\nx()\n  ```\nafter", "<pre><code>x()</code></pre><p>after</p>", nil},
		{"HTML in headings, quotes and tasks",
			"# <i>h</i>\n> quote <b>x</b>\n> [l](javascript:y)\n- [x] done <s>\n- [ ] todo\n3. three\n4. four",
			"<h3>&lt;i&gt;h&lt;/i&gt;</h3><blockquote><p>quote &lt;b&gt;x&lt;/b&gt; l</p></blockquote>" +
				`<ul><li class="task"><input type="checkbox" disabled="" checked="" aria-label="done"> done &lt;s&gt;</li>` +
				`<li class="task"><input type="checkbox" disabled="" aria-label="to do"> todo</li></ul><ol start="3"><li>three</li><li>four</li></ol>`, nil},
		{"quotes nest no deeper than eight", strings.Repeat("> ", 10) + "deep",
			strings.Repeat("<blockquote>", 8) + "<p>&gt; &gt; deep</p>" + strings.Repeat("</blockquote>", 8), nil},
		{"every line ending", "line\r\nbreaks\rold mac\n\n\n", "<p>line breaks old mac</p>", nil},
		{"nothing", "", "", nil},
	}
	for _, c := range cases {
		r := b.renderMarkdown(c.name, c.in)
		if r.HTML != c.html || r.Pwned != nil {
			t.Errorf("%s: %q rendered\n%s\nwant\n%s (pwned %v)", c.name, c.in, r.HTML, c.html, r.Pwned)
		}
		if fmt.Sprint(r.Links) != fmt.Sprint(c.links) {
			t.Errorf("%s: links %q, want %q", c.name, r.Links, c.links)
		}
	}

	// As long as a section may be: each renders, keeps its text, and
	// builds only the elements it should.
	const max = 100_000
	fill := func(prefix, unit string) string {
		return prefix + strings.Repeat(unit, (max-len(prefix))/len(unit))
	}
	long := []struct {
		name, in string
		text     int // bytes of text the DOM holds
		tags     string
	}{
		{"brackets", fill("", "["), max, "p"},
		{"unclosed links", fill("", "[a]("), max, "p"},
		{"emphasis", fill("", "*a"), max / 2, "em,p"},
		{"stars", fill("", "**"), max, "p"},
		{"underscores", fill("", "_a_ "), max/2 - 1, "em,p"},
		{"script tags", fill("", "<script>"), max, "p"},
		// Eight levels take 16 bytes of "> ", and the paragraph its
		// trailing space.
		{"nested quotes", fill("", "> "), max - 17, "blockquote,p"},
		{"a fence never closed", fill("```\n", "<b>\n"), max - 4, "code,pre"},
		{"list items", fill("", "- item\n"), max / 7 * 4, "li,ul"},
	}
	for _, l := range long {
		r := b.renderMarkdown(l.name, l.in)
		if len(r.Text) != l.text || strings.Join(r.Tags, ",") != l.tags || r.Pwned != nil {
			t.Errorf("%s, %d bytes: %d of text with %v, want %d with %s", l.name, len(l.in), len(r.Text), r.Tags, l.text, l.tags)
		}
	}
}
