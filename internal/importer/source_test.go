package importer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDirPages(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"users.json": `{"users":[1]}`, "users-2.json": `{"users":[2]}`, "users-3.json": `{"users":[3]}`,
		"users-5.json":      `{"users":[5]}`, // after a gap: not a page of the list
		"schedules/P1.json": `{"schedule":{}}`, "stray.json": `{}`,
	})
	d, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pages, err := d.Pages(ctx, "users")
	if err != nil || len(pages) != 3 || string(pages[2]) != `{"users":[3]}` {
		t.Fatalf("Pages(users) = %q, %v", pages, err)
	}
	if pages, err := d.Pages(ctx, "teams"); err != nil || pages != nil {
		t.Errorf("a missing list = %q, %v; want no pages and no error", pages, err)
	}
	if body, found, err := d.Object(ctx, "schedules/P1"); err != nil || !found || string(body) != `{"schedule":{}}` {
		t.Errorf("Object = %q %v %v", body, found, err)
	}
	if _, found, err := d.Object(ctx, "schedules/P2"); err != nil || found {
		t.Errorf("a missing object: found %v, err %v", found, err)
	}
	if got := d.Unread(); !slices.Equal(got, []string{"stray.json", "users-5.json"}) {
		t.Errorf("Unread = %v", got)
	}
}

func TestDirRefusesHostilePaths(t *testing.T) {
	dir := writeFiles(t, map[string]string{"users.json": `{}`})
	d, _ := NewDir(filepath.Join(dir))
	ctx := context.Background()
	for _, p := range []string{"../users", "schedules/../../etc/passwd", "/etc/passwd", "a//b", "a/./b", "", "sch edules", "users\x00", "schedules/P1?x=1", strings.Repeat("a", 600)} {
		if _, _, err := d.Object(ctx, p); err == nil {
			t.Errorf("Object(%q) was not refused", p)
		}
		if _, err := d.Pages(ctx, p); err == nil {
			t.Errorf("Pages(%q) was not refused", p)
		}
	}
	for _, id := range []string{"PS9PAY1", "a-b_c.d"} {
		if !SafeID(id) {
			t.Errorf("SafeID(%q) = false", id)
		}
	}
	for _, id := range []string{"", "..", "a/b", "a b", "\u00e9", strings.Repeat("a", 200)} {
		if SafeID(id) {
			t.Errorf("SafeID(%q) = true", id)
		}
	}
}

func TestDirLimits(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, MaxResponse+1)
	if err := os.WriteFile(filepath.Join(dir, "users.json"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "teams.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, _ := NewDir(dir)
	if _, err := d.Pages(context.Background(), "users"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an oversized page: %v", err)
	}
	if _, err := d.Pages(context.Background(), "teams"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory for a page: %v", err)
	}
	if _, err := NewDir(filepath.Join(dir, "nope")); err == nil {
		t.Error("a missing directory was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Pages(ctx, "teams"); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled read: %v", err)
	}
}

func TestItemsAndObject(t *testing.T) {
	type user struct {
		ID string `json:"id"`
	}
	got, err := Items[user]([][]byte{[]byte(`{"users":[{"id":"a"}],"more":true}`), []byte(`{"users":[{"id":"b"}]}`)}, "users", "users")
	if err != nil || len(got) != 2 || got[1].ID != "b" {
		t.Fatalf("Items = %v, %v", got, err)
	}
	bad := []struct{ page, want string }{
		{`[]`, "not a JSON object"},
		{`{"teams":[]}`, `no "users" list`},
		{`{"users":{"id":"a"}}`, `"users"`},
		{`{"users":[{"id":7}]}`, `"users"`},
		{`{"users":[` + strings.Repeat(`{"id":"x"},`, 10) + `]}`, "not a JSON object"},
		{"\xff", "not a JSON object"},
	}
	for _, b := range bad {
		if _, err := Items[user]([][]byte{[]byte(`{"users":[]}`), []byte(b.page)}, "users", "users"); err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), "page 2") {
			t.Errorf("Items(%q) error = %v, want one naming page 2 and %q", b.page, err, b.want)
		}
	}
	if u, err := Object[user]([]byte(`{"schedule":{"id":"P1"}}`), "schedules/P1", "schedule"); err != nil || u.ID != "P1" {
		t.Errorf("Object = %v, %v", u, err)
	}
	if _, err := Object[user]([]byte(`{"data":{}}`), "schedules/P1", "schedule"); err == nil {
		t.Error("Object without its key was accepted")
	}
	long := `{"users":[{"id":` + strings.Repeat("1", 5000) + `}]}`
	if _, err := Items[user]([][]byte{[]byte(long)}, "users", "users"); err == nil || len(err.Error()) > 300 {
		t.Errorf("a long error: %v", err)
	}
}

// server serves pages of a list with PagerDuty's offset paging or a next
// link, counting requests and checking the token.
func pagingServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token token=secret" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newAPI(t *testing.T, srv *httptest.Server, next func([]byte, *url.URL) (*url.URL, error)) *API {
	base, _ := url.Parse(srv.URL)
	return &API{
		Base: base, Client: srv.Client(), Header: http.Header{"Authorization": {"Token token=secret"}}, Next: next,
		Query: func(string) url.Values { return url.Values{"limit": {"2"}} },
		Wait:  func(context.Context, time.Duration) error { return nil },
	}
}

func TestAPIOffsetPaging(t *testing.T) {
	srv := pagingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/users" {
			http.NotFound(w, r)
			return
		}
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		fmt.Fprintf(w, `{"users":[%d,%d],"offset":%d,"limit":2,"more":%v}`, offset, offset+1, offset, offset < 4)
	})
	a := newAPI(t, srv, OffsetPaging)
	a.Save = t.TempDir()
	pages, err := a.Pages(context.Background(), "users")
	if err != nil || len(pages) != 3 {
		t.Fatalf("Pages = %q, %v", pages, err)
	}
	// The pages saved read back as the same list from a directory.
	d, _ := NewDir(a.Save)
	again, err := d.Pages(context.Background(), "users")
	if err != nil || !slices.EqualFunc(pages, again, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("saved pages = %q, %v", again, err)
	}
	if pages, err := a.Pages(context.Background(), "teams"); err != nil || pages != nil {
		t.Errorf("a list the API does not have: %q, %v", pages, err)
	}
	a.Header = nil
	if _, err := a.Pages(context.Background(), "users"); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Errorf("without the token: %v", err)
	}
}

func TestAPINextLinks(t *testing.T) {
	var other *httptest.Server
	srv := pagingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page") {
		case "":
			fmt.Fprint(w, `{"data":[1],"paging":{"next":"/v2/users?page=2"}}`)
		case "2":
			fmt.Fprintf(w, `{"data":[2],"paging":{"next":"%s/v2/users?page=3"}}`, "http://"+r.Host)
		case "3":
			fmt.Fprint(w, `{"data":[3],"paging":{}}`)
		case "loop":
			fmt.Fprint(w, `{"data":[3],"paging":{"next":"/v2/users?page=loop"}}`)
		case "away":
			fmt.Fprintf(w, `{"data":[3],"paging":{"next":"%s/steal"}}`, other.URL)
		}
	})
	other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the other server was asked for %s with %q", r.URL, r.Header.Get("Authorization"))
	}))
	defer other.Close()
	a := newAPI(t, srv, NextLink("paging", "next"))
	a.Path = func(p string) string { return "/v2/" + p }
	pages, err := a.Pages(context.Background(), "users")
	if err != nil || len(pages) != 3 {
		t.Fatalf("Pages = %q, %v", pages, err)
	}
	for _, start := range []string{"loop", "away"} {
		a.Query = func(string) url.Values { return url.Values{"page": {start}} }
		if _, err := a.Pages(context.Background(), "users"); err == nil {
			t.Errorf("page=%s was followed", start)
		}
	}
}

func TestAPIRetries(t *testing.T) {
	var calls atomic.Int32
	srv := pagingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch n := calls.Add(1); {
		case n == 1:
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		case n == 2:
			w.WriteHeader(http.StatusBadGateway)
		case r.URL.Path == "/schedules/P1":
			fmt.Fprint(w, `{"schedule":{"id":"P1"}}`)
		default:
			http.NotFound(w, r)
		}
	})
	a := newAPI(t, srv, OffsetPaging)
	var waits []time.Duration
	a.Wait = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	body, found, err := a.Object(context.Background(), "schedules/P1")
	if err != nil || !found || !strings.Contains(string(body), "P1") {
		t.Fatalf("Object = %q %v %v", body, found, err)
	}
	if !slices.Equal(waits, []time.Duration{3 * time.Second, 2 * time.Second}) {
		t.Errorf("waits = %v, want Retry-After's 3s then the doubled pause", waits)
	}
	if _, found, err := a.Object(context.Background(), "schedules/P2"); found || err != nil {
		t.Errorf("a 404 object: found %v err %v", found, err)
	}
	calls.Store(-100)
	failing := pagingServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	b := newAPI(t, failing, OffsetPaging)
	if _, _, err := b.Object(context.Background(), "schedules/P1"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a server that keeps failing: %v", err)
	}
}

func TestAPIOversized(t *testing.T) {
	srv := pagingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, MaxResponse+10))
	})
	a := newAPI(t, srv, OffsetPaging)
	if _, err := a.Pages(context.Background(), "users"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an oversized page: %v", err)
	}
}

func TestPagingParsers(t *testing.T) {
	cur, _ := url.Parse("https://api.example.com/users?include%5B%5D=teams&limit=25")
	for _, c := range []struct {
		page, want string
		err        bool
	}{
		{`{"offset":0,"limit":25,"more":true}`, "https://api.example.com/users?include%5B%5D=teams&limit=25&offset=25", false},
		{`{"offset":25,"limit":25,"more":false}`, "", false},
		{`{"more":true}`, "", true},
		{`{"offset":-5,"limit":25,"more":true}`, "", true},
		{`not json`, "", true},
	} {
		next, err := OffsetPaging([]byte(c.page), cur)
		if (err != nil) != c.err || (next == nil) != (c.want == "") || next != nil && next.String() != c.want {
			t.Errorf("OffsetPaging(%s) = %v, %v; want %q", c.page, next, err, c.want)
		}
	}
	for _, c := range []struct{ page, want string }{
		{`{"next":"https://oncall.example.com/api/v1/users/?page=2"}`, "https://oncall.example.com/api/v1/users/?page=2"},
		{`{"next":null}`, ""},
		{`{"next":7}`, ""},
		{`[1]`, ""},
	} {
		next, err := NextLink("next")([]byte(c.page), cur)
		if err != nil || (next == nil) != (c.want == "") || next != nil && next.String() != c.want {
			t.Errorf("NextLink(%s) = %v, %v; want %q", c.page, next, err, c.want)
		}
	}
}

// Whatever a page holds, the paging readers answer without panicking, and
// a next page they give is a URL.
func FuzzPaging(f *testing.F) {
	for _, p := range []string{`{"offset":0,"limit":25,"more":true}`, `{"next":"/v2/users?page=2"}`, `{"paging":{"next":"https://h/x"}}`, `{"more":true,"offset":1e99,"limit":-1}`, `[`} {
		f.Add(p)
	}
	cur, _ := url.Parse("https://api.example.com/users?limit=25")
	f.Fuzz(func(t *testing.T, page string) {
		for _, next := range []func([]byte, *url.URL) (*url.URL, error){OffsetPaging, NextLink("next"), NextLink("paging", "next")} {
			u, err := next([]byte(page), cur)
			if err == nil && u != nil && u.String() == "" {
				t.Errorf("an empty next page from %q", page)
			}
		}
	})
}
