package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func newTestHandler(t *testing.T) *Handler {
	t.Helper()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// get sends a raw request target, so that encoded dots and slashes reach
// the handler as a client sent them.
func get(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "http://vigil.test/", nil)
	r.RequestURI = target
	u, err := r.URL.Parse(target)
	if err != nil {
		t.Fatalf("parse %q: %v", target, err)
	}
	r.URL = u
	for k, vs := range header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPagesServeIndex(t *testing.T) {
	h := newTestHandler(t)
	index, err := static.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"/", "/login", "/login?next=%2Fincidents%2F12", "/incidents", "/incidents?status=resolved&service=checkout",
		"/incidents/12", "/incidents/not-a-number", "/services", "/services/ledger-db", "/schedules",
		"/schedules/payments-primary", "/slos", "/slos/checkout-availability", "/reports", "/reports/interruptions",
	} {
		w := get(t, h, "GET", path, nil)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, w.Code)
			continue
		}
		if got := w.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, got)
		}
		if w.Body.String() != string(index) {
			t.Errorf("GET %s did not answer index.html", path)
		}
	}
}

func TestAssetsHaveTheirContentTypes(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct{ path, contentType string }{
		{"/assets/app.js", "text/javascript; charset=utf-8"},
		{"/assets/pages/incident.js", "text/javascript; charset=utf-8"},
		{"/assets/style.css", "text/css; charset=utf-8"},
		{"/assets/icon.svg", "image/svg+xml"},
	}
	for _, tt := range tests {
		w := get(t, h, "GET", tt.path, nil)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s = %d", tt.path, w.Code)
			continue
		}
		if got := w.Header().Get("Content-Type"); got != tt.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, tt.contentType)
		}
		want, err := static.ReadFile("static" + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if w.Body.String() != string(want) {
			t.Errorf("GET %s: body differs from the embedded file", tt.path)
		}
	}
}

func TestSecurityAndCacheHeaders(t *testing.T) {
	h := newTestHandler(t)
	for _, path := range []string{"/incidents/3", "/assets/app.js", "/assets/missing.js", "/nothing-here"} {
		w := get(t, h, "GET", path, nil)
		hdr := w.Header()
		csp := hdr.Get("Content-Security-Policy")
		for _, directive := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, directive) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, directive)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "http") {
			t.Errorf("%s: CSP %q allows inline code or another origin", path, csp)
		}
		if got := hdr.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", path, got)
		}
		if got := hdr.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", path, got)
		}
		want := "no-cache"
		if w.Code == http.StatusNotFound {
			want = "no-store"
		}
		if got := hdr.Get("Cache-Control"); got != want {
			t.Errorf("%s (%d): Cache-Control %q, want %q", path, w.Code, got, want)
		}
	}
}

func TestUnchangedFilesAnswer304(t *testing.T) {
	h := newTestHandler(t)
	first := get(t, h, "GET", "/assets/app.js", nil)
	etag := first.Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("ETag %q", etag)
	}
	again := get(t, h, "GET", "/assets/app.js", http.Header{"If-None-Match": {etag}})
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Fatalf("revalidation = %d with %d bytes, want 304 and none", again.Code, again.Body.Len())
	}
	other := get(t, h, "GET", "/assets/style.css", nil).Header().Get("ETag")
	if other == etag {
		t.Fatalf("two different files share the ETag %s", etag)
	}
	changed := get(t, h, "GET", "/assets/app.js", http.Header{"If-None-Match": {`"stale"`}})
	if changed.Code != http.StatusOK {
		t.Fatalf("stale ETag = %d, want 200", changed.Code)
	}
}

func TestNoListingNoTraversal(t *testing.T) {
	h := newTestHandler(t)
	for _, target := range []string{
		"/assets",
		"/assets/",
		"/assets/pages/",
		"/static/index.html",
		"/index.html",
		"/assets/../index.html",
		"/assets/..%2findex.html",
		"/assets/..%2f..%2f..%2fetc%2fpasswd",
		"/assets/%2e%2e/%2e%2e/etc/passwd",
		"/assets/%2e%2e%2f%2e%2e%2fweb.go",
		"/assets/..\\..\\web.go",
		"/assets//etc/passwd",
		"/assets/%2fetc%2fpasswd",
		"/assets/pages/../../web.go",
		"/assets/app.js%00.png",
		"/assets/app.js/",
		"/incidents/12/..%2f..%2fweb.go",
		"/" + strings.Repeat("a/", 5000),
		"/assets/" + strings.Repeat("x", 100000) + ".js",
	} {
		w := get(t, h, "GET", target, nil)
		body := w.Body.String()
		if w.Code == http.StatusOK {
			t.Errorf("GET %.80s = 200, want a refusal", target)
		}
		// http.FileServer lists a directory as <pre> of links; the app's
		// not-found page is index.html itself.
		if strings.Contains(body, "package web") || strings.Contains(body, "root:") || strings.Contains(body, "<pre>\n<a href=") {
			t.Errorf("GET %.80s leaked a file or a listing: %.100s", target, body)
		}
		if w.Code >= 300 && w.Code < 400 {
			// A redirect may only lead to a cleaned path, which is served
			// from the same table.
			loc := w.Header().Get("Location")
			if strings.Contains(loc, "..") || strings.Contains(loc, "//") {
				t.Errorf("GET %.80s redirects to %q", target, loc)
			}
		}
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h := newTestHandler(t)
	head := get(t, h, "HEAD", "/incidents", nil)
	if head.Code != http.StatusOK || head.Body.Len() != 0 {
		t.Fatalf("HEAD /incidents = %d with %d bytes", head.Code, head.Body.Len())
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		w := get(t, h, m, "/incidents", nil)
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /incidents = %d Allow %q", m, w.Code, w.Header().Get("Allow"))
		}
	}
}

func TestNewRefusesUnexpectedFiles(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no index", fstest.MapFS{"static/assets/app.js": {Data: []byte("x")}}, "index.html is missing"},
		{"unknown kind", fstest.MapFS{"static/index.html": {Data: []byte("x")}, "static/assets/run.sh": {Data: []byte("x")}}, "no content type"},
		{"outside assets", fstest.MapFS{"static/index.html": {Data: []byte("x")}, "static/other.js": {Data: []byte("x")}}, "index.html and assets"},
		{"no static dir", fstest.MapFS{"index.html": {Data: []byte("x")}}, "file does not exist"},
	}
	for _, tt := range tests {
		_, err := newHandler(tt.files)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestEveryImportIsEmbedded keeps the module graph whole: each relative
// import in a script names an embedded file.
func TestEveryImportIsEmbedded(t *testing.T) {
	h := newTestHandler(t)
	for name, f := range h.assets {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, line := range strings.Split(string(f.body), "\n") {
			i := strings.Index(line, " from '")
			if !strings.HasPrefix(line, "import ") || i < 0 {
				continue
			}
			spec := strings.TrimSuffix(strings.TrimSpace(line[i+len(" from '"):]), "';")
			target := resolve(name, spec)
			if _, ok := h.assets[target]; !ok {
				t.Errorf("%s imports %q (%s), which is not embedded", name, spec, target)
			}
		}
	}
}

func resolve(from, spec string) string {
	dir := from[:strings.LastIndex(from, "/")+1]
	parts := strings.Split(dir+spec, "/")
	var out []string
	for _, p := range parts {
		switch p {
		case ".", "":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

// TestMountedInTheAPIServer checks the split of paths between the UI and
// the API in a real server: pages and assets from the UI, every unknown
// API or ingest path still a JSON 404.
func TestMountedInTheAPIServer(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		method, path string
		want         int
		contentType  string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8"},
		{"GET", "/incidents/12", 200, "text/html; charset=utf-8"},
		{"HEAD", "/services/checkout", 200, "text/html; charset=utf-8"},
		{"GET", "/assets/app.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/api/v1/x", 404, "application/json"},
		{"GET", "/api/v1/incidents/1/nothing", 404, "application/json"},
		{"GET", "/api", 404, "application/json"},
		{"GET", "/api/", 404, "application/json"},
		{"GET", "/v2/enqueue", 404, "application/json"},
		{"POST", "/incidents", 404, "application/json"},
		{"DELETE", "/", 404, "application/json"},
		{"GET", "/healthz", 200, "application/json"},
		{"GET", "/api/v1/openapi.json", 200, "application/json"},
		{"GET", "/no-such-page", 404, "text/html; charset=utf-8"},
		{"GET", "/incidents/12/nothing", 404, "text/html; charset=utf-8"},
		{"HEAD", "/no-such-page", 404, "text/html; charset=utf-8"},
		{"GET", "/assets/missing.js", 404, "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, s.url+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || resp.Header.Get("Content-Type") != tt.contentType {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.want, tt.contentType)
			continue
		}
		if tt.method == "GET" && tt.contentType == "text/html; charset=utf-8" && !strings.Contains(string(body), `src="/assets/app.js"`) {
			t.Errorf("%s %s: not the app: %.200s", tt.method, tt.path, body)
		}
		if tt.contentType == "application/json" && tt.want == 404 {
			var e struct{ Code, Message string }
			if err := json.Unmarshal(body, &e); err != nil || e.Code != "not_found" || e.Message == "" {
				t.Errorf("%s %s: not a JSON error: %s", tt.method, tt.path, body)
			}
		}
	}
}
