package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/sqlite/sqlitetest"
)

// benchNow is the benchmark servers' clock.
func benchNow() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }

// benchOrgServer serves the organisation orgDoc from a fresh SQLite store,
// with an admin token (adminSecret) and no pipeline.
func benchOrgServer(b *testing.B, orgDoc map[string]any) (*Server, Store) {
	b.Helper()
	ctx := context.Background()
	st := sqlitetest.Open(b)
	if err := st.CreateToken(ctx, store.Token{ID: "admin", Name: "admin", Hash: auth.Hash(adminSecret), Role: auth.RoleAdmin, CreatedAt: benchNow()},
		store.AuditEntry{At: benchNow(), Actor: "test", Action: "token.create", Kind: "token", ObjID: "admin"}); err != nil {
		b.Fatal(err)
	}
	m := org.NewManager(st, benchNow)
	if err := m.Load(ctx); err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(orgDoc)
	var bundle config.Bundle
	if err := json.Unmarshal(raw, &bundle); err != nil {
		b.Fatal(err)
	}
	if _, err := m.Apply(ctx, &bundle, "test", false); err != nil {
		b.Fatal(err)
	}
	return New(Options{Store: st, Org: m, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: benchNow}), st
}

// benchServer serves the rota organisation, with a feed token for alice,
// for handlers called without a network in between.
func benchServer(b *testing.B) (h http.Handler, feedToken string) {
	b.Helper()
	srv, _ := benchOrgServer(b, rota())
	h = srv.Handler()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/users/alice/feed_token", nil)
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	h.ServeHTTP(rec, req)
	var tok feedBody
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &tok) != nil {
		b.Fatalf("feed token: %d %s", rec.Code, rec.Body)
	}
	return h, tok.Token
}

func benchGet(b *testing.B, h http.Handler, path, bearer string) {
	b.Helper()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("GET %s = %d: %s", path, rec.Code, rec.Body)
		}
	}
}

func BenchmarkWhoIsOnCallForService(b *testing.B) {
	h, _ := benchServer(b)
	benchGet(b, h, "/api/v1/oncall?service=pay-api&at=2026-11-26T14:00:00Z", adminSecret)
}

func BenchmarkScheduleShiftsWeek(b *testing.B) {
	h, _ := benchServer(b)
	benchGet(b, h, "/api/v1/schedules/office/shifts?from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z", adminSecret)
}

func BenchmarkScheduleCoverageYear(b *testing.B) {
	h, _ := benchServer(b)
	benchGet(b, h, "/api/v1/schedules/office/coverage?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", adminSecret)
}

func BenchmarkUserCalendarFeed(b *testing.B) {
	h, tok := benchServer(b)
	benchGet(b, h, "/api/v1/users/alice/calendar.ics?token="+tok, "")
}
