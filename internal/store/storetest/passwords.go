package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

func passwordAudit(user, details string) store.AuditEntry {
	return store.AuditEntry{At: t0, Actor: "user:" + user, Action: "user.password", Kind: "user", ObjID: user, Details: details}
}

func testPasswords(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.PasswordHash(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PasswordHash of a user without one = %v, want ErrNotFound", err)
	}
	const first, second = "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$first", "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$second"
	if err := s.SetPasswordHash(ctx, "alice", first, at(1), passwordAudit("alice", "password set")); err != nil {
		t.Fatalf("SetPasswordHash: %v", err)
	}
	if err := s.SetPasswordHash(ctx, "bob", second, at(2), passwordAudit("bob", "password set")); err != nil {
		t.Fatalf("SetPasswordHash(bob): %v", err)
	}
	if err := s.SetPasswordHash(ctx, "alice", second, at(3), passwordAudit("alice", "password changed")); err != nil {
		t.Fatalf("SetPasswordHash (replace): %v", err)
	}
	for user, want := range map[string]string{"alice": second, "bob": second} {
		got, err := s.PasswordHash(ctx, user)
		if err != nil || got != want {
			t.Errorf("PasswordHash(%s) = %q, %v; want %q", user, got, err, want)
		}
	}
	entries := query(t, s.ListAudit, store.AuditQuery{Kind: "user", ObjID: "alice"})
	if len(entries) != 2 || entries[0].Details != "password changed" || entries[1].Details != "password set" {
		t.Fatalf("audit of alice's password = %+v, want changed then set", entries)
	}

	bad := []struct {
		name, user, hash string
	}{
		{"empty user", "", first},
		{"empty hash", "carol", ""},
		{"NUL in user", "car\x00ol", first},
		{"invalid UTF-8 hash", "carol", "$argon2id\xff"},
		{"oversized hash", "carol", strings.Repeat("A", 4096)},
	}
	for _, b := range bad {
		if err := s.SetPasswordHash(ctx, b.user, b.hash, at(4), passwordAudit("carol", "x")); err == nil {
			t.Errorf("%s: SetPasswordHash accepted it", b.name)
		}
	}
	if _, err := s.PasswordHash(ctx, "carol"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused write left a password: %v", err)
	}
	if _, err := s.PasswordHash(ctx, "car\xffol"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("PasswordHash(invalid UTF-8) = %v, want a refusal", err)
	}
	// An audit entry that cannot be written takes the password with it.
	if err := s.SetPasswordHash(ctx, "dave", first, at(5), store.AuditEntry{At: t0, Actor: "x\x00", Action: "user.password"}); err == nil {
		t.Error("SetPasswordHash with a bad audit entry succeeded")
	}
	if _, err := s.PasswordHash(ctx, "dave"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("password written without its audit entry: %v", err)
	}
}

func testTokenExpiry(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	// Given in UTC+2 with nanoseconds: read back in UTC, cut to the microsecond.
	expires := time.Date(2025, 3, 14, 23, 26, 53, 589793999, time.FixedZone("", 2*3600))
	session := store.Token{ID: "ses-1", Name: "login session", Hash: []byte{1, 2, 3}, UserID: "alice", Role: "user", CreatedAt: t0, ExpiresAt: &expires}
	forever := store.Token{ID: "api-1", Name: "ci", Hash: []byte{4, 5, 6}, Role: "viewer", CreatedAt: t0}
	for _, tok := range []store.Token{session, forever} {
		if err := s.CreateToken(ctx, tok, tokenAudit("token.create", tok.ID)); err != nil {
			t.Fatalf("CreateToken(%s): %v", tok.ID, err)
		}
	}
	got, err := s.TokenByHash(ctx, session.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExpiresAt == nil {
		t.Fatal("expires_at was lost")
	}
	assertTime(t, "expires_at", *got.ExpiresAt, time.Date(2025, 3, 14, 21, 26, 53, 589793000, time.UTC))
	got, err = s.TokenByHash(ctx, forever.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExpiresAt != nil {
		t.Errorf("a token without expiry reads back expiring at %v", *got.ExpiresAt)
	}
	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListTokens = %d tokens, %v", len(list), err)
	}
	for _, tok := range list {
		if (tok.ExpiresAt != nil) != (tok.ID == "ses-1") {
			t.Errorf("ListTokens: %s expires_at = %v", tok.ID, tok.ExpiresAt)
		}
	}
}

func testAuditByActor(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	entry := func(actor, action, kind, id string) store.AuditEntry {
		return store.AuditEntry{At: t0, Actor: actor, Action: action, Kind: kind, ObjID: id}
	}
	apply(t, s, nil,
		entry("user:alice", "incident.acknowledge", "incident", "1"),
		entry("user:bob", "incident.acknowledge", "incident", "1"),
		entry("user:alice", "incident.resolve", "incident", "1"),
		entry("user:alice", "maintenance.create", "maintenance", "7"),
		entry("token:admin", "service.update", "service", "checkout"),
	)
	tests := []struct {
		q    store.AuditQuery
		want string // actions, newest first
	}{
		{store.AuditQuery{Actor: "user:alice"}, "maintenance.create,incident.resolve,incident.acknowledge"},
		{store.AuditQuery{Actor: "user:alice", Kind: "incident"}, "incident.resolve,incident.acknowledge"},
		{store.AuditQuery{Actor: "user:bob", Kind: "incident", ObjID: "1"}, "incident.acknowledge"},
		{store.AuditQuery{Actor: "user:ali"}, ""}, // exact, not a prefix
		{store.AuditQuery{Actor: "USER:ALICE"}, ""},
		{store.AuditQuery{Actor: "user:alice", Limit: 1}, "maintenance.create"},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range query(t, s.ListAudit, tt.q) {
			got = append(got, e.Action)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("ListAudit(%+v) = %s, want %s", tt.q, strings.Join(got, ","), tt.want)
		}
	}
	for _, q := range []store.AuditQuery{{Actor: "user:\xff"}, {Actor: "a\x00b"}, {Kind: "\xff"}} {
		if _, err := s.ListAudit(context.Background(), q); err == nil {
			t.Errorf("ListAudit(%+v) accepted text PostgreSQL cannot compare", q)
		}
	}
}
