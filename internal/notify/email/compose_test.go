package email

import (
	"bytes"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

var (
	vigilFrom = &mail.Address{Name: "Vigil", Address: "vigil@example.com"}
	aliceAddr = &mail.Address{Address: "alice@example.com"}
)

func mustCompose(t testing.TB, rcptName string, m notify.Message) []byte {
	t.Helper()
	raw, err := compose(vigilFrom, aliceAddr, rcptName, m, notifytest.SendTime)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// emailParts reads a composed message back: its headers and the decoded
// text and HTML parts.
func emailParts(t testing.TB, raw []byte) (mail.Header, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, raw)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	parts := map[string]string{}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		if cte := p.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Fatalf("part encoding %q", cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatalf("quoted-printable: %v", err)
		}
		parts[p.Header.Get("Content-Type")] = string(body)
	}
	if len(parts) != 2 {
		t.Fatalf("got parts %v, want text and HTML", slices.Collect(maps.Keys(parts)))
	}
	return msg.Header, parts["text/plain; charset=utf-8"], parts["text/html; charset=utf-8"]
}

func TestComposeEmailPage(t *testing.T) {
	raw := mustCompose(t, "Alice Martin", notifytest.Page())

	wantHead := "From: \"Vigil\" <vigil@example.com>\r\n" +
		"To: \"Alice Martin\" <alice@example.com>\r\n" +
		"Subject: [Vigil] SEV2 triggered: Checkout latency high (+3 more)\r\n" +
		"Date: Fri, 14 Mar 2025 09:26:53 +0000\r\n" +
		"Message-ID: <n-42-1@vigil>\r\n" +
		"X-Vigil-Idempotency-Key: n-42-1\r\n" +
		"Auto-Submitted: auto-generated\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative;\r\n boundary=\"=_vigil_4fd45da7e2e6094cd47c1ddb\"\r\n" +
		"\r\n"
	if !bytes.HasPrefix(raw, []byte(wantHead)) {
		t.Fatalf("message starts\n%q\nwant\n%q", raw[:min(len(raw), len(wantHead)+40)], wantHead)
	}

	_, text, html := emailParts(t, raw)
	wantText := "SEV2 triggered: Checkout latency high (+3 more)\r\n" +
		"\r\n" +
		"Service: checkout\r\n" +
		"Severity: SEV2\r\n" +
		"Urgency: high\r\n" +
		"Status: triggered\r\n" +
		"\r\n" +
		"p99 over 2s for 10m\r\n" +
		"\r\n" +
		"3 more alerts are grouped into this incident.\r\n" +
		"\r\n" +
		"Acknowledge: https://vigil.example.com/a/ACK.TOKEN\r\n" +
		"Resolve: https://vigil.example.com/a/RES.TOKEN\r\n" +
		"Incident #12: https://vigil.example.com/incidents/12\r\n" +
		"\r\n" +
		"Each action link opens a confirmation page; it works once and expires.\r\n" +
		"\r\n" +
		"-- \r\n" +
		"Vigil\r\n"
	if text != wantText {
		t.Errorf("text part\n%q\nwant\n%q", text, wantText)
	}
	for _, want := range []string{
		`<a href="https://vigil.example.com/a/ACK.TOKEN"`,
		`>Acknowledge</a>`,
		`<a href="https://vigil.example.com/a/RES.TOKEN"`,
		`>Resolve</a>`,
		`<a href="https://vigil.example.com/incidents/12">Incident #12</a>`,
		`<h2 style="margin:0 0 .5em">SEV2 triggered: Checkout latency high (&#43;3 more)</h2>`,
		`<td style="padding:2px 0">checkout</td>`,
		`p99 over 2s for 10m`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(strings.ToLower(html), "<form") || strings.Contains(strings.ToLower(html), "<script") {
		t.Errorf("HTML has a form or a script:\n%s", html)
	}
}

// TestGoldenMessages keeps every variant's whole message: headers, text
// and HTML parts as they go over the wire.
func TestGoldenMessages(t *testing.T) {
	for _, v := range notifytest.Variants() {
		t.Run(v.Name, func(t *testing.T) {
			notifytest.Golden(t, v.Name, mustCompose(t, "Alice Martin", v.Message))
		})
	}
}

func TestEmailSubject(t *testing.T) {
	tests := []struct {
		name string
		m    notify.Message
		want string
	}{
		{name: "page", m: notify.Message{Kind: notify.KindPage, Severity: "SEV1", Status: "triggered", Title: "API down"}, want: "[Vigil] SEV1 triggered: API down"},
		{name: "update", m: notify.Message{Kind: notify.KindUpdate, Severity: "SEV3", Status: "resolved", Title: "Disk"}, want: "[Vigil] SEV3 resolved: Disk"},
		{name: "no severity", m: notify.Message{Kind: notify.KindLowUrgency, Status: "triggered", Title: "Cert expires"}, want: "[Vigil] triggered: Cert expires"},
		{name: "grouped", m: notify.Message{Kind: notify.KindPage, Severity: "SEV2", Status: "triggered", Title: "X", MoreAlerts: 12}, want: "[Vigil] SEV2 triggered: X (+12 more)"},
		{name: "test", m: notify.Message{Kind: notify.KindTest, Title: "ignored"}, want: "[Vigil] Test notification"},
		{name: "empty title", m: notify.Message{Kind: notify.KindPage, Severity: "SEV4", Status: "triggered"}, want: "[Vigil] SEV4 triggered:"},
		{name: "line breaks and tabs", m: notify.Message{Kind: notify.KindPage, Severity: "SEV2\r\n", Status: "triggered", Title: "a\r\nBcc: evil@example.com\t\tb\u2028c"}, want: "[Vigil] SEV2 triggered: a Bcc: evil@example.com b c"},
		{name: "invalid UTF-8", m: notify.Message{Kind: notify.KindPage, Status: "triggered", Title: "caf\xe9"}, want: "[Vigil] triggered: caf\uFFFD"},
		{name: "long", m: notify.Message{Kind: notify.KindPage, Status: "triggered", Title: strings.Repeat("x", 500)}, want: "[Vigil] triggered: " + strings.Repeat("x", 200-len("[Vigil] triggered: ")-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := subjectLine(tt.m); got != tt.want {
				t.Fatalf("emailSubject = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestComposeEmailHostileInput(t *testing.T) {
	m := notifytest.Page()
	m.Title = "Outage\r\nBcc: evil@example.com\r\n\r\nfake body"
	m.IdempotencyKey = "key\r\nBcc: evil@example.com"
	m.Summary = "line\r\n.\r\nMAIL FROM:<x@example.com>"
	m.AcknowledgeURL = "javascript:alert(1)"
	raw := mustCompose(t, "Mallory\r\nBcc: evil@example.com", m)

	h, text, html := emailParts(t, raw)
	wantKeys := []string{"Auto-Submitted", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To", "X-Vigil-Idempotency-Key"}
	var keys []string
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("headers %v, want %v", keys, wantKeys)
	}
	if got := h.Get("Subject"); got != "[Vigil] SEV2 triggered: Outage Bcc: evil@example.com fake body (+3 more)" {
		t.Errorf("Subject %q", got)
	}
	// sha256("key\r\nBcc: evil@example.com") starts f7920a0c28bb7e128c5b07f69dd16d3b
	if got := h.Get("Message-Id"); got != "<kf7920a0c28bb7e128c5b07f69dd16d3b@vigil>" {
		t.Errorf("Message-ID %q, want the hashed form", got)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "alice@example.com" || to[0].Name != "Mallory Bcc: evil@example.com" {
		t.Errorf("To %q parses as %v, %v", h.Get("To"), to, err)
	}
	if !strings.Contains(text, "line\r\n.\r\nMAIL FROM:<x@example.com>") {
		t.Errorf("summary lost in text: %q", text)
	}
	if strings.Contains(html, "javascript:") {
		t.Errorf("HTML keeps a javascript: link:\n%s", html)
	}
}

func TestMessageID(t *testing.T) {
	tests := []struct{ key, want string }{
		{key: "n-42-1", want: "<n-42-1@vigil>"},
		{key: "notif.42.attempt+1", want: "<notif.42.attempt+1@vigil>"},
		// sha256("a b") = c8687a08aa5d6ed2044328fa6a697ab8...
		{key: "a b", want: "<kc8687a08aa5d6ed2044328fa6a697ab8@vigil>"},
		// sha256(".lead") = 76360b5eea34826b5b31d19d79a2d787...
		{key: ".lead", want: "<k76360b5eea34826b5b31d19d79a2d787@vigil>"},
	}
	for _, tt := range tests {
		if got := messageID(tt.key); got != tt.want {
			t.Errorf("messageID(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	for _, key := range []string{"<x>", "a@b", "a..b", "x\r\ny", strings.Repeat("k", 129), "ü"} {
		if got := messageID(key); !strings.HasPrefix(got, "<k") || len(got) != len("<k@vigil>")+32 {
			t.Errorf("messageID(%q) = %q, want the hashed form", key, got)
		}
	}
}

func TestComposeEmailNonASCII(t *testing.T) {
	m := notifytest.Page()
	m.MoreAlerts = 0
	m.Title = "Datenbank überlastet — 数据库"
	raw := mustCompose(t, "Jürgen Groß", m)
	for i, c := range raw {
		if c >= 0x80 {
			t.Fatalf("byte %d is %#x: the message must be 7-bit", i, c)
		}
	}
	h, text, _ := emailParts(t, raw)
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "[Vigil] SEV2 triggered: Datenbank überlastet — 数据库" {
		t.Errorf("Subject decodes to %q, %v", subject, err)
	}
	to, err := h.AddressList("To")
	if err != nil || to[0].Name != "Jürgen Groß" {
		t.Errorf("To %q decodes to %v, %v", h.Get("To"), to, err)
	}
	if !strings.HasPrefix(text, "SEV2 triggered: Datenbank überlastet — 数据库\r\n") {
		t.Errorf("text starts %q", text[:60])
	}
}

func TestComposeEmailLineLengths(t *testing.T) {
	m := notifytest.Page()
	m.Title = strings.Repeat("überlastet ", 40) + strings.Repeat("x", 180)
	m.Summary = strings.Repeat("y", 5000)
	m.AcknowledgeURL = "https://vigil.example.com/a/" + strings.Repeat("T", 900)
	raw := mustCompose(t, strings.Repeat("Name ", 100), m)
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line %d has %d characters", i, len(line))
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i, line)
		}
	}
	h, text, html := emailParts(t, raw)
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != subjectLine(m) {
		t.Errorf("folded Subject decodes to %q, %v; want %q", subject, err, subjectLine(m))
	}
	if !strings.Contains(text, m.AcknowledgeURL) || !strings.Contains(html, m.AcknowledgeURL) {
		t.Errorf("a long link did not survive quoted-printable")
	}
}

func FuzzComposeEmail(f *testing.F) {
	f.Add("Checkout latency high", "Alice", "n-42-1", "p99 over 2s")
	f.Add("a\r\nBcc: x@example.com", "M\r\nX: y", "k\r\n", ".\r\n")
	f.Add("=?utf-8?q?x?=", "\"quoted\"", "<id>", "\x00\xff")
	f.Add(strings.Repeat("ü", 300), strings.Repeat("n", 300), strings.Repeat("k", 300), strings.Repeat("\n", 300))
	f.Fuzz(func(t *testing.T, title, name, key, summary string) {
		m := notifytest.Page()
		m.Title, m.IdempotencyKey, m.Summary = title, key, summary
		raw, err := compose(vigilFrom, aliceAddr, name, m, notifytest.SendTime)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\r\n") {
			if len(line) > 998 || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bad line %q", line)
			}
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("does not parse: %v", err)
		}
		want := 9
		if key == "" {
			want = 7
		}
		if len(msg.Header) != want {
			t.Fatalf("%d headers, want %d: %v", len(msg.Header), want, msg.Header)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || subject != subjectLine(m) {
			t.Fatalf("Subject decodes to %q, %v; want %q", subject, err, subjectLine(m))
		}
	})
}

func BenchmarkComposeEmail(b *testing.B) {
	m := notifytest.Page()
	for b.Loop() {
		if _, err := compose(vigilFrom, aliceAddr, "Alice Martin", m, notifytest.SendTime); err != nil {
			b.Fatal(err)
		}
	}
}
