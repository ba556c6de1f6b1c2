package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

// These tests talk to a real mailpit (https://mailpit.axllent.org), which
// scripts/test.sh installs and starts:
//
//	VIGIL_TEST_SMTP         host:port of its SMTP server, started with
//	                        --smtp-auth-accept-any --smtp-auth-allow-insecure
//	VIGIL_TEST_MAILPIT_API  base URL of its HTTP API
//	VIGIL_TEST_MAILPIT_BIN  the mailpit binary, for the tests that start a
//	                        mailpit of their own with STARTTLS

type mailpit struct {
	smtpHost string
	smtpPort int
	api      string
}

func sharedMailpit(t *testing.T) mailpit {
	t.Helper()
	smtpAddr, api := os.Getenv("VIGIL_TEST_SMTP"), os.Getenv("VIGIL_TEST_MAILPIT_API")
	if smtpAddr == "" && api == "" {
		t.Skip("VIGIL_TEST_SMTP and VIGIL_TEST_MAILPIT_API are unset: no mailpit to send to (scripts/test.sh starts one)")
	}
	if smtpAddr == "" || api == "" {
		t.Fatalf("set both VIGIL_TEST_SMTP (%q) and VIGIL_TEST_MAILPIT_API (%q)", smtpAddr, api)
	}
	host, port := hostPort(t, smtpAddr)
	mp := mailpit{smtpHost: host, smtpPort: port, api: strings.TrimRight(api, "/")}
	if err := mp.ping(); err != nil {
		t.Fatalf("mailpit API at %s: %v", api, err)
	}
	conn, err := net.DialTimeout("tcp", smtpAddr, 2*time.Second)
	if err != nil {
		t.Fatalf("mailpit SMTP at %s: %v", smtpAddr, err)
	}
	conn.Close()
	return mp
}

func (mp mailpit) ping() error {
	var list struct{ Total int }
	return mp.get("/api/v1/messages?limit=1", &list)
}

func (mp mailpit) get(path string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mp.api+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

type mailpitAddress struct{ Name, Address string }

type mailpitMessage struct {
	ID        string
	MessageID string
	From      mailpitAddress
	To        []mailpitAddress
	Subject   string
	Text      string
	HTML      string
}

// find returns the message with messageID (without angle brackets), its
// headers, and how many messages carry that id.
func (mp mailpit) find(t *testing.T, messageID string) (mailpitMessage, map[string][]string, int) {
	t.Helper()
	var list struct {
		Messages []struct{ ID, MessageID string }
	}
	// mailpit stores before it answers the end of DATA; the short wait
	// only covers a slow index.
	for try := 0; ; try++ {
		if err := mp.get("/api/v1/search?query="+url.QueryEscape("message-id:"+messageID), &list); err != nil {
			t.Fatalf("mailpit search: %v", err)
		}
		if len(list.Messages) > 0 || try == 20 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(list.Messages) == 0 {
		t.Fatalf("mailpit has no message %s", messageID)
	}
	var msg mailpitMessage
	if err := mp.get("/api/v1/message/"+list.Messages[0].ID, &msg); err != nil {
		t.Fatalf("mailpit message: %v", err)
	}
	var headers map[string][]string
	if err := mp.get("/api/v1/message/"+list.Messages[0].ID+"/headers", &headers); err != nil {
		t.Fatalf("mailpit headers: %v", err)
	}
	return msg, headers, len(list.Messages)
}

func uniqueKey(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + "-" + hex.EncodeToString(b)
}

func mailpitConfig(host string, port int) Config {
	return Config{
		Host: host, Port: port, From: "Vigil <vigil@example.com>",
		Hostname: "vigil.test", Timeout: 10 * time.Second,
		Now: func() time.Time { return notifytest.SendTime },
	}
}

func TestEmailMailpit(t *testing.T) {
	mp := sharedMailpit(t)

	// With --smtp-auth-accept-any mailpit takes any credentials and does not
	// record the user; TestEmailMailpitTLS checks real ones.
	tests := []struct {
		name        string
		username    string
		title       string
		wantSubject string
	}{
		{
			name:        "page",
			title:       "Checkout latency high",
			wantSubject: "[Vigil] SEV2 triggered: Checkout latency high (+3 more)",
		},
		{
			name:        "page with auth",
			username:    "vigil",
			title:       "Checkout latency high",
			wantSubject: "[Vigil] SEV2 triggered: Checkout latency high (+3 more)",
		},
		{
			name:        "non-ASCII and hostile title",
			title:       "Datenbank überlastet\r\nBcc: evil@example.com",
			wantSubject: "[Vigil] SEV2 triggered: Datenbank überlastet Bcc: evil@example.com (+3 more)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mailpitConfig(mp.smtpHost, mp.smtpPort)
			cfg.Username, cfg.Password = tt.username, "not-checked"
			m := notifytest.Page()
			m.IdempotencyKey = uniqueKey(t, "mailpit")
			m.Title = tt.title
			m.AcknowledgeURL = "https://vigil.example.com/a/" + uniqueKey(t, "ack")
			m.ResolveURL = "https://vigil.example.com/a/" + uniqueKey(t, "res")

			if err := New(cfg).Send(context.Background(), emailTo("alice@example.com"), m); err != nil {
				t.Fatalf("Send: %v (mailpit must run with --smtp-auth-accept-any --smtp-auth-allow-insecure)", err)
			}
			msg, headers, n := mp.find(t, m.IdempotencyKey+"@vigil")
			if n != 1 {
				t.Errorf("%d messages with this id, want 1", n)
			}
			if msg.Subject != tt.wantSubject {
				t.Errorf("Subject %q, want %q", msg.Subject, tt.wantSubject)
			}
			if len(msg.To) != 1 || msg.To[0] != (mailpitAddress{Name: "Alice Martin", Address: "alice@example.com"}) {
				t.Errorf("To %+v", msg.To)
			}
			if msg.From != (mailpitAddress{Name: "Vigil", Address: "vigil@example.com"}) {
				t.Errorf("From %+v", msg.From)
			}
			if got := headers["X-Vigil-Idempotency-Key"]; len(got) != 1 || got[0] != m.IdempotencyKey {
				t.Errorf("X-Vigil-Idempotency-Key %q, want %q", got, m.IdempotencyKey)
			}
			if got := headers["Bcc"]; len(got) != 0 {
				t.Errorf("a Bcc header got through: %q", got)
			}
			for _, link := range []string{m.AcknowledgeURL, m.ResolveURL} {
				if !strings.Contains(msg.Text, link) {
					t.Errorf("text part lacks %s:\n%s", link, msg.Text)
				}
				if !strings.Contains(msg.HTML, `href="`+link+`"`) {
					t.Errorf("HTML part lacks a link to %s:\n%s", link, msg.HTML)
				}
			}
		})
	}
}

// tlsMailpit is a mailpit of a test's own that requires TLS (requireFlag
// is --smtp-require-starttls or --smtp-require-tls), with a certificate
// made here; it checks passwords (vigil:secret) and accepts only
// @example.com recipients. It returns the mailpit, a configuration that
// trusts its certificate and logs in, and its logs.
func tlsMailpit(t *testing.T, requireFlag string) (mailpit, Config, *strings.Builder) {
	t.Helper()
	bin := os.Getenv("VIGIL_TEST_MAILPIT_BIN")
	if bin == "" {
		t.Skip("VIGIL_TEST_MAILPIT_BIN is unset: cannot start a mailpit with TLS (scripts/test.sh sets it)")
	}
	dir := t.TempDir()
	certPEM, keyPEM := selfSignedCert(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	// htpasswd line for vigil:secret; {SHA} is base64(SHA-1("secret")).
	authFile := filepath.Join(dir, "auth")
	if err := os.WriteFile(authFile, []byte("vigil:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	smtpPort, httpPort := freePort(t), freePort(t)
	cmd := exec.Command(bin,
		"--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort),
		"--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile,
		requireFlag,
		"--smtp-auth-file", authFile,
		"--smtp-allowed-recipients", `@example\.com$`,
		"--disable-version-check",
	)
	logs := new(strings.Builder)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	mp := mailpit{smtpHost: "127.0.0.1", smtpPort: smtpPort, api: "http://127.0.0.1:" + strconv.Itoa(httpPort)}
	for try := 0; mp.ping() != nil; try++ {
		if try == 100 {
			t.Fatalf("mailpit did not start:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	secure := mailpitConfig("127.0.0.1", smtpPort)
	secure.TLSConfig = &tls.Config{RootCAs: roots}
	secure.Username, secure.Password = "vigil", "secret"
	return mp, secure, logs
}

// TestEmailMailpitTLS sends through mailpits that require TLS: one with
// STARTTLS (port 587 style) and one with TLS from the first byte (SMTPS,
// port 465 style).
func TestEmailMailpitTLS(t *testing.T) {
	modes := []struct {
		name, requireFlag string
		set               func(*Config)
		// wrongMode is a send in the other mode, or in none, and whether
		// its failure is permanent.
		wrongMode          func(*Config)
		wrongModePermanent bool
	}{
		{
			name: "STARTTLS", requireFlag: "--smtp-require-starttls",
			set: func(c *Config) { c.StartTLS = true },
			// The server refuses MAIL before STARTTLS: a 5xx.
			wrongMode:          func(c *Config) { c.StartTLS, c.Username = false, "" },
			wrongModePermanent: true,
		},
		{
			name: "implicit TLS", requireFlag: "--smtp-require-tls",
			set: func(c *Config) { c.ImplicitTLS = true },
			// A plain client waits for a greeting that never comes: a
			// timeout, retried.
			wrongMode:          func(c *Config) { c.ImplicitTLS, c.Timeout = false, time.Second },
			wrongModePermanent: false,
		},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			mp, secure, logs := tlsMailpit(t, mode.requireFlag)
			mode.set(&secure)
			t.Run("delivered, with auth", func(t *testing.T) {
				m := notifytest.Page()
				m.IdempotencyKey = uniqueKey(t, "tls")
				if err := New(secure).Send(context.Background(), emailTo("alice@example.com"), m); err != nil {
					t.Fatalf("Send: %v\n%s", err, logs.String())
				}
				msg, _, _ := mp.find(t, m.IdempotencyKey+"@vigil")
				if msg.Subject != "[Vigil] SEV2 triggered: Checkout latency high (+3 more)" {
					t.Fatalf("stored message with subject %q", msg.Subject)
				}
			})
			t.Run("wrong password is permanent", func(t *testing.T) {
				wrong := secure
				wrong.Password = "guess"
				notifytest.CheckErr(t, New(wrong).Send(context.Background(), emailTo("alice@example.com"), notifytest.Page()), true, true)
			})
			t.Run("recipient refused is permanent", func(t *testing.T) {
				notifytest.CheckErr(t, New(secure).Send(context.Background(), emailTo("bob@example.org"), notifytest.Page()), true, true)
			})
			t.Run("certificate not trusted is permanent", func(t *testing.T) {
				untrusted := secure
				untrusted.TLSConfig = nil
				notifytest.CheckErr(t, New(untrusted).Send(context.Background(), emailTo("alice@example.com"), notifytest.Page()), true, true)
			})
			t.Run("the client skipped the server's TLS mode", func(t *testing.T) {
				plain := secure
				mode.wrongMode(&plain)
				notifytest.CheckErr(t, New(plain).Send(context.Background(), emailTo("alice@example.com"), notifytest.Page()), true, mode.wrongModePermanent)
			})
			t.Run("both TLS modes at once is a configuration error", func(t *testing.T) {
				both := secure
				both.StartTLS, both.ImplicitTLS = true, true
				notifytest.CheckErr(t, New(both).Send(context.Background(), emailTo("alice@example.com"), notifytest.Page()), true, true)
			})
		})
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	_, port := hostPort(t, notifytest.ClosedAddr(t))
	return port
}
