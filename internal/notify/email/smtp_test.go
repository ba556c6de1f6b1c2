package email

import (
	"bufio"
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
	"math/big"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

func TestConfigFrom(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"SMTP_PASSWORD": "pw"}[k] }
	got, err := ConfigFrom(&catalog.SMTPProvider{Host: "smtp.example.com", Port: 587, From: "vigil@example.com", Username: "vigil",
		PasswordEnv: "SMTP_PASSWORD", StartTLS: true, TLS: false}, getenv)
	want := Config{Host: "smtp.example.com", Port: 587, From: "vigil@example.com", Username: "vigil", Password: "pw", StartTLS: true}
	if err != nil || got.Host != want.Host || got.Port != want.Port || got.From != want.From || got.Username != want.Username ||
		got.Password != want.Password || got.StartTLS != want.StartTLS || got.ImplicitTLS != want.ImplicitTLS {
		t.Errorf("ConfigFrom = %+v, %v; want %+v", got, err, want)
	}
	if got, err := ConfigFrom(&catalog.SMTPProvider{Host: "h", TLS: true}, getenv); err != nil || !got.ImplicitTLS || got.Password != "" {
		t.Errorf("ConfigFrom with tls = %+v, %v", got, err)
	}
	_, err = ConfigFrom(nil, getenv)
	if err == nil || !strings.Contains(err.Error(), "org.providers.smtp") {
		t.Fatalf("ConfigFrom(nil) error %v, want one naming org.providers.smtp", err)
	}
	err = Configured(func() (Config, error) { return ConfigFrom(nil, getenv) }).Send(context.Background(), emailTo("alice@example.com"), notifytest.Page())
	notifytest.CheckErr(t, err, true, true)
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

func emailTo(addr string) notify.Destination {
	return notify.Destination{Type: "email", UserID: "alice", UserName: "Alice Martin", Address: addr}
}

func newTestEmail(t *testing.T, addr string, mod func(*Config)) notify.Channel {
	host, port := hostPort(t, addr)
	cfg := Config{
		Host: host, Port: port, From: "Vigil <vigil@example.com>",
		Hostname: "vigil.test", Timeout: 5 * time.Second,
		Now: func() time.Time { return notifytest.SendTime },
	}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func TestEmailConversation(t *testing.T) {
	srv := &fakeSMTP{}
	addr := srv.start(t)
	ch := newTestEmail(t, addr, nil)
	if ch.Type() != "email" {
		t.Fatalf("Type %q", ch.Type())
	}
	if err := ch.Send(context.Background(), emailTo("alice@example.com"), notifytest.Page()); err != nil {
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
		cfg       func(*Config)
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
			cfg:       func(c *Config) { c.Username, c.Password = "vigil", "pw-SECRET" },
			permanent: true,
		},
		{
			name:      "username but no AUTH offered",
			srv:       &fakeSMTP{},
			cfg:       func(c *Config) { c.Username, c.Password = "vigil", "pw-SECRET" },
			permanent: true,
		},
		{
			name:      "STARTTLS required, not offered",
			srv:       &fakeSMTP{},
			cfg:       func(c *Config) { c.StartTLS = true },
			permanent: true,
		},
		{name: "recipient does not parse", srv: &fakeSMTP{}, to: "not an address", permanent: true},
		{name: "recipient with a line break", srv: &fakeSMTP{}, to: "alice@example.com\r\nRCPT TO:<evil@example.com>", permanent: true},
		{name: "sender does not parse", srv: &fakeSMTP{}, cfg: func(c *Config) { c.From = "vigil" }, permanent: true},
		{
			name:      "password would go out unencrypted",
			srv:       &fakeSMTP{extensions: []string{"AUTH PLAIN"}},
			cfg:       func(c *Config) { c.Host, c.Username, c.Password = "smtp.invalid", "vigil", "pw-SECRET" },
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
			err := newTestEmail(t, addr, tt.cfg).Send(context.Background(), emailTo(to), notifytest.Page())
			notifytest.CheckErr(t, err, true, tt.permanent)
			notifytest.NoSecret(t, err, "SECRET")
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
	silent := func(t *testing.T) string { return (&fakeSMTP{silent: true}).start(t) }
	tests := []struct {
		name    string
		addr    func(t *testing.T) string
		ctx     func() (context.Context, context.CancelFunc)
		timeout time.Duration // the configured one; 0 keeps 5s
		wraps   error
	}{
		{"connection refused", func(t *testing.T) string { return notifytest.ClosedAddr(t) }, nil, 0, nil},
		{"server never answers, context deadline", silent, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, 0, context.DeadlineExceeded},
		{"server never answers, cancelled", silent, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, 0, context.Canceled},
		{"server never answers, configured timeout", silent, nil, 100 * time.Millisecond, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			ch := newTestEmail(t, tt.addr(t), func(c *Config) {
				if tt.timeout > 0 {
					c.Timeout = tt.timeout
				}
			})
			err := ch.Send(ctx, emailTo("alice@example.com"), notifytest.Page())
			notifytest.CheckErr(t, err, true, false)
			if tt.wraps != nil && !errors.Is(err, tt.wraps) {
				t.Errorf("error %q does not wrap %v", err, tt.wraps)
			}
		})
	}
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
		err := newTestEmail(t, addr, func(c *Config) {
			c.StartTLS = true
			c.TLSConfig = &tls.Config{RootCAs: roots}
			c.Username, c.Password = "vigil", "pw"
		}).Send(context.Background(), emailTo("alice@example.com"), notifytest.Page())
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
		err := newTestEmail(t, addr, func(c *Config) { c.StartTLS = true }).Send(context.Background(), emailTo("alice@example.com"), notifytest.Page())
		notifytest.CheckErr(t, err, true, true)
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
