package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
)

// providerTimeout bounds one request to a chat or push provider when the
// channel was given no client.
const providerTimeout = 10 * time.Second

// maxProviderAnswer is how much of a provider's answer a channel reads.
const maxProviderAnswer = 64 << 10

// defaultClient is the client a channel uses when it was given none.
func defaultClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: providerTimeout}
}

// targetURL parses a destination URL, which must be absolute http(s); a
// URL that is not is a permanent failure.
func targetURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &PermanentError{Err: fmt.Errorf("%s URL: %w", what, errors.Unwrap(err))}
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, &PermanentError{Err: fmt.Errorf("%s URL %q: need an absolute http or https URL", what, redactURL(u))}
	}
	return u, nil
}

// post sends a request built by the caller and classifies the answer as
// every HTTP channel does: 2xx is delivered; 408, 429, 5xx, timeouts
// and network errors may be retried; any other answer is permanent. It
// returns the start of a 2xx answer's body (some providers put an id or an
// error code there). what names the provider in errors; the URL in them is
// redacted, because chat webhook URLs are secrets.
func post(client *http.Client, req *http.Request, what string) ([]byte, error) {
	c := *defaultClient(client)
	c.CheckRedirect = checkWebhookRedirect
	resp, err := c.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("%s POST to %s: %w", what, redactURL(req.URL), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxProviderAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, webhookMaxBodyDrain))
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return body, nil
	}
	err = fmt.Errorf("%s POST to %s: HTTP %d: %s", what, redactURL(req.URL), code, printable(body[:min(len(body), webhookMaxBodyInLogs)]))
	if code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500 {
		return nil, err
	}
	return nil, &PermanentError{Err: err}
}

// newPost builds a POST of body with the headers every channel sends.
func newPost(ctx context.Context, target *url.URL, contentType string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), body)
	if err != nil {
		return nil, &PermanentError{Err: fmt.Errorf("request to %s: %w", redactURL(target), err)}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Vigil")
	return req, nil
}

// headline is the one line every channel leads with:
// "[SEV2] #12 checkout: Checkout latency high".
func headline(m Message) string {
	var b strings.Builder
	if s := oneLine(m.Severity); s != "" {
		b.WriteString("[" + s + "] ")
	}
	if m.IncidentID != 0 {
		fmt.Fprintf(&b, "#%d ", m.IncidentID)
	}
	if s := oneLine(m.Service); s != "" {
		b.WriteString(s + ": ")
	}
	title := oneLine(m.Title)
	if title == "" {
		title = "(no title)"
	}
	b.WriteString(title)
	return b.String()
}

// cut shortens s to at most n bytes on a rune boundary, ending with "…"
// when it had to cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	end := n - len(ellipsis)
	for end > 0 && !runeStart(s[end]) {
		end--
	}
	if end < 0 {
		end = 0
	}
	return s[:end] + ellipsis
}

func runeStart(b byte) bool { return b&0xC0 != 0x80 }

// canAcknowledge and canResolve say which action buttons a message shows.
func canAcknowledge(m Message) bool {
	return m.IncidentID != 0 && (m.Status == "" || alert.Status(m.Status) == alert.StatusTriggered)
}

func canResolve(m Message) bool {
	return m.IncidentID != 0 && alert.Status(m.Status) != alert.StatusResolved
}

// postJSON sends payload as JSON to a chat webhook URL: the whole of a
// Send for the channels whose provider takes one JSON document.
func postJSON(ctx context.Context, client *http.Client, what, rawURL string, payload any) error {
	target, err := targetURL(what, rawURL)
	if err != nil {
		return err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("encode %s payload: %w", what, err)}
	}
	req, err := newPost(ctx, target, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	_, err = post(client, req, what)
	return err
}
