package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/web/secure"
)

// FuzzServePath sends arbitrary paths to the UI: it never panics, answers
// only the statuses a file server may, and a 200 carries exactly one of the
// embedded files, never anything else.
func FuzzServePath(f *testing.F) {
	for _, seed := range []string{
		"/", "/incidents/12", "/assets/app.js", "/assets/../web.go", "/assets/..%2fweb.go",
		"/assets/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/assets/pages/", "/assets/app.js%00",
		"/incidents/%2F..%2F", "/services/a%20b", "/assets/" + strings.Repeat("../", 50), "/\x00",
	} {
		f.Add(seed)
	}
	h, err := New()
	if err != nil {
		f.Fatal(err)
	}
	bodies := [][]byte{h.index.body}
	for _, a := range h.assets {
		bodies = append(bodies, a.body)
	}
	f.Fuzz(func(t *testing.T, target string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return // no client can send it
		}
		r := httptest.NewRequest("GET", "http://vigil.test/", nil)
		r.URL, r.RequestURI = u, target
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK:
			served := false
			for _, b := range bodies {
				if bytes.Equal(w.Body.Bytes(), b) {
					served = true
					break
				}
			}
			if !served {
				t.Fatalf("GET %q = 200 with a body that is no embedded file", target)
			}
		case http.StatusNotFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			t.Fatalf("GET %q = %d", target, w.Code)
		}
		if w.Header().Get("Content-Security-Policy") != secure.ContentSecurityPolicy {
			t.Fatalf("GET %q without the Content-Security-Policy", target)
		}
	})
}

// BenchmarkServe measures what the UI costs the server per request: a page
// (index.html), a script, and a revalidated script answered 304.
func BenchmarkServe(b *testing.B) {
	h, err := New()
	if err != nil {
		b.Fatal(err)
	}
	etag := h.assets["app.js"].etag
	for _, bc := range []struct {
		name, path, ifNoneMatch string
		want                    int
	}{
		{"page", "/incidents/12", "", http.StatusOK},
		{"script", "/assets/pages/incident.js", "", http.StatusOK},
		{"not-modified", "/assets/app.js", etag, http.StatusNotModified},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", bc.path, nil)
			if bc.ifNoneMatch != "" {
				r.Header.Set("If-None-Match", bc.ifNoneMatch)
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != bc.want {
					b.Fatalf("%s = %d", bc.path, w.Code)
				}
			}
		})
	}
}
