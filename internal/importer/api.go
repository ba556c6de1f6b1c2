package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// API fetches the same responses as Dir reads, from a vendor's REST API,
// following its paging. Every page it follows stays on the base URL's
// scheme and host, so that the token is never sent elsewhere.
type API struct {
	Base   *url.URL
	Client *http.Client
	// Header is sent with every request (the token, the API version).
	Header http.Header
	// Path maps a list or object path to the API's ("users" to
	// "/v2/users"); nil prefixes "/".
	Path func(path string) string
	// Query is the query of a list's first page (page size, include[]
	// options) or of an object; nil for none.
	Query func(path string) url.Values
	// Next reads a page and returns the next page's URL, or nil after the
	// last. OffsetPaging and NextLink fit.
	Next func(page []byte, current *url.URL) (*url.URL, error)
	// Save, when set, is a directory where every response read is written
	// as Dir reads it, so that the import can be run again offline.
	Save string
	// Wait pauses before a retry; nil waits in real time.
	Wait func(ctx context.Context, d time.Duration) error

	read int64
}

// Where is the base URL.
func (a *API) Where() string { return a.Base.String() }

// Pages fetches every page of a list.
func (a *API) Pages(ctx context.Context, list string) ([][]byte, error) {
	if err := CheckPath(list); err != nil {
		return nil, err
	}
	u := a.urlOf(list)
	if a.Query != nil {
		u.RawQuery = a.Query(list).Encode()
	}
	var pages [][]byte
	seen := map[string]bool{}
	for u != nil {
		if len(pages) == MaxPages {
			return nil, fmt.Errorf("%s: more than %d pages", list, MaxPages)
		}
		if seen[u.String()] {
			return nil, fmt.Errorf("%s: page %s came round again", list, u.Redacted())
		}
		seen[u.String()] = true
		body, status, err := a.get(ctx, u)
		if err != nil {
			return nil, err
		}
		if status == http.StatusNotFound && len(pages) == 0 {
			return nil, nil
		}
		if status != http.StatusOK {
			return nil, statusError(u, status, body)
		}
		pages = append(pages, body)
		if err := a.save(list, len(pages), body); err != nil {
			return nil, err
		}
		next, err := a.Next(body, u)
		if err != nil {
			return nil, fmt.Errorf("%s: page %d: %w", list, len(pages), err)
		}
		if next != nil && (next.Scheme != a.Base.Scheme || next.Host != a.Base.Host) {
			return nil, fmt.Errorf("%s: the next page is on another server (%s); refusing to send the token there", list, next.Redacted())
		}
		u = next
	}
	return pages, nil
}

// Object fetches one detail response; 404 is not found.
func (a *API) Object(ctx context.Context, path string) ([]byte, bool, error) {
	if err := CheckPath(path); err != nil {
		return nil, false, err
	}
	u := a.urlOf(path)
	if a.Query != nil {
		u.RawQuery = a.Query(path).Encode()
	}
	body, status, err := a.get(ctx, u)
	switch {
	case err != nil:
		return nil, false, err
	case status == http.StatusNotFound:
		return nil, false, nil
	case status != http.StatusOK:
		return nil, false, statusError(u, status, body)
	}
	return body, true, a.save(path, 0, body)
}

func (a *API) urlOf(path string) *url.URL {
	p := "/" + path
	if a.Path != nil {
		p = a.Path(path)
	}
	u := *a.Base
	u.Path = strings.TrimRight(u.Path, "/") + p
	u.RawPath = ""
	return &u
}

const maxRetries = 4

// get fetches u, retrying rate limits (429, honouring Retry-After up to a
// minute) and server errors with a growing pause.
func (a *API) get(ctx context.Context, u *url.URL) ([]byte, int, error) {
	pause := time.Second
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, 0, err
		}
		for k, vs := range a.Header {
			req.Header[k] = vs
		}
		resp, err := a.Client.Do(req)
		if err != nil {
			return nil, 0, fmt.Errorf("GET %s: %w", u.Redacted(), err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
		resp.Body.Close()
		if err != nil {
			return nil, 0, fmt.Errorf("GET %s: %w", u.Redacted(), err)
		}
		if len(body) > MaxResponse {
			return nil, 0, fmt.Errorf("GET %s: the response is %w (%d MiB at most)", u.Redacted(), ErrTooLarge, MaxResponse>>20)
		}
		if a.read += int64(len(body)); a.read > MaxTotal {
			return nil, 0, fmt.Errorf("GET %s: the responses together are %w (%d MiB at most)", u.Redacted(), ErrTooLarge, MaxTotal>>20)
		}
		retry := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if !retry || attempt == maxRetries {
			return body, resp.StatusCode, nil
		}
		wait := pause
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			wait = min(time.Duration(s)*time.Second, time.Minute)
		}
		if err := a.wait(ctx, wait); err != nil {
			return nil, 0, err
		}
		pause *= 2
	}
}

func (a *API) wait(ctx context.Context, d time.Duration) error {
	if a.Wait != nil {
		return a.Wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// save writes a response where Dir would read it: page n of a list as
// LIST.json, LIST-n.json; an object (n 0) as PATH.json.
func (a *API) save(path string, n int, body []byte) error {
	if a.Save == "" {
		return nil
	}
	name := PageFile(path, n)
	p := filepath.Join(a.Save, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	if err := os.WriteFile(p, body, 0o600); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	return nil
}

func statusError(u *url.URL, status int, body []byte) error {
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("GET %s: %d: the API refused the token: %s", u.Redacted(), status, msg)
	}
	return fmt.Errorf("GET %s: %d: %s", u.Redacted(), status, msg)
}

// OffsetPaging pages as PagerDuty does: each page says its offset, limit
// and whether there are more; the next page asks for offset+limit.
func OffsetPaging(page []byte, current *url.URL) (*url.URL, error) {
	var p struct {
		Offset *int `json:"offset"`
		Limit  *int `json:"limit"`
		More   bool `json:"more"`
	}
	if err := json.Unmarshal(page, &p); err != nil {
		return nil, fmt.Errorf("not a JSON page: %w", err)
	}
	if !p.More {
		return nil, nil
	}
	if p.Offset == nil || p.Limit == nil || *p.Limit <= 0 || *p.Offset < 0 {
		return nil, errors.New("the page says there are more but gives no offset and limit")
	}
	next := *current
	q := next.Query()
	q.Set("offset", strconv.Itoa(*p.Offset+*p.Limit))
	q.Set("limit", strconv.Itoa(*p.Limit))
	next.RawQuery = q.Encode()
	return &next, nil
}

// NextLink pages as Opsgenie (paging.next) and Grafana OnCall (next) do:
// each page links to the next one, absent or null after the last. The
// link may be relative to the current page.
func NextLink(keys ...string) func(page []byte, current *url.URL) (*url.URL, error) {
	return func(page []byte, current *url.URL) (*url.URL, error) {
		var v any
		if err := json.Unmarshal(page, &v); err != nil {
			return nil, fmt.Errorf("not a JSON page: %w", err)
		}
		for _, k := range keys {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, nil
			}
			v = m[k]
		}
		link, _ := v.(string)
		if link == "" {
			return nil, nil
		}
		next, err := current.Parse(link)
		if err != nil {
			return nil, fmt.Errorf("next page link %.100q: %w", link, err)
		}
		return next, nil
	}
}
