package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
)

// Limits of vigil listen.
const (
	listenMaxBody      = 1 << 20 // a webhook payload is a few KiB; anything past this is refused
	listenMaxShown     = 400     // characters of a payload that is not Vigil's own
	listenSignatureAge = 5 * time.Minute
)

func runListen(ctx context.Context, args []string, env Env) int {
	fs := newFlags("listen", "[--addr 127.0.0.1:9000] [--secret-env NAME]", env)
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on (the example's webhook contact methods post to 127.0.0.1:9000)")
	secretEnv := fs.String("secret-env", "", "check X-Vigil-Signature with the secret in this environment variable, as a contact method's secret_env does: a request with a wrong or stale signature is refused with 401")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	secret := ""
	if *secretEnv != "" {
		if secret = env.Getenv(*secretEnv); secret == "" {
			fmt.Fprintf(env.Stderr, "vigil listen: --secret-env %s: the variable is empty or unset\n", *secretEnv)
			return exitError
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil listen: %v\n", err)
		return exitError
	}
	srv := &http.Server{
		Handler:           &listener{out: env.Stdout, secret: secret, now: time.Now},
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	checking := "signatures not checked"
	if secret != "" {
		checking = "signatures checked with $" + *secretEnv
	}
	fmt.Fprintf(env.Stdout, "vigil listen: printing what is posted to http://%s/ (%s); Ctrl-C stops\n", ln.Addr(), checking)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }() // owner: runListen; Shutdown below stops it
	select {
	case err := <-served:
		fmt.Fprintf(env.Stderr, "vigil listen: %v\n", err)
		return exitError
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	<-served
	return exitOK
}

// listener prints each webhook it receives: Vigil's own as one line per
// notification with its action links, anything else (Slack, Teams,
// Mattermost payloads) as its first few hundred characters.
type listener struct {
	out    io.Writer
	secret string
	now    func() time.Time
	mu     sync.Mutex // one request's lines stay together
}

func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "vigil listen takes POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, listenMaxBody+1))
	if err != nil {
		http.Error(w, "read the body", http.StatusBadRequest)
		return
	}
	at := l.now()
	where := fmt.Sprintf("%s %s", at.Format("15:04:05"), printable(r.URL.Path))
	if len(body) > listenMaxBody {
		l.print(fmt.Sprintf("%s refused: a body over %d bytes\n", where, listenMaxBody))
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	signature, refused := l.checkSignature(r.Header, body, at)
	if refused != nil {
		l.print(fmt.Sprintf("%s refused: %s\n", where, printable(refused.Error())))
		http.Error(w, "signature refused", http.StatusUnauthorized)
		return
	}
	l.print(where + " " + describeWebhook(body, signature))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}

func (l *listener) print(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.out, s)
}

// checkSignature says how a request was signed, or why it is refused: with
// a secret, a signature present must be right and fresh; Vigil signs only
// the contact methods that have a secret_env, so an unsigned request is
// shown as unsigned.
func (l *listener) checkSignature(h http.Header, body []byte, now time.Time) (string, error) {
	sig, ts := h.Get(webhook.HeaderSignature), h.Get(webhook.HeaderTimestamp)
	switch {
	case sig == "" && ts == "":
		return "unsigned", nil
	case l.secret == "":
		return "signed, not checked (no --secret-env)", nil
	}
	if err := webhook.VerifySignature(l.secret, ts, string(body), sig, now, listenSignatureAge); err != nil {
		return "", err
	}
	return "signature ok", nil
}

// describeWebhook renders a payload: Vigil's webhook as
//
//	page #3 SEV2 on checkout: Checkout is failing (triggered, high urgency; signature ok)
//	    acknowledge: http://…/a/…
//	    resolve:     http://…/a/…
//
// and anything else as its (compacted) start.
func describeWebhook(body []byte, signature string) string {
	var p webhook.Payload
	if json.Unmarshal(body, &p) == nil && p.Version > 0 && p.Kind != "" {
		var b strings.Builder
		inc := p.Incident
		b.WriteString(printable(p.Kind))
		if inc.ID > 0 {
			fmt.Fprintf(&b, " #%d %s on %s: %s (%s, %s urgency", inc.ID, printable(inc.Severity), printable(inc.Service),
				printable(inc.Title), printable(inc.Status), printable(inc.Urgency))
		} else {
			fmt.Fprintf(&b, ": %s (", printable(inc.Title))
		}
		if p.MoreAlerts > 0 {
			fmt.Fprintf(&b, "; and %d more alerts", p.MoreAlerts)
		}
		fmt.Fprintf(&b, "; %s)\n", signature)
		if p.Kind == notify.KindUpdate && inc.Summary != "" {
			fmt.Fprintf(&b, "    update:      %s\n", printable(inc.Summary))
		}
		if p.Actions.Acknowledge != "" {
			fmt.Fprintf(&b, "    acknowledge: %s\n", printable(p.Actions.Acknowledge))
		}
		if p.Actions.Resolve != "" {
			fmt.Fprintf(&b, "    resolve:     %s\n", printable(p.Actions.Resolve))
		}
		return b.String()
	}
	shown := body
	var compact bytes.Buffer
	if json.Compact(&compact, body) == nil {
		shown = compact.Bytes()
	}
	text := printable(string(shown))
	if utf8.RuneCountInString(text) > listenMaxShown {
		text = string([]rune(text)[:listenMaxShown]) + "…"
	}
	return fmt.Sprintf("%s (%s)\n", text, signature)
}

// printable replaces what a terminal would act on (control characters,
// escape sequences, direction overrides) so that a payload cannot rewrite
// the screen it is printed on; invalid UTF-8 becomes U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsGraphic(r) {
			return r
		}
		return '?'
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
