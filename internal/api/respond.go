package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/ingest"
)

// maxBody is the largest request body the API reads.
const maxBody = 1 << 20

// errorBody is the shape of every error answer.
type errorBody struct {
	Code     string           `json:"code"`
	Message  string           `json:"message"`
	Problems []config.Problem `json:"problems,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSON(w, status, errorBody{Code: code, Message: fmt.Sprintf(format, args...)})
}

// decodeJSON reads a JSON body of at most maxBody bytes into v, refusing
// unknown fields, trailing data and text that breaks the text rule (see
// ingest.CheckText).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r, maxBody)
	if err != nil {
		return err
	}
	if err := ingest.CheckText(body); err != nil {
		return textError("body", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("malformed JSON: %v", err)
	}
	if dec.More() {
		return badRequest("malformed JSON: data after the top-level value")
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for a body that may be left out.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(w, r, v)
}

// readBody reads a body of at most limit bytes: 413 beyond it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, refusal(http.StatusRequestEntityTooLarge, "too_large", "request body is larger than %d bytes", limit)
		}
		return nil, badRequest("read body: %v", err)
	}
	return body, nil
}

// listParams are the paging parameters every list endpoint takes.
type listParams struct {
	limit int
	after string // the last id of the previous page
}

const (
	defaultLimit = 100
	maxLimit     = 1000
)

func parseList(r *http.Request) (listParams, error) {
	p := listParams{limit: defaultLimit}
	q := r.URL.Query()
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, badRequest("limit must be a positive integer, got %.64q", s)
		}
		p.limit = min(n, maxLimit)
	}
	if c := q.Get("cursor"); c != "" {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || len(raw) == 0 || !utf8.Valid(raw) {
			return p, badRequest("invalid cursor %.64q", c)
		}
		p.after = string(raw)
	}
	return p, nil
}

func encodeCursor(id string) *string {
	c := base64.RawURLEncoding.EncodeToString([]byte(id))
	return &c
}

// pageByID returns the page of items (sorted here by id) after p.after, and
// the cursor of the next page or nil on the last one.
func pageByID[T any](items []T, id func(T) string, p listParams) ([]T, *string) {
	sorted := append([]T(nil), items...)
	sort.Slice(sorted, func(i, j int) bool { return id(sorted[i]) < id(sorted[j]) })
	start := 0
	if p.after != "" {
		start = sort.Search(len(sorted), func(i int) bool { return id(sorted[i]) > p.after })
	}
	end := min(start+p.limit, len(sorted))
	page := sorted[start:end]
	if page == nil {
		page = []T{}
	}
	if end < len(sorted) {
		return page, encodeCursor(id(sorted[end-1]))
	}
	return page, nil
}

// parseIDList reads the paging parameters of a list whose cursor is the
// last id of the previous page.
func parseIDList(r *http.Request) (listParams, int64, error) {
	p, err := parseList(r)
	if err != nil {
		return p, 0, err
	}
	before, err := idCursor(p)
	return p, before, err
}

// idPage trims a result fetched with limit+1 rows, in id order either way,
// to the page and returns the cursor of the next page, nil on the last.
func idPage[T any](items []T, limit int, id func(T) int64) ([]T, *string) {
	if len(items) <= limit {
		return items, nil
	}
	items = items[:limit]
	return items, encodeCursor(strconv.FormatInt(id(items[len(items)-1]), 10))
}

// writeIDPage answers the page of a list paged by id, from items fetched
// with limit+1 rows.
func writeIDPage[T any](w http.ResponseWriter, key string, items []T, limit int, id func(T) int64) {
	page, next := idPage(items, limit, id)
	writeJSON(w, http.StatusOK, map[string]any{key: nonNil(page), "next_cursor": next})
}

// idCursor parses a cursor holding the last id of the previous page.
func idCursor(p listParams) (int64, error) {
	if p.after == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(p.after, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("invalid cursor")
	}
	return id, nil
}

// checkFields applies the text rule to a query or a form: no field name
// or value holds invalid UTF-8 or a NUL character. It names the first
// field at fault, as a what ("query parameter", "form field").
func checkFields(what string, fields url.Values) error {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if problem := textProblem(name); problem != "" {
			return badRequest("a %s's name: %s", what, problem)
		}
		for _, v := range fields[name] {
			if problem := textProblem(v); problem != "" {
				return badRequest("%s %.64q: %s", what, name, problem)
			}
		}
	}
	return nil
}

// textProblem says what breaks the text rule in s, or "" when nothing does.
func textProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character"
	}
	return ""
}

// textError refuses text that breaks the text rule, naming where: in the
// body, every field at fault.
func textError(where string, err error) error {
	var invalid *ingest.ValidationError
	if errors.As(err, &invalid) {
		return badRequest("%s: %s", where, strings.Join(invalid.Errors, "; "))
	}
	return badRequest("%v", err)
}
