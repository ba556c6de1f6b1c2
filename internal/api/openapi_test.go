package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The OpenAPI document is checked against reality: every response the
// test servers of this package give is validated against it, so that a
// field added, renamed or retyped without the document fails the test
// that saw it. Objects are read strictly (see strictObjects): a field the
// document does not list is an error, unless the schema says the object
// is open.

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// openAPIRouter loads openapi.json once, made strict, and routes requests
// to its operations.
func openAPIRouter() (routers.Router, error) {
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(openapiDoc)
		if err != nil {
			specErr = fmt.Errorf("load openapi.json: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			specErr = fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
			return
		}
		strictObjects(doc)
		// Tests reach the server at its own address: match paths alone.
		doc.Servers = nil
		specRouter, specErr = legacy.NewRouter(doc)
	})
	return specRouter, specErr
}

func init() {
	// Bodies that are not JSON are checked for their content type only.
	for _, ct := range []string{"text/calendar", "text/html", "text/xml", "text/plain", "text/markdown"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}

// strictObjects closes every object schema of the document that lists its
// properties and says nothing of others: the document is a contract, and a
// response with a field it does not name breaks it. An allOf of objects is
// merged into one object first, so that each part's fields count as known.
func strictObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(ref *openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.AllOf) > 0 {
			// In place: every reference to this schema shares it.
			*s = *mergeAllOf(s)
		}
		for _, p := range s.Properties {
			visit(p)
		}
		visit(s.Items)
		for _, sub := range append(append(s.OneOf, s.AnyOf...), s.AllOf...) {
			visit(sub)
		}
		visit(s.AdditionalProperties.Schema)
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			closed := false
			s.AdditionalProperties.Has = &closed
		}
	}
	for _, c := range doc.Components.Schemas {
		visit(c)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, media := range op.RequestBody.Value.Content {
					visit(media.Schema)
				}
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for _, media := range resp.Value.Content {
					visit(media.Schema)
				}
			}
		}
	}
	for _, resp := range doc.Components.Responses {
		if resp.Value == nil {
			continue
		}
		for _, media := range resp.Value.Content {
			visit(media.Schema)
		}
	}
}

// mergeAllOf returns one object schema with the properties and required
// fields of every part of s.AllOf (and of s itself).
func mergeAllOf(s *openapi3.Schema) *openapi3.Schema {
	merged := *s
	merged.AllOf = nil
	merged.Properties = openapi3.Schemas{}
	for name, p := range s.Properties {
		merged.Properties[name] = p
	}
	merged.Required = append([]string(nil), s.Required...)
	merged.Type = &openapi3.Types{openapi3.TypeObject}
	for _, part := range s.AllOf {
		if part.Value == nil {
			continue
		}
		v := part.Value
		if len(v.AllOf) > 0 {
			v = mergeAllOf(v)
		}
		for name, p := range v.Properties {
			merged.Properties[name] = p
		}
		merged.Required = append(merged.Required, v.Required...)
	}
	return &merged
}

// specChecker validates the responses a test server gives, and reports
// what does not match the document when the test ends.
type specChecker struct {
	mu       sync.Mutex
	problems []string
	checked  int
}

// checkedServer serves h for a test, validating every response whose
// route the document knows against it.
func checkedServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	router, err := openAPIRouter()
	if err != nil {
		t.Fatal(err)
	}
	c := &specChecker{}
	// Registered before the server's own cleanup, so that it runs after
	// the server closed and every response was seen.
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, p := range c.problems {
			t.Errorf("a response does not match openapi.json: %s", p)
		}
	})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The request's body is kept for the check: a request the server
		// accepted must be one the document describes.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		c.check(router, r, body, rec)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(hs.Close)
	return hs
}

// check validates the answer to r against the document and, when the
// server accepted r (2xx), r itself with its body.
func (c *specChecker) check(router routers.Router, r *http.Request, body []byte, rec *httptest.ResponseRecorder) {
	// The router matches on the URL the request named; the server saw
	// only its path.
	req := r.Clone(context.Background())
	req.URL.Scheme, req.URL.Host = "", ""
	route, params, err := router.FindRoute(req)
	if err != nil {
		return // not a documented route: the route test covers those
	}
	reqIn := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		// Fields the document marks read-only may come back in a write,
		// which ignores them (a service is written back as it was read).
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true, ExcludeReadOnlyValidations: true}}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqIn,
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(rec.Body.Bytes())
	err = openapi3filter.ValidateResponse(context.Background(), in)
	if err == nil && rec.Code >= 200 && rec.Code < 300 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		if err = openapi3filter.ValidateRequest(context.Background(), reqIn); err != nil {
			err = fmt.Errorf("the request it accepted: %w", err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked++
	if err != nil {
		body := rec.Body.String()
		if len(body) > 300 {
			body = body[:300] + "…"
		}
		c.problems = append(c.problems, fmt.Sprintf("%s %s → %d: %s\n\tbody: %s", r.Method, route.Path, rec.Code,
			strings.ReplaceAll(err.Error(), "\n", "\n\t"), body))
	}
}

// TestResponsesAreCheckedAgainstTheDocument proves the checker has teeth:
// a response with a field the document does not name, a field of the
// wrong type, a missing required field and a status the document does not
// list are each refused, as is an accepted request with a field the
// document does not name; documented exchanges pass.
func TestResponsesAreCheckedAgainstTheDocument(t *testing.T) {
	router, err := openAPIRouter()
	if err != nil {
		t.Fatal(err)
	}
	const confirm = "/api/v1/users/alice/contact_methods/alice-sms/verification/confirm"
	const verified = `{"user":"alice","contact_method":"alice-sms","needs_verification":true,"verified":true}`
	tests := []struct {
		name, method, path, request string
		status                      int
		body                        string
		ok                          bool
	}{
		{"as documented", "GET", "/api/v1/version", "", 200, `{"version":"1.2.3"}`, true},
		{"an undocumented field", "GET", "/api/v1/version", "", 200, `{"version":"1.2.3","build":"x"}`, false},
		{"a field of the wrong type", "GET", "/api/v1/version", "", 200, `{"version":5}`, false},
		{"an undocumented status", "GET", "/api/v1/version", "", 418, `{"version":"1.2.3"}`, false},
		{"a required field missing", "GET", "/healthz", "", 200, `{}`, false},
		{"an error as documented", "GET", "/api/v1/version", "", 401, `{"code":"unauthorized","message":"missing bearer token"}`, true},
		{"an error without its message", "GET", "/api/v1/version", "", 401, `{"code":"unauthorized"}`, false},
		{"a request as documented", "POST", confirm, `{"code":"123456"}`, 200, verified, true},
		{"an accepted request with an undocumented field", "POST", confirm, `{"code":"123456","remember":true}`, 200, verified, false},
		{"a refused request is not checked", "POST", confirm, `{"code":"123456","remember":true}`, 400, `{"code":"bad_request","message":"unknown field"}`, true},
	}
	for _, tt := range tests {
		c := &specChecker{}
		req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.request))
		if tt.request != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(tt.status)
		_, _ = io.Copy(rec, bytes.NewBufferString(tt.body))
		c.check(router, req, []byte(tt.request), rec)
		if got := len(c.problems) == 0; got != tt.ok || c.checked != 1 {
			t.Errorf("%s: accepted %v (%d checked), want %v: %v", tt.name, got, c.checked, tt.ok, c.problems)
		}
	}
}
