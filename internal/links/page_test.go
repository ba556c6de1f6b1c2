package links

import (
	"errors"
	"strings"
	"testing"
)

func TestConfirmPage(t *testing.T) {
	ack := sampleAction()
	resolve := sampleAction()
	resolve.Verb = VerbResolve

	tests := []struct {
		name    string
		action  Action
		title   string
		postURL string
		want    []string
		notWant []string
	}{
		{
			name:    "acknowledge",
			action:  ack,
			title:   "Checkout latency high",
			postURL: "https://vigil.example.com/a/TOKEN",
			want: []string{
				"<h1>Acknowledge incident #12: Checkout latency high?</h1>",
				`<form method="post" action="https://vigil.example.com/a/TOKEN">`,
				`<button type="submit" class="primary">Acknowledge</button>`,
				"expires at 2025-03-15 09:26 UTC",
				`<meta name="referrer" content="no-referrer">`,
			},
		},
		{
			name:    "resolve",
			action:  resolve,
			title:   "Disk full",
			postURL: "/a/TOKEN",
			want:    []string{"<h1>Resolve incident #12: Disk full?</h1>", `<button type="submit" class="primary">Resolve</button>`},
		},
		{
			name:    "hostile title is escaped",
			action:  ack,
			title:   `<script>alert("x")</script>`,
			postURL: "/a/T",
			want:    []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"},
			notWant: []string{"<script>"},
		},
		{
			name:    "javascript post URL is neutralised",
			action:  ack,
			title:   "t",
			postURL: "javascript:alert(1)",
			want:    []string{`action="#ZgotmplZ"`},
			notWant: []string{"javascript:"},
		},
		{
			name:    "quote in post URL cannot leave the attribute",
			action:  ack,
			title:   "t",
			postURL: `/a/T" onmouseover="x`,
			want:    []string{`action="/a/T%22%20onmouseover=%22x"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := ConfirmPage(&b, tt.action, tt.title, tt.postURL); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q:\n%s", w, page)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(page, w) {
					t.Errorf("page has %q:\n%s", w, page)
				}
			}
			// Only the POST form acts; the page has no link or script that
			// a scanner could trigger.
			for _, bad := range []string{"<a ", "<script", "<img", "http-equiv", `method="get"`} {
				if strings.Contains(strings.ToLower(page), bad) {
					t.Errorf("page has %q", bad)
				}
			}
		})
	}
}

func TestResultPage(t *testing.T) {
	var b strings.Builder
	if err := ResultPage(&b, `Incident #12 acknowledged by <b>alice</b> & co.`); err != nil {
		t.Fatal(err)
	}
	want := "<p>Incident #12 acknowledged by &lt;b&gt;alice&lt;/b&gt; &amp; co.</p>"
	if !strings.Contains(b.String(), want) {
		t.Fatalf("result page lacks %q:\n%s", want, b.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestPagesReportWriteErrors(t *testing.T) {
	if err := ConfirmPage(failingWriter{}, sampleAction(), "t", "/a"); err == nil {
		t.Fatal("ConfirmPage ignored a write error")
	}
	if err := ResultPage(failingWriter{}, "m"); err == nil {
		t.Fatal("ResultPage ignored a write error")
	}
}
