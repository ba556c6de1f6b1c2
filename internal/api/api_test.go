package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/opsrun"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
	"github.com/vigil-oncall/vigil/internal/store/storeopen"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// Secrets of the tokens every fixture holds: an admin, a viewer, and a
// user token for each user it is given (tokenOf).
const (
	adminSecret  = "test-admin-token-0123456789"
	viewerSecret = "test-viewer-token-0123456789"
	aliceToken   = "test-alice-token-0123456789"
	bobToken     = "test-bob-token-0123456789"
)

// tokenOf is the secret of user's token in a fixture that has one.
func tokenOf(user string) string { return "test-" + user + "-token-0123456789" }

// fixtureNow is a Thursday, 13:00 in Berlin: the instant fixtures start at.
var fixtureNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

type fixture struct {
	t      *testing.T
	srv    *Server
	http   *httptest.Server
	store  Store
	org    *org.Manager
	pipe   *pipeline.Pipeline
	clock  *vigiltest.ManualClock
	ops    *opsrun.Runner
	viewer string
	logs   *logBuffer
	engine *sloengine.Engine // with fixtureOptions.slo
}

// fixtureOptions vary the server every API test starts from.
type fixtureOptions struct {
	dsn    string         // the store; a fresh SQLite file when empty
	start  time.Time      // the clock's first instant; fixtureNow when zero
	users  []string       // who gets a user token (tokenOf)
	bundle *config.Bundle // applied before serving
	getenv func(string) string
	// publicURL is where providers reach the server; empty, the server
	// names itself by the requests' host.
	publicURL string
	// byHand leaves the pipeline's workers to the test (RunOnce);
	// otherwise they run.
	byHand bool
	slo    bool // evaluate SLOs
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return startFixture(t, fixtureOptions{})
}

// onBothBackends runs test against a fixture on SQLite and one on
// PostgreSQL (skipped when VIGIL_TEST_POSTGRES is unset).
func onBothBackends(t *testing.T, test func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) { test(t, newFixture(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, startFixture(t, fixtureOptions{dsn: pgtest.Schema(t)})) })
}

// startFixture serves a real server: a migrated store, the organisation,
// a pipeline, behind the checker of the OpenAPI document.
func startFixture(tb testing.TB, o fixtureOptions) *fixture {
	tb.Helper()
	ctx := context.Background()
	if o.dsn == "" {
		o.dsn = "sqlite:" + filepath.Join(tb.TempDir(), "vigil.db")
	}
	if o.start.IsZero() {
		o.start = fixtureNow
	}
	if o.getenv == nil {
		o.getenv = func(string) string { return "" }
	}
	st, err := storeopen.Open(ctx, o.dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	clk := vigiltest.NewManualClock(o.start)
	toks := []store.Token{
		{ID: "admin", Name: "admin", Hash: auth.Hash(adminSecret), Role: auth.RoleAdmin},
		{ID: "viewer", Name: "viewer", Hash: auth.Hash(viewerSecret), Role: auth.RoleViewer},
	}
	for _, u := range o.users {
		toks = append(toks, store.Token{ID: u, Name: u, Hash: auth.Hash(tokenOf(u)), Role: auth.RoleUser, UserID: u})
	}
	for _, tok := range toks {
		tok.CreatedAt = o.start
		if err := st.CreateToken(ctx, tok, store.AuditEntry{At: o.start, Actor: "test", Action: "token.create", Kind: "token", ObjID: tok.ID}); err != nil {
			tb.Fatal(err)
		}
	}
	m := org.NewManager(st, clk.Now)
	if err := m.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	if o.bundle != nil {
		if _, err := m.Apply(ctx, o.bundle, "test", false); err != nil {
			tb.Fatal(err)
		}
	}
	schema, _ := st.SchemaVersion(ctx)
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	signer, err := links.NewSigner([]byte("fixture-link-key-0123456789abcdef"), clk.Now)
	if err != nil {
		tb.Fatal(err)
	}
	pipelineURL := o.publicURL
	if pipelineURL == "" {
		pipelineURL = "http://vigil.test"
	}
	pipe := pipeline.New(pipeline.Options{Store: st, Org: m, Now: clk.Now, Logger: logger, Signer: signer, PublicURL: pipelineURL,
		Channels: pipeline.DefaultChannels(m, o.getenv), Getenv: o.getenv, CallbackKey: []byte("fixture-callback-key-0123456789")})
	runner := opsrun.New(opsrun.Options{Store: st, Org: m.Snapshot, Now: clk.Now, Getenv: o.getenv, Logger: logger})
	if !o.byHand {
		vigiltest.Background(tb, pipe.Run, runner.Run)
	}
	var engine *sloengine.Engine
	if o.slo {
		accept := pipe.Accept
		if o.byHand {
			// No committer runs to answer pipe.Accept: the engine's alerts
			// go straight to the inbox, for the test's RunOnce to process.
			accept = func(ctx context.Context, events ...store.InboxEvent) error { return st.AppendInbox(ctx, events) }
		}
		engine = sloengine.New(sloengine.Options{Store: st, SLOs: func() []slo.SLO { return m.Snapshot().SLOs() },
			Accept: accept, Now: clk.Now, Logger: logger})
	}
	serverURL := o.publicURL
	if serverURL != "" {
		serverURL += "/"
	}
	srv := New(Options{Store: st, Pipeline: pipe, Signer: signer, Org: m, Logger: logger, Now: clk.Now, Version: "test", SchemaVersion: schema,
		PublicURL: serverURL, Getenv: o.getenv, SLO: engine, Operations: runner})
	hs := checkedServer(tb, srv.Handler())
	f := &fixture{srv: srv, http: hs, store: st, org: m, pipe: pipe, clock: clk, viewer: viewerSecret, logs: logs, engine: engine, ops: runner}
	f.t, _ = tb.(*testing.T)
	return f
}

// settle runs the escalator and the dispatcher of a fixture run by hand
// until neither has work.
func (f *fixture) settle() {
	f.t.Helper()
	ctx := context.Background()
	for range 10 {
		n1, err := f.pipe.Escalator.RunOnce(ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		n2, err := f.pipe.Dispatcher.RunOnce(ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		if n1+n2 == 0 {
			return
		}
	}
}

// logBuffer keeps what the server logs, for tests that check it.
type logBuffer struct{ vigiltest.Buffer }

// errors returns the lines logged at ERROR.
func (l *logBuffer) errors() []string {
	var out []string
	for line := range strings.SplitSeq(l.String(), "\n") {
		if strings.Contains(line, "level=ERROR") {
			out = append(out, line)
		}
	}
	return out
}

// call sends a request with the given token ("" for none) and decodes a
// JSON answer into out when out is non-nil.
func (f *fixture) call(method, path, token string, body any, out any) int {
	f.t.Helper()
	return f.do(f.request(method, path, token, body), out)
}

// apply applies the configuration b as the admin, failing the test unless
// it is taken.
func (f *fixture) apply(b any) {
	f.t.Helper()
	if code := f.call("POST", "/api/v1/config/apply", adminSecret, b, nil); code != http.StatusOK {
		f.t.Fatalf("apply = %d", code)
	}
}

// request builds a request with the given token ("" for none) and body (a
// string or bytes as they are, anything else as JSON).
func (f *fixture) request(method, path, token string, body any) *http.Request {
	f.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.http.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// do sends a request and decodes a JSON answer into out when out is
// non-nil; an error answer must be JSON with a message.
func (f *fixture) do(req *http.Request, out any) int {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		var e errorBody
		if err := json.Unmarshal(data, &e); err != nil || e.Message == "" {
			f.t.Errorf("%s %s: error answer %d is not JSON with a message: %s", req.Method, req.URL.Path, resp.StatusCode, data)
		}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			f.t.Fatalf("%s %s: decode %s: %v", req.Method, req.URL.Path, data, err)
		}
	}
	return resp.StatusCode
}

// shop is a small valid organisation: checkout (revenue-critical) needs
// payments (hard), which needs ledger (hard) and fraud (soft).
func shop() map[string]any {
	return map[string]any{
		"users": []any{
			map[string]any{"id": "alice", "name": "Alice", "time_zone": "Europe/Berlin"},
			map[string]any{"id": "gina", "name": "Gina", "time_zone": "America/New_York"},
		},
		"teams": []any{
			map[string]any{"id": "shop", "kind": "dev", "members": []string{"alice"}},
			map[string]any{"id": "irt", "kind": "global-irt", "members": []string{"gina"}},
		},
		"services": []any{
			map[string]any{"id": "checkout", "owner": "shop", "revenue_critical": true, "depends_on": []any{map[string]any{"service": "payments", "kind": "hard"}}},
			map[string]any{"id": "payments", "owner": "shop", "depends_on": []any{map[string]any{"service": "ledger", "kind": "hard"}, map[string]any{"service": "fraud", "kind": "soft"}}},
			map[string]any{"id": "ledger", "owner": "shop"},
			map[string]any{"id": "fraud", "owner": "shop"},
		},
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		method, path, token string
		body                any
		want                int
	}{
		{"GET", "/api/v1/services", "", nil, 401},
		{"GET", "/api/v1/services", "wrong-token", nil, 401},
		{"GET", "/api/v1/services", f.viewer, nil, 200},
		{"GET", "/api/v1/services", adminSecret, nil, 200},
		{"POST", "/api/v1/users", f.viewer, map[string]any{"id": "x", "time_zone": "UTC"}, 403},
		{"DELETE", "/api/v1/users/x", f.viewer, nil, 403},
		{"POST", "/api/v1/config/apply", f.viewer, shop(), 403},
		{"GET", "/api/v1/tokens", f.viewer, nil, 403},
		{"GET", "/api/v1/audit", f.viewer, nil, 403},
		{"GET", "/healthz", "", nil, 200},
		{"GET", "/readyz", "", nil, 200},
		{"GET", "/api/v1/openapi.json", "", nil, 200},
		{"GET", "/metrics", "", nil, 200},
		{"GET", "/api/v1/nothing-here", adminSecret, nil, 404},
	}
	for _, tt := range tests {
		if got := f.call(tt.method, tt.path, tt.token, tt.body, nil); got != tt.want {
			t.Errorf("%s %s with token %q = %d, want %d", tt.method, tt.path, tt.token, got, tt.want)
		}
	}
}

func TestTokenLifecycle(t *testing.T) {
	f := newFixture(t)
	var created struct {
		ID    string `json:"id"`
		Token string `json:"token"`
		Role  string `json:"role"`
	}
	if code := f.call("POST", "/api/v1/tokens", adminSecret, map[string]any{"name": "ci", "role": "viewer"}, &created); code != 201 {
		t.Fatalf("create token = %d", code)
	}
	if created.Token == "" || created.Role != "viewer" {
		t.Fatalf("created %+v", created)
	}
	if code := f.call("GET", "/api/v1/users", created.Token, nil, nil); code != 200 {
		t.Fatalf("new token read = %d", code)
	}
	var list struct {
		Tokens []map[string]any `json:"tokens"`
	}
	f.call("GET", "/api/v1/tokens", adminSecret, nil, &list)
	for _, tok := range list.Tokens {
		if _, leaked := tok["hash"]; leaked {
			t.Fatal("token list shows hashes")
		}
		if _, leaked := tok["token"]; leaked {
			t.Fatal("token list shows secrets")
		}
	}
	if code := f.call("DELETE", "/api/v1/tokens/"+created.ID, adminSecret, nil, nil); code != 204 {
		t.Fatalf("revoke = %d", code)
	}
	if code := f.call("GET", "/api/v1/users", created.Token, nil, nil); code != 401 {
		t.Fatalf("revoked token read = %d, want 401", code)
	}
	if code := f.call("DELETE", "/api/v1/tokens/nope", adminSecret, nil, nil); code != 404 {
		t.Fatalf("revoke unknown = %d, want 404", code)
	}
	bad := []map[string]any{
		{"role": "viewer"},                             // no name
		{"name": "x", "role": "root"},                  // bad role
		{"name": "x", "role": "user"},                  // user token without user
		{"name": "x", "role": "user", "user_id": "no"}, // unknown user
	}
	for _, b := range bad {
		if code := f.call("POST", "/api/v1/tokens", adminSecret, b, nil); code != 400 {
			t.Errorf("create token %v = %d, want 400", b, code)
		}
	}
}

func TestCRUDAndValidation(t *testing.T) {
	f := newFixture(t)
	f.apply(shop())
	user := map[string]any{"id": "bob", "name": "Bob", "time_zone": "Australia/Sydney"}
	if code := f.call("POST", "/api/v1/users", adminSecret, user, nil); code != 201 {
		t.Fatalf("create user = %d", code)
	}
	if code := f.call("POST", "/api/v1/users", adminSecret, user, nil); code != 409 {
		t.Fatalf("create duplicate = %d, want 409", code)
	}
	var got map[string]any
	if code := f.call("GET", "/api/v1/users/bob", f.viewer, nil, &got); code != 200 || got["time_zone"] != "Australia/Sydney" {
		t.Fatalf("get user = %d %v", code, got)
	}
	user["name"] = "Robert"
	user["action_notices"] = false // Bob opts out of notices of others' actions
	if code := f.call("PUT", "/api/v1/users/bob", adminSecret, user, &got); code != 200 || got["name"] != "Robert" || got["action_notices"] != false {
		t.Fatalf("replace user = %d %v", code, got)
	}
	if code := f.call("GET", "/api/v1/users/bob", f.viewer, nil, &got); code != 200 || got["action_notices"] != false {
		t.Fatalf("get user after opting out = %d %v", code, got)
	}
	tests := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"unknown id", "GET", "/api/v1/users/nobody", nil, 404},
		{"replace unknown", "PUT", "/api/v1/users/nobody", map[string]any{"id": "nobody", "time_zone": "UTC"}, 404},
		{"delete unknown", "DELETE", "/api/v1/services/nothing", nil, 404},
		{"bad time zone", "POST", "/api/v1/users", map[string]any{"id": "carl", "time_zone": "Mars/Olympus"}, 400},
		{"missing id", "POST", "/api/v1/users", map[string]any{"time_zone": "UTC"}, 400},
		{"bad id", "POST", "/api/v1/users", map[string]any{"id": "Carl Smith", "time_zone": "UTC"}, 400},
		{"unknown field", "POST", "/api/v1/users", map[string]any{"id": "carl", "time_zone": "UTC", "timezone": "UTC"}, 400},
		{"wrong type", "POST", "/api/v1/users", map[string]any{"id": 7, "time_zone": "UTC"}, 400},
		{"malformed json", "POST", "/api/v1/users", `{"id": "carl",`, 400},
		{"trailing data", "POST", "/api/v1/users", `{"id": "carl", "time_zone": "UTC"} {}`, 400},
		{"invalid utf-8", "POST", "/api/v1/users", []byte("{\"id\": \"carl\xff\", \"time_zone\": \"UTC\"}"), 400},
		{"too large", "POST", "/api/v1/users", map[string]any{"id": "carl", "time_zone": "UTC", "name": strings.Repeat("x", 1<<20)}, 413},
		{"path and body ids differ", "PUT", "/api/v1/users/bob", map[string]any{"id": "alice", "time_zone": "UTC"}, 400},
		{"dangling owner", "POST", "/api/v1/services", map[string]any{"id": "search", "owner": "nobody"}, 400},
		{"bad dependency kind", "POST", "/api/v1/services", map[string]any{"id": "search", "owner": "shop", "depends_on": []any{map[string]any{"service": "ledger", "kind": "mandatory"}}}, 400},
		{"second global irt", "POST", "/api/v1/teams", map[string]any{"id": "irt2", "kind": "global-irt", "members": []string{"gina"}}, 400},
		{"delete referenced user", "DELETE", "/api/v1/users/alice", nil, 400},
		{"bad limit", "GET", "/api/v1/users?limit=zero", nil, 400},
		{"bad cursor", "GET", "/api/v1/users?cursor=%25%25", nil, 400},
	}
	for _, tt := range tests {
		if code := f.call(tt.method, tt.path, adminSecret, tt.body, nil); code != tt.want {
			t.Errorf("%s: %s %s = %d, want %d", tt.name, tt.method, tt.path, code, tt.want)
		}
	}
	var invalid errorBody
	f.call("POST", "/api/v1/services", adminSecret, map[string]any{"id": "search", "owner": "nobody"}, &invalid)
	if len(invalid.Problems) == 0 || !strings.Contains(invalid.Problems[0].Message, "nobody") {
		t.Errorf("invalid service problems = %+v, want one naming the unknown owner", invalid.Problems)
	}
	if code := f.call("DELETE", "/api/v1/users/bob", adminSecret, nil, nil); code != 204 {
		t.Fatalf("delete = %d", code)
	}
	if code := f.call("GET", "/api/v1/users/bob", adminSecret, nil, nil); code != 404 {
		t.Fatalf("get deleted = %d", code)
	}
}

func TestListPaging(t *testing.T) {
	f := newFixture(t)
	f.apply(shop())
	var seen []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		var page struct {
			Services   []map[string]any `json:"services"`
			NextCursor *string          `json:"next_cursor"`
		}
		path := "/api/v1/services?limit=3"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if code := f.call("GET", path, f.viewer, nil, &page); code != 200 {
			t.Fatalf("list = %d", code)
		}
		if len(page.Services) > 3 {
			t.Fatalf("page of %d > limit 3", len(page.Services))
		}
		for _, s := range page.Services {
			seen = append(seen, s["id"].(string))
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if got := strings.Join(seen, ","); got != "checkout,fraud,ledger,payments" {
		t.Fatalf("paged ids = %s", got)
	}
	// The envelope has next_cursor even on the only page, as null.
	var raw map[string]json.RawMessage
	f.call("GET", "/api/v1/users?limit=5000", f.viewer, nil, &raw)
	if string(raw["next_cursor"]) != "null" {
		t.Fatalf("next_cursor = %s, want null", raw["next_cursor"])
	}
}

func TestServiceCriticality(t *testing.T) {
	f := newFixture(t)
	f.apply(shop())
	tests := []struct {
		id       string
		critical bool
		because  string
	}{
		{"checkout", true, "checkout"},
		{"payments", true, "checkout,payments"},
		{"ledger", true, "checkout,payments,ledger"},
		{"fraud", false, ""},
	}
	for _, tt := range tests {
		var svc struct {
			Critical        bool     `json:"critical"`
			CriticalBecause []string `json:"critical_because"`
		}
		var raw map[string]json.RawMessage
		f.call("GET", "/api/v1/services/"+tt.id, f.viewer, nil, &raw)
		data, _ := json.Marshal(raw)
		_ = json.Unmarshal(data, &svc)
		if svc.Critical != tt.critical || strings.Join(svc.CriticalBecause, ",") != tt.because {
			t.Errorf("%s: critical=%v because=%v, want %v %q", tt.id, svc.Critical, svc.CriticalBecause, tt.critical, tt.because)
		}
		if string(raw["critical_because"]) == "null" {
			t.Errorf("%s: critical_because is null, want []", tt.id)
		}
	}
	// Making the soft edge hard makes fraud critical through payments.
	var payments map[string]any
	f.call("GET", "/api/v1/services/payments", adminSecret, nil, &payments)
	payments["depends_on"] = []any{map[string]any{"service": "ledger", "kind": "hard"}, map[string]any{"service": "fraud", "kind": "hard"}}
	if code := f.call("PUT", "/api/v1/services/payments", adminSecret, payments, nil); code != 200 {
		t.Fatalf("update payments = %d", code)
	}
	var fraud struct {
		Critical        bool     `json:"critical"`
		CriticalBecause []string `json:"critical_because"`
	}
	f.call("GET", "/api/v1/services/fraud", f.viewer, nil, &fraud)
	if !fraud.Critical || strings.Join(fraud.CriticalBecause, ",") != "checkout,payments,fraud" {
		t.Fatalf("fraud after hardening = %+v", fraud)
	}
	var blast struct {
		Hard []string `json:"hard"`
		All  []string `json:"all"`
	}
	f.call("GET", "/api/v1/services/ledger/blast_radius", f.viewer, nil, &blast)
	if strings.Join(blast.Hard, ",") != "checkout,payments" || strings.Join(blast.All, ",") != "checkout,payments" {
		t.Fatalf("blast radius of ledger = %+v", blast)
	}
}

func TestApplyIsIdempotentAndKeepsAPIObjects(t *testing.T) {
	f := newFixture(t)
	var res applyResult
	if code := f.call("POST", "/api/v1/config/apply?dry_run=true", adminSecret, shop(), &res); code != 200 || len(res.Changes) != 8 || !res.DryRun {
		t.Fatalf("dry run = %d %+v", code, res)
	}
	var users struct {
		Users []any `json:"users"`
	}
	f.call("GET", "/api/v1/users", adminSecret, nil, &users)
	if len(users.Users) != 0 {
		t.Fatal("dry run wrote users")
	}
	f.call("POST", "/api/v1/config/apply", adminSecret, shop(), &res)
	if len(res.Changes) != 8 {
		t.Fatalf("first apply changed %d objects, want 8", len(res.Changes))
	}
	f.call("POST", "/api/v1/config/apply", adminSecret, shop(), &res)
	if len(res.Changes) != 0 {
		t.Fatalf("second apply changed %+v, want nothing", res.Changes)
	}
	// An object made through the API survives apply; one removed from
	// the files is deleted.
	f.call("POST", "/api/v1/users", adminSecret, map[string]any{"id": "api-made", "time_zone": "UTC"}, nil)
	b := shop()
	b["services"] = b["services"].([]any)[:3] // drop fraud, still named by payments: invalid
	if code := f.call("POST", "/api/v1/config/apply", adminSecret, b, nil); code != 400 {
		t.Fatalf("apply with a dangling dependency = %d, want 400", code)
	}
	svcs := shop()["services"].([]any)
	svcs[1].(map[string]any)["depends_on"] = []any{map[string]any{"service": "ledger", "kind": "hard"}}
	b["services"] = svcs[:3]
	f.call("POST", "/api/v1/config/apply", adminSecret, b, &res)
	if len(res.Changes) != 2 || res.Changes[0].Action != "delete" || res.Changes[0].ID != "fraud" || res.Changes[1].Action != "update" || res.Changes[1].ID != "payments" {
		t.Fatalf("changes = %+v, want delete fraud and update payments (by kind, then id)", res.Changes)
	}
	if code := f.call("GET", "/api/v1/users/api-made", adminSecret, nil, nil); code != 200 {
		t.Fatal("apply deleted an object made through the API")
	}
	var audit struct {
		Entries []store.AuditEntry `json:"audit_entries"`
	}
	f.call("GET", "/api/v1/audit?kind=service&object_id=fraud", adminSecret, nil, &audit)
	if len(audit.Entries) != 2 || audit.Entries[0].Details != "delete" || audit.Entries[1].Details != "create" {
		t.Fatalf("audit of fraud = %+v, want delete then create", audit.Entries)
	}
}

// TestOpenAPIMatchesRoutes keeps the OpenAPI document true: every route is
// documented and every documented operation is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if code := f.call("GET", "/api/v1/openapi.json", "", nil, &doc); code != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json = %d, version %q", code, doc.OpenAPI)
	}
	served := map[string]bool{"get /metrics": true}
	for _, rt := range f.srv.routes() {
		served[strings.ToLower(rt.method)+" "+rt.pattern] = true
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[method+" "+path] = true
		}
	}
	for op := range served {
		if !documented[op] {
			t.Errorf("route %s is not in openapi.json", op)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("openapi.json documents %s, which is not served", op)
		}
	}
}

func TestAuthFailuresAreRateLimited(t *testing.T) {
	f := newFixture(t)
	got429 := false
	for i := 0; i < 150; i++ {
		if f.call("GET", "/api/v1/users", "guess-"+string(rune('a'+i%26)), nil, nil) == 429 {
			got429 = true
			break
		}
	}
	if !got429 {
		t.Fatal("150 wrong tokens in a row were never refused with 429")
	}
}

// TestReadyOnlyWithAConfiguration: while the configuration the server was
// started with is refused and the store holds none, /readyz answers 503
// with the reason; a configuration loaded from anywhere makes it ready.
func TestReadyOnlyWithAConfiguration(t *testing.T) {
	f := newFixture(t)
	if code := f.call("GET", "/readyz", "", nil, nil); code != 200 {
		t.Fatalf("/readyz started without a configuration = %d, want 200", code)
	}
	f.srv.configRefused = func() error { return errors.New("bad.yaml refused: users[0].time_zone: unknown time zone") }
	var answer struct{ Status, Message string }
	if code := f.call("GET", "/readyz", "", nil, &answer); code != 503 || !strings.Contains(answer.Message, "bad.yaml refused: users[0].time_zone") {
		t.Fatalf("/readyz with the configuration refused = %d %+v, want 503 with the reason", code, answer)
	}
	f.pagingOrg()
	if code := f.call("GET", "/readyz", "", nil, nil); code != 200 {
		t.Fatalf("/readyz once a configuration loaded = %d, want 200", code)
	}
}
