// Package web serves Vigil's browser interface: plain HTML, CSS and
// JavaScript modules embedded in the binary, which talk to the REST API
// under /api/v1 like any other client. Nothing is loaded from elsewhere and
// nothing is built: the files in static/ are what the browser gets.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/web/secure"
)

//go:embed static
var static embed.FS

// Pages are the client-side routes: each answers index.html, and the
// script shows the page the path names. A notification's link to
// /incidents/{id} lands on one of them.
var Pages = []string{
	"/{$}",
	"/login",
	"/incidents",
	"/incidents/{id}",
	"/services",
	"/services/{id}",
	"/schedules",
	"/schedules/{id}",
	"/slos",
	"/slos/{name}",
	"/reports",
	"/reports/{name}",
	"/postmortems",
	"/postmortems/{id}",
	"/action-items",
	"/events",
}

// contentTypes are the only kinds of file the UI is made of; a file of
// another kind under static/ is a mistake New refuses.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// file is one embedded file, read once.
type file struct {
	name        string
	body        []byte
	contentType string
	etag        string
}

// Handler serves the UI. Create it with New.
type Handler struct {
	mux   *http.ServeMux
	index file
	// assets maps a path below /assets/ to its file. Requests are looked up
	// in it and never touch a file system, so no path can reach beyond it.
	assets map[string]file
}

// New reads the embedded files and builds the handler.
func New() (*Handler, error) {
	return newHandler(static)
}

func newHandler(fsys fs.FS) (*Handler, error) {
	root, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, fmt.Errorf("web files: %w", err)
	}
	h := &Handler{mux: http.NewServeMux(), assets: map[string]file{}}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("%s: no content type for this kind of file", name)
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		f := file{name: name, body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		switch {
		case name == "index.html":
			h.index = f
		case strings.HasPrefix(name, "assets/"):
			h.assets[strings.TrimPrefix(name, "assets/")] = f
		default:
			return fmt.Errorf("%s: web files are index.html and assets/*", name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web files: %w", err)
	}
	if h.index.body == nil {
		return nil, fmt.Errorf("web files: index.html is missing")
	}
	for _, p := range Pages {
		h.mux.HandleFunc("GET "+p, h.serveIndex)
	}
	h.mux.HandleFunc("GET /assets/{name...}", h.serveAsset)
	h.mux.HandleFunc("/", h.pageNotFound)
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secure.Headers(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	serve(w, r, h.index)
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	f, ok := h.assets[r.PathValue("name")]
	if !ok {
		assetNotFound(w)
		return
	}
	serve(w, r, f)
}

// serve answers a file. Files have no version in their names (there is no
// build step to put one there), so the browser revalidates each time and
// an unchanged file costs a 304.
func serve(w http.ResponseWriter, r *http.Request, f file) {
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", f.etag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}

// pageNotFound answers a path that is no page with the app itself and
// status 404: the script finds no page for the path and shows the app's
// own not-found page, with the header and links back.
func (h *Handler) pageNotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", h.index.contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		_, _ = w.Write(h.index.body)
	}
}

// assetNotFound answers a missing script, style or image: the asking
// page, not a person, reads the answer.
func assetNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("404 asset not found\n"))
}
