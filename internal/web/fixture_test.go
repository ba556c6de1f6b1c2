package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/opsrun"

	"github.com/vigil-oncall/vigil/internal/store/sqlite"

	"github.com/vigil-oncall/vigil/internal/vigiltest/testdb"

	"github.com/vigil-oncall/vigil/internal/api"
	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/clock"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
	"github.com/vigil-oncall/vigil/internal/vigiltest/oidctest"
)

const (
	adminSecret = "web-test-admin-token-0123456789"
	// bobSecret is a user token of bob, who is on no team that owns the
	// shop's services: he may read but not act on their incidents.
	bobSecret     = "web-test-bob-token-0123456789"
	alicePassword = "alice's long passphrase"
	checkoutKey   = "0123456789abcdef0123456789abcdef"
)

// server is a real Vigil server (SQLite store, running pipeline, REST API
// and the UI) on a local port.
type server struct {
	t     *testing.T
	url   string
	http  *httptest.Server
	store *sqlite.Store
}

func newServer(t *testing.T) *server {
	t.Helper()
	return newServerWithClock(t, vigiltest.Clock(t))
}

// newServerAt is a server whose clock starts at start.
func newServerAt(t *testing.T, start time.Time) *server {
	t.Helper()
	return newServerWithClock(t, clock.Starting(start, time.Now))
}

func newServerWithClock(t *testing.T, now func() time.Time) *server {
	t.Helper()
	ctx := context.Background()
	st := testdb.SQLite(t)
	for _, tok := range []store.Token{
		{ID: "admin", Name: "admin", Hash: auth.Hash(adminSecret), Role: auth.RoleAdmin, CreatedAt: now()},
		{ID: "bob", Name: "bob", Hash: auth.Hash(bobSecret), Role: auth.RoleUser, UserID: "bob", CreatedAt: now()},
	} {
		if err := st.CreateToken(ctx, tok, store.AuditEntry{At: now(), Actor: "test", Action: "token.create", Kind: "token", ObjID: tok.ID}); err != nil {
			t.Fatal(err)
		}
	}
	m := org.NewManager(st, now)
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	schema, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	signer, err := links.NewSigner([]byte("web-test-link-key-0123456789abcdef"), now)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + hs.Listener.Addr().String()
	pipe := pipeline.New(pipeline.Options{Store: st, Org: m, Now: now, Logger: logger, Signer: signer, PublicURL: publicURL,
		Channels: pipeline.DefaultChannels(m, func(string) string { return "" })})
	getenv := func(name string) string {
		switch name {
		case "PLATFORM_TOKEN":
			return platformToken
		case ssoSecretEnv:
			return oidctest.ClientSecret
		}
		return ""
	}
	runner := opsrun.New(opsrun.Options{Store: st, Org: m.Snapshot, Now: now, Getenv: getenv, Logger: logger})
	vigiltest.Background(t, pipe.Run, runner.Run)
	ui, err := New()
	if err != nil {
		t.Fatal(err)
	}
	engine := sloengine.New(sloengine.Options{Store: st, SLOs: func() []slo.SLO { return m.Snapshot().SLOs() },
		Accept: pipe.Accept, Now: now, Logger: logger})
	srv := api.New(api.Options{Store: st, Pipeline: pipe, Signer: signer, Org: m, Logger: logger, Now: now, SLO: engine,
		Version: "test", SchemaVersion: schema, PublicURL: publicURL, UI: ui, Operations: runner, Getenv: getenv,
		// Small argon2id parameters: the same code, a fast test.
		PasswordParams: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	return &server{t: t, url: hs.URL, http: hs, store: st}
}

// call sends a JSON request with a bearer token ("" for none), decodes the
// answer into out when given, and returns the status.
func (s *server) call(method, path, token string, body, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// shop is a small organisation: checkout (revenue-critical) needs payments
// (hard), which needs ledger (hard) and fraud (soft); search, owned by
// another team, needs ledger (soft) and nothing needs it.
// Alice is on the shop team that owns them; bob is on the search team.
func shop() map[string]any {
	dep := func(svc, kind string) map[string]any { return map[string]any{"service": svc, "kind": kind} }
	return map[string]any{
		"users": []any{
			map[string]any{"id": "alice", "name": "Alice Martin", "time_zone": "Europe/Berlin"},
			map[string]any{"id": "carol", "name": "Carol Diaz", "time_zone": "Europe/Berlin"},
			map[string]any{"id": "bob", "name": "Bob Stone", "time_zone": "America/New_York"},
			map[string]any{"id": "gina", "name": "Gina Lee", "time_zone": "America/New_York"},
		},
		"teams": []any{
			map[string]any{"id": "shop", "name": "Shop", "kind": "dev", "members": []string{"alice", "carol"},
				"schedule": "shop-oncall", "escalation_policy": "shop-default"},
			map[string]any{"id": "search-team", "kind": "dev", "members": []string{"bob"}},
			map[string]any{"id": "irt", "kind": "global-irt", "members": []string{"gina"}},
		},
		"schedules": []any{
			map[string]any{"id": "shop-oncall", "name": "Shop on-call", "time_zone": "Europe/Berlin", "layers": []any{
				map[string]any{"id": "daily", "users": []string{"alice", "carol"}, "rotation": map[string]any{"every": "1d"},
					"start": "2026-01-05T09:00:00+01:00"},
			}},
		},
		"escalation_policies": []any{
			map[string]any{"id": "shop-default", "steps": []any{
				map[string]any{"targets": []any{map[string]any{"schedule": "shop-oncall"}}, "escalate_after": "10m"},
			}},
		},
		"services": []any{
			map[string]any{"id": "checkout", "name": "Checkout", "owner": "shop", "revenue_critical": true,
				"depends_on":   []any{dep("payments", "hard")},
				"integrations": []any{map[string]any{"type": "pagerduty", "key": checkoutKey}}},
			map[string]any{"id": "payments", "name": "Payments API", "owner": "shop",
				"depends_on": []any{dep("ledger", "hard"), dep("fraud", "soft")}},
			map[string]any{"id": "ledger", "owner": "shop"},
			map[string]any{"id": "fraud", "owner": "shop"},
			map[string]any{"id": "search", "owner": "search-team", "depends_on": []any{dep("ledger", "soft")}},
		},
	}
}

// apply applies the configuration b as the admin, failing the test unless
// it is taken.
func (s *server) apply(b any) {
	s.t.Helper()
	var answer map[string]any
	if code := s.call("POST", "/api/v1/config/apply", adminSecret, b, &answer); code != http.StatusOK {
		s.t.Fatalf("apply = %d %v", code, answer)
	}
}

// applyShop applies the shop and gives alice a password.
func (s *server) applyShop() {
	s.t.Helper()
	s.apply(shop())
	if code := s.call("PUT", "/api/v1/users/alice/password", adminSecret, map[string]string{"password": alicePassword}, nil); code != http.StatusNoContent {
		s.t.Fatalf("set alice's password = %d", code)
	}
}

// applyShopWith applies the shop with further YAML documents (OpenSLO
// ones), as vigil apply sends a directory: the shop itself goes as JSON,
// which is YAML too.
func (s *server) applyShopWith(docs string) {
	s.t.Helper()
	org, err := json.Marshal(shop())
	if err != nil {
		s.t.Fatal(err)
	}
	loaded := config.LoadBytes("shop.yaml", append(append(org, "\n---\n"...), docs...))
	if len(loaded.Problems) > 0 {
		s.t.Fatalf("config problems: %v", loaded.Problems)
	}
	s.apply(loaded.Bundle)
}

// incident is what the tests read of an incident.
type incident struct {
	ID       int64             `json:"id"`
	Title    string            `json:"title"`
	Status   string            `json:"status"`
	Services []string          `json:"services"`
	Roles    map[string]string `json:"roles"`
	Timeline []struct {
		Kind    string `json:"kind"`
		Actor   string `json:"actor"`
		Channel string `json:"channel"`
	} `json:"timeline"`
}

// trigger sends a PagerDuty event for checkout and waits for its incident.
func (s *server) trigger(summary string) incident {
	s.t.Helper()
	event := map[string]any{"routing_key": checkoutKey, "event_action": "trigger", "dedup_key": summary,
		"payload": map[string]any{"summary": summary, "source": "web-1", "severity": "critical"}}
	if code := s.call("POST", "/v2/enqueue", "", event, nil); code != http.StatusAccepted {
		s.t.Fatalf("enqueue = %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var page struct {
			Incidents []incident `json:"incidents"`
		}
		s.call("GET", "/api/v1/incidents?service=checkout", adminSecret, nil, &page)
		for _, inc := range page.Incidents {
			if strings.Contains(inc.Title, summary) {
				return inc
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("no incident for %q after 10s", summary)
	return incident{}
}

func (s *server) incident(id int64) incident {
	s.t.Helper()
	var inc incident
	if code := s.call("GET", "/api/v1/incidents/"+strconv.FormatInt(id, 10), adminSecret, nil, &inc); code != http.StatusOK {
		s.t.Fatalf("get incident %d = %d", id, code)
	}
	return inc
}
