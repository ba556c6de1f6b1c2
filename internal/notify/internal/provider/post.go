// Package provider holds what the provider packages under notify share:
// one HTTP post that classifies answers as every channel does, the text
// every message leads with, and the checks of signed callbacks.
package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/vigil-oncall/vigil/internal/notify"
)

const (
	// Timeout bounds one request to a provider when the channel was given
	// no client.
	Timeout = 10 * time.Second
	// MaxAnswer is how much of a provider's answer a channel reads.
	MaxAnswer = 64 << 10

	maxRedirects  = 3
	maxBodyDrain  = 64 << 10 // read to reuse the connection, then give up
	maxBodyInLogs = 256
)

// Client is the client a channel sends with: client, or one with a 10s
// timeout when it is nil.
func Client(client *http.Client) *http.Client {
	if client != nil {
		return client
	}
	return &http.Client{Timeout: Timeout}
}

// TargetURL parses a destination URL, which must be absolute http(s); a
// URL that is not is a permanent failure. what names it in errors.
func TargetURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &notify.PermanentError{Err: fmt.Errorf("%s URL: %w", what, errors.Unwrap(err))}
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, &notify.PermanentError{Err: fmt.Errorf("%s URL %q: need an absolute http or https URL", what, RedactURL(u))}
	}
	return u, nil
}

// NewPost builds a POST of body with the headers every channel sends.
func NewPost(ctx context.Context, target *url.URL, contentType string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), body)
	if err != nil {
		return nil, &notify.PermanentError{Err: fmt.Errorf("request to %s: %w", RedactURL(target), err)}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Vigil")
	return req, nil
}

// Post sends a request built by NewPost and classifies the answer as every
// HTTP channel does: 2xx is delivered; 408, 429, 5xx, timeouts and network
// errors may be retried; any other answer, a redirect other than 307 and
// 308 among them, is permanent. It returns the start of a 2xx answer's
// body (some providers put an id or an error code there). what names the
// provider in errors, which show the URL without its secrets.
func Post(client *http.Client, req *http.Request, what string) ([]byte, error) {
	c := *Client(client)
	c.CheckRedirect = checkRedirect
	resp, err := c.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("%s POST to %s: %w", what, RedactURL(req.URL), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyDrain))
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return body, nil
	}
	err = fmt.Errorf("%s POST to %s: HTTP %d: %s", what, RedactURL(req.URL), code, Printable(body[:min(len(body), maxBodyInLogs)]))
	if code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500 {
		return nil, err
	}
	return nil, &notify.PermanentError{Err: err}
}

// checkRedirect follows only redirects that keep the POST and its body
// (307, 308) to http(s) URLs; any other redirect is returned to Post as
// the answer, which makes it a permanent failure.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if req.Response == nil || (req.Response.StatusCode != http.StatusTemporaryRedirect && req.Response.StatusCode != http.StatusPermanentRedirect) {
		return http.ErrUseLastResponse
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return http.ErrUseLastResponse
	}
	if len(via) > maxRedirects {
		return http.ErrUseLastResponse
	}
	return nil
}

// RedactURL keeps a URL's scheme and host only: user info, query strings
// and, in chat webhook URLs, the whole path are secrets that must not
// reach errors and logs.
func RedactURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host}
	return r.String()
}
