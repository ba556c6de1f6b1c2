package notifytest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/notify"
)

// DecodeJSON decodes a payload that must be one JSON object.
func DecodeJSON(t testing.TB, body string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return v
}

// At walks a decoded JSON value by object keys and array indexes.
func At(t testing.TB, v any, path ...any) any {
	t.Helper()
	for _, step := range path {
		switch k := step.(type) {
		case string:
			obj, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %v is not an object", path, v)
			}
			v = obj[k]
		case int:
			arr, ok := v.([]any)
			if !ok || k >= len(arr) {
				t.Fatalf("at %v: %v has no element %d", path, v, k)
			}
			v = arr[k]
		}
	}
	return v
}

// SendJSON sends m through the chat channel newChannel makes to a
// stand-in, at pathAndQuery, and returns the one request it got (checked
// by JSONPost) and its body decoded.
func SendJSON(t testing.TB, newChannel func(*http.Client) notify.Channel, pathAndQuery string, m notify.Message) (Request, map[string]any) {
	t.Helper()
	p := NewServer(t)
	if err := newChannel(p.Client()).Send(context.Background(), notify.Destination{WebhookURL: p.URL() + pathAndQuery}, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := p.Only(t)
	path, _, _ := strings.Cut(pathAndQuery, "?")
	return r, JSONPost(t, r, path)
}

// JSONPost checks that r is a JSON POST to path with Vigil's User-Agent
// and no credentials (chat webhook URLs carry their own), and returns
// its body decoded.
func JSONPost(t testing.TB, r Request, path string) map[string]any {
	t.Helper()
	if r.Method != "POST" || r.Path != path {
		t.Errorf("request %s %s, want POST %s", r.Method, r.Path, path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if ua := r.Header.Get("User-Agent"); ua != "Vigil" {
		t.Errorf("User-Agent %q, want Vigil", ua)
	}
	if r.HasAuth || r.Header.Get("Authorization") != "" {
		t.Errorf("chat webhook got an Authorization header: %q", r.Header.Get("Authorization"))
	}
	return DecodeJSON(t, r.Body)
}

// CheckHeaders checks the headers of r named in want.
func CheckHeaders(t testing.TB, r Request, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}
