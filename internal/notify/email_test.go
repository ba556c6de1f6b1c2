package notify

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"maps"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	vigilFrom = &mail.Address{Name: "Vigil", Address: "vigil@example.com"}
	aliceAddr = &mail.Address{Address: "alice@example.com"}
)

func mustCompose(t testing.TB, rcptName string, m Message) []byte {
	t.Helper()
	raw, err := composeEmail(vigilFrom, aliceAddr, rcptName, m, sendTime)
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
	raw := mustCompose(t, "Alice Martin", pageMessage())

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

func TestEmailSubject(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{name: "page", m: Message{Kind: KindPage, Severity: "SEV1", Status: "triggered", Title: "API down"}, want: "[Vigil] SEV1 triggered: API down"},
		{name: "update", m: Message{Kind: KindUpdate, Severity: "SEV3", Status: "resolved", Title: "Disk"}, want: "[Vigil] SEV3 resolved: Disk"},
		{name: "no severity", m: Message{Kind: KindLowUrgency, Status: "triggered", Title: "Cert expires"}, want: "[Vigil] triggered: Cert expires"},
		{name: "grouped", m: Message{Kind: KindPage, Severity: "SEV2", Status: "triggered", Title: "X", MoreAlerts: 12}, want: "[Vigil] SEV2 triggered: X (+12 more)"},
		{name: "test", m: Message{Kind: KindTest, Title: "ignored"}, want: "[Vigil] Test notification"},
		{name: "empty title", m: Message{Kind: KindPage, Severity: "SEV4", Status: "triggered"}, want: "[Vigil] SEV4 triggered:"},
		{name: "line breaks and tabs", m: Message{Kind: KindPage, Severity: "SEV2\r\n", Status: "triggered", Title: "a\r\nBcc: evil@example.com\t\tb\u2028c"}, want: "[Vigil] SEV2 triggered: a Bcc: evil@example.com b c"},
		{name: "invalid UTF-8", m: Message{Kind: KindPage, Status: "triggered", Title: "caf\xe9"}, want: "[Vigil] triggered: caf\uFFFD"},
		{name: "long", m: Message{Kind: KindPage, Status: "triggered", Title: strings.Repeat("x", 500)}, want: "[Vigil] triggered: " + strings.Repeat("x", 200-len("[Vigil] triggered: ")-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := emailSubject(tt.m); got != tt.want {
				t.Fatalf("emailSubject = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestComposeEmailHostileInput(t *testing.T) {
	m := pageMessage()
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
	m := pageMessage()
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
	m := pageMessage()
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
	if err != nil || subject != emailSubject(m) {
		t.Errorf("folded Subject decodes to %q, %v; want %q", subject, err, emailSubject(m))
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
		m := pageMessage()
		m.Title, m.IdempotencyKey, m.Summary = title, key, summary
		raw, err := composeEmail(vigilFrom, aliceAddr, name, m, sendTime)
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
		if err != nil || subject != emailSubject(m) {
			t.Fatalf("Subject decodes to %q, %v; want %q", subject, err, emailSubject(m))
		}
	})
}

func BenchmarkComposeEmail(b *testing.B) {
	m := pageMessage()
	for b.Loop() {
		if _, err := composeEmail(vigilFrom, aliceAddr, "Alice Martin", m, sendTime); err != nil {
			b.Fatal(err)
		}
	}
}

// fakeSMTP is a scripted SMTP server: it answers every command with 250
// (or what replies says for the verb) and records the conversation.
type fakeSMTP struct {
	greeting   string            // default "220 fake ESMTP"
	extensions []string          // EHLO lines after the first
	replies    map[string]string // verb ("RCPT", "DATA-END", ...) to reply line
	tlsConfig  *tls.Config       // for STARTTLS
	silent     bool              // accept and never answer

	mu         sync.Mutex
	transcript []string
	messages   []string
}

func (f *fakeSMTP) record(line string) {
	f.mu.Lock()
	f.transcript = append(f.transcript, line)
	f.mu.Unlock()
}

func (f *fakeSMTP) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.messages...)
}

func (f *fakeSMTP) lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.transcript...)
}

// start listens on loopback and serves until the test ends.
func (f *fakeSMTP) start(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var connMu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			connMu.Lock()
			conns = append(conns, conn)
			connMu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				f.serve(conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		connMu.Lock()
		for _, c := range conns {
			c.Close()
		}
		connMu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func (f *fakeSMTP) reply(verb, def string) string {
	if r, ok := f.replies[verb]; ok {
		return r
	}
	return def
}

func (f *fakeSMTP) serve(conn net.Conn) {
	if f.silent {
		io.Copy(io.Discard, conn)
		return
	}
	r := bufio.NewReader(conn)
	w := conn
	tlsUsed := false
	send := func(s string) bool { _, err := io.WriteString(w, s+"\r\n"); return err == nil }
	greeting := f.greeting
	if greeting == "" {
		greeting = "220 fake ESMTP"
	}
	if !send(greeting) || !strings.HasPrefix(greeting, "220") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.record(line)
		verb, _, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		switch verb {
		case "EHLO":
			out := "250-fake greets you"
			exts := f.extensions
			if tlsUsed {
				exts = slices.DeleteFunc(slices.Clone(exts), func(e string) bool { return e == "STARTTLS" })
			}
			for _, e := range exts {
				out += "\r\n250-" + e
			}
			out += "\r\n250 8BITMIME"
			if !send(out) {
				return
			}
		case "STARTTLS":
			if !send(f.reply("STARTTLS", "220 go ahead")) {
				return
			}
			tc := tls.Server(conn, f.tlsConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			tlsUsed = true
			w, r = tc, bufio.NewReader(tc)
		case "DATA":
			if !send(f.reply("DATA", "354 go on")) || !strings.HasPrefix(f.reply("DATA", "354"), "354") {
				continue
			}
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			end := f.reply("DATA-END", "250 queued")
			if strings.HasPrefix(end, "250") {
				f.mu.Lock()
				f.messages = append(f.messages, msg.String())
				f.mu.Unlock()
			}
			if !send(end) {
				return
			}
		case "QUIT":
			send("221 bye")
			return
		case "AUTH":
			if !send(f.reply("AUTH", "235 ok")) {
				return
			}
		default:
			if !send(f.reply(verb, "250 ok")) {
				return
			}
		}
	}
}

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := net.LookupPort("tcp", port)
	return host, p
}

func emailTo(addr string) Destination {
	return Destination{Type: "email", UserID: "alice", UserName: "Alice Martin", Address: addr}
}

func newTestEmail(t *testing.T, addr string, mod func(*SMTPConfig)) Channel {
	host, port := hostPort(t, addr)
	cfg := SMTPConfig{
		Host: host, Port: port, From: "Vigil <vigil@example.com>",
		Hostname: "vigil.test", Timeout: 5 * time.Second,
		Now: func() time.Time { return sendTime },
	}
	if mod != nil {
		mod(&cfg)
	}
	return NewEmail(cfg)
}

func TestEmailConversation(t *testing.T) {
	srv := &fakeSMTP{}
	addr := srv.start(t)
	ch := newTestEmail(t, addr, nil)
	if ch.Type() != "email" {
		t.Fatalf("Type %q", ch.Type())
	}
	if err := ch.Send(context.Background(), emailTo("alice@example.com"), pageMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := []string{"EHLO vigil.test", "MAIL FROM:<vigil@example.com> BODY=8BITMIME", "RCPT TO:<alice@example.com>", "DATA", "QUIT"}
	if got := srv.lines(); !slices.Equal(got, want) {
		t.Fatalf("conversation %q, want %q", got, want)
	}
	if got := srv.received(); len(got) != 1 || !strings.HasPrefix(got[0], "From: \"Vigil\" <vigil@example.com>\r\nTo: \"Alice Martin\" <alice@example.com>\r\n") {
		t.Fatalf("messages %q", srv.received())
	}
}

func TestEmailFailureClasses(t *testing.T) {
	tests := []struct {
		name      string
		srv       *fakeSMTP
		cfg       func(*SMTPConfig)
		to        string
		permanent bool
	}{
		{name: "mailbox unknown", srv: &fakeSMTP{replies: map[string]string{"RCPT": "550 5.1.1 no such user"}}, permanent: true},
		{name: "mailbox busy", srv: &fakeSMTP{replies: map[string]string{"RCPT": "450 4.2.1 try later"}}},
		{name: "service unavailable at greeting", srv: &fakeSMTP{greeting: "421 4.3.2 shutting down"}},
		{name: "no service at greeting", srv: &fakeSMTP{greeting: "554 5.3.2 go away"}, permanent: true},
		{name: "sender refused", srv: &fakeSMTP{replies: map[string]string{"MAIL": "553 5.7.1 not allowed"}}, permanent: true},
		{name: "greylisted", srv: &fakeSMTP{replies: map[string]string{"MAIL": "451 4.7.1 greylisted"}}},
		{name: "message rejected", srv: &fakeSMTP{replies: map[string]string{"DATA-END": "554 5.7.1 spam"}}, permanent: true},
		{name: "message deferred", srv: &fakeSMTP{replies: map[string]string{"DATA-END": "452 4.3.1 disk full"}}},
		{name: "DATA refused for now", srv: &fakeSMTP{replies: map[string]string{"DATA": "421 4.4.2 timeout"}}},
		{
			name:      "credentials refused",
			srv:       &fakeSMTP{extensions: []string{"AUTH PLAIN LOGIN"}, replies: map[string]string{"AUTH": "535 5.7.8 bad credentials"}},
			cfg:       func(c *SMTPConfig) { c.Username, c.Password = "vigil", "wrong" },
			permanent: true,
		},
		{
			name:      "username but no AUTH offered",
			srv:       &fakeSMTP{},
			cfg:       func(c *SMTPConfig) { c.Username, c.Password = "vigil", "pw" },
			permanent: true,
		},
		{
			name:      "STARTTLS required, not offered",
			srv:       &fakeSMTP{},
			cfg:       func(c *SMTPConfig) { c.StartTLS = true },
			permanent: true,
		},
		{name: "recipient does not parse", srv: &fakeSMTP{}, to: "not an address", permanent: true},
		{name: "recipient with a line break", srv: &fakeSMTP{}, to: "alice@example.com\r\nRCPT TO:<evil@example.com>", permanent: true},
		{name: "sender does not parse", srv: &fakeSMTP{}, cfg: func(c *SMTPConfig) { c.From = "vigil" }, permanent: true},
		{
			name:      "password would go out unencrypted",
			srv:       &fakeSMTP{extensions: []string{"AUTH PLAIN"}},
			cfg:       func(c *SMTPConfig) { c.Host, c.Username, c.Password = "smtp.invalid", "vigil", "pw" },
			permanent: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.srv.start(t)
			to := tt.to
			if to == "" {
				to = "alice@example.com"
			}
			err := newTestEmail(t, addr, tt.cfg).Send(context.Background(), emailTo(to), pageMessage())
			checkErrClass(t, err, true, tt.permanent)
			if len(tt.srv.received()) != 0 {
				t.Fatalf("server kept a message despite the failure")
			}
			for _, l := range tt.srv.lines() {
				if strings.Contains(l, "evil@") {
					t.Fatalf("injected command reached the server: %q", l)
				}
			}
		})
	}
}

func TestEmailNetworkFailures(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		err = newTestEmail(t, addr, nil).Send(context.Background(), emailTo("alice@example.com"), pageMessage())
		checkErrClass(t, err, true, false)
	})
	t.Run("server never answers, context deadline", func(t *testing.T) {
		addr := (&fakeSMTP{silent: true}).start(t)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err := newTestEmail(t, addr, nil).Send(ctx, emailTo("alice@example.com"), pageMessage())
		checkErrClass(t, err, true, false)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %q does not wrap the deadline", err)
		}
	})
	t.Run("server never answers, cancelled", func(t *testing.T) {
		addr := (&fakeSMTP{silent: true}).start(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		err := newTestEmail(t, addr, nil).Send(ctx, emailTo("alice@example.com"), pageMessage())
		checkErrClass(t, err, true, false)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %q does not wrap the cancellation", err)
		}
	})
	t.Run("server never answers, configured timeout", func(t *testing.T) {
		addr := (&fakeSMTP{silent: true}).start(t)
		err := newTestEmail(t, addr, func(c *SMTPConfig) { c.Timeout = 100 * time.Millisecond }).Send(context.Background(), emailTo("alice@example.com"), pageMessage())
		checkErrClass(t, err, true, false)
	})
}

func TestEmailStartTLS(t *testing.T) {
	certPEM, keyPEM := selfSignedCert(t)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)

	t.Run("upgrade, then auth", func(t *testing.T) {
		srv := &fakeSMTP{extensions: []string{"STARTTLS", "AUTH PLAIN"}, tlsConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
		addr := srv.start(t)
		err := newTestEmail(t, addr, func(c *SMTPConfig) {
			c.StartTLS = true
			c.TLSConfig = &tls.Config{RootCAs: roots}
			c.Username, c.Password = "vigil", "pw"
		}).Send(context.Background(), emailTo("alice@example.com"), pageMessage())
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		// "\x00vigil\x00pw" in base64
		want := []string{"EHLO vigil.test", "STARTTLS", "EHLO vigil.test", "AUTH PLAIN AHZpZ2lsAHB3", "MAIL FROM:<vigil@example.com> BODY=8BITMIME", "RCPT TO:<alice@example.com>", "DATA", "QUIT"}
		if got := srv.lines(); !slices.Equal(got, want) {
			t.Fatalf("conversation %q, want %q", got, want)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := &fakeSMTP{extensions: []string{"STARTTLS"}, tlsConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
		addr := srv.start(t)
		err := newTestEmail(t, addr, func(c *SMTPConfig) { c.StartTLS = true }).Send(context.Background(), emailTo("alice@example.com"), pageMessage())
		checkErrClass(t, err, true, true)
		if slices.Contains(srv.lines(), "MAIL FROM:<vigil@example.com> BODY=8BITMIME") {
			t.Fatal("mail went out after a failed handshake")
		}
	})
}

// selfSignedCert makes a certificate for 127.0.0.1 and localhost.
func selfSignedCert(t testing.TB) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vigil test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func TestPlainAuth(t *testing.T) {
	tests := []struct {
		name    string
		auth    plainAuth
		server  smtp.ServerInfo
		wantErr bool
	}{
		{name: "TLS", auth: plainAuth{username: "u", password: "p", host: "smtp.example.com"}, server: smtp.ServerInfo{Name: "smtp.example.com", TLS: true}},
		{name: "loopback without TLS", auth: plainAuth{username: "u", password: "p", host: "127.0.0.1"}, server: smtp.ServerInfo{Name: "127.0.0.1"}},
		{name: "IPv6 loopback", auth: plainAuth{username: "u", password: "p", host: "::1"}, server: smtp.ServerInfo{Name: "::1"}},
		{name: "localhost", auth: plainAuth{username: "u", password: "p", host: "localhost"}, server: smtp.ServerInfo{Name: "localhost"}},
		{name: "remote without TLS", auth: plainAuth{username: "u", password: "p", host: "smtp.example.com"}, server: smtp.ServerInfo{Name: "smtp.example.com"}, wantErr: true},
		{name: "remote without TLS, allowed", auth: plainAuth{username: "u", password: "p", host: "smtp.example.com", allowInsecure: true}, server: smtp.ServerInfo{Name: "smtp.example.com"}},
		{name: "other server", auth: plainAuth{username: "u", password: "p", host: "smtp.example.com"}, server: smtp.ServerInfo{Name: "evil.example.com", TLS: true}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mech, resp, err := tt.auth.Start(&tt.server)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Start succeeded with %q", resp)
				}
				return
			}
			if err != nil || mech != "PLAIN" || string(resp) != "\x00u\x00p" {
				t.Fatalf("Start = %q, %q, %v", mech, resp, err)
			}
			if _, err := tt.auth.Next([]byte("challenge"), true); err == nil {
				t.Fatal("Next accepted a challenge")
			}
		})
	}
}
