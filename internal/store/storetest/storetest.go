// Package storetest is the conformance suite every store backend passes, so
// that the rest of Vigil sees the same behaviour whichever database runs.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend/released"
)

// suite is a list of conformance cases.
type suite []struct {
	name string
	run  func(t *testing.T, newStore func(t *testing.T) store.Store)
}

// run runs the cases in parallel, each on its stores from newStore.
func (cases suite) run(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newStore)
		})
	}
}

// Run runs the suite. newStore returns a fresh, empty, migrated store and
// arranges for it to be closed when the test ends; cases run in parallel,
// so it is called from several goroutines.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	suite{
		{"Migrate", testMigrate},
		{"GetObjectNotFound", testGetObjectNotFound},
		{"ObjectRoundTrip", testObjectRoundTrip},
		{"ReplaceAndDelete", testReplaceAndDelete},
		{"ListOrdering", testListOrdering},
		{"RejectedInput", testRejectedInput},
		{"ApplyAtomicity", testApplyAtomicity},
		{"ConfigVersion", testConfigVersion},
		{"AuditWrittenWithChanges", testAuditWrittenWithChanges},
		{"Tokens", testTokens},
		{"RevokeToken", testRevokeToken},
		{"AuditPaging", testAuditPaging},
		{"AuditLimits", testAuditLimits},
		{"AuditByActor", testAuditByActor},
		{"Passwords", testPasswords},
		{"TokenExpiry", testTokenExpiry},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentWritersOneObject", testConcurrentWritersOneObject},
		{"SLOBatches", testSLOBatches},
		{"GateOverrides", testGateOverrides},
		{"GateDecisions", testGateDecisions},
		{"PostmortemRoundTrip", testPostmortemRoundTrip},
		{"PostmortemVersions", testPostmortemVersions},
		{"PostmortemConcurrentEdits", testPostmortemConcurrentEdits},
		{"PostmortemRejected", testPostmortemRejected},
		{"ListPostmortems", testListPostmortems},
		{"ListActionItems", testListActionItems},
		{"RemindableActionItems", testRemindableActionItems},
		{"CoverRequests", testCoverRequests},
		{"CoverRequestRace", testCoverRequestRace},
		{"CancelNoticesByKey", testCancelNoticesByKey},
	}.run(t, newStore)
}

// t0 has whole microseconds: both backends keep times to the microsecond.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

func object(kind, id, body string) store.Object {
	return store.Object{Kind: kind, ID: id, Body: []byte(body), Source: store.SourceConfig, UpdatedAt: t0}
}

func put(objects ...store.Object) []store.Change {
	changes := make([]store.Change, len(objects))
	for i, o := range objects {
		changes[i] = store.Change{Object: o}
	}
	return changes
}

func apply(t *testing.T, s store.Store, changes []store.Change, audit ...store.AuditEntry) {
	t.Helper()
	if err := s.ApplyChanges(context.Background(), changes, audit); err != nil {
		t.Fatalf("ApplyChanges: %v", err)
	}
}

func assertObject(t *testing.T, got, want store.Object) {
	t.Helper()
	if got.Kind != want.Kind || got.ID != want.ID || got.Source != want.Source {
		t.Errorf("object = %s/%q source %q, want %s/%q source %q", got.Kind, got.ID, got.Source, want.Kind, want.ID, want.Source)
	}
	if !bytes.Equal(got.Body, want.Body) {
		t.Errorf("object %s/%q body = %.200q (%d bytes), want %.200q (%d bytes)",
			want.Kind, want.ID, got.Body, len(got.Body), want.Body, len(want.Body))
	}
	assertTime(t, "updated_at", got.UpdatedAt, want.UpdatedAt)
}

// assertTime wants the same instant, in UTC.
func assertTime(t *testing.T, field string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v in UTC", field, got, want)
	}
}

func getObject(t *testing.T, s store.Store, kind, id string) store.Object {
	t.Helper()
	o, err := s.GetObject(context.Background(), kind, id)
	if err != nil {
		t.Fatalf("GetObject(%s, %q): %v", kind, id, err)
	}
	return o
}

func assertNotFound(t *testing.T, s store.Store, kind, id string) {
	t.Helper()
	_, err := s.GetObject(context.Background(), kind, id)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetObject(%s, %q) error = %v, want ErrNotFound", kind, id, err)
	}
}

func configVersion(t *testing.T, s store.Store) int64 {
	t.Helper()
	return get(t, "ConfigVersion", s.ConfigVersion)
}

// get calls a store's method, named what, that takes only a context,
// failing the test on an error.
func get[T any](t *testing.T, what string, method func(context.Context) (T, error)) T {
	t.Helper()
	v, err := method(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// query calls a store's method with q, failing the test on an error.
func query[Q, T any](t *testing.T, method func(context.Context, Q) (T, error), q Q) T {
	t.Helper()
	v, err := method(context.Background(), q)
	if err != nil {
		t.Fatalf("query %+v: %v", q, err)
	}
	return v
}

func testMigrate(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	version, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if version < 1 {
		t.Fatalf("SchemaVersion = %d on a migrated store, want at least 1", version)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	again, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if again != version {
		t.Errorf("SchemaVersion after a second Migrate = %d, want %d", again, version)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if v := configVersion(t, s); v != 0 {
		t.Errorf("ConfigVersion of a new store = %d, want 0", v)
	}
}

func testGetObjectNotFound(t *testing.T, newStore func(t *testing.T) store.Store) {
	cases := []struct {
		name     string
		existing []store.Change
		kind, id string
	}{
		{name: "empty store", kind: store.KindService, id: "api"},
		{
			name:     "same id, other kind",
			existing: put(object(store.KindUser, "api", `{}`)),
			kind:     store.KindService, id: "api",
		},
		{
			name:     "id differs in case",
			existing: put(object(store.KindService, "API", `{}`)),
			kind:     store.KindService, id: "api",
		},
		{
			name: "deleted",
			existing: append(put(object(store.KindService, "api", `{}`)),
				store.Change{Object: store.Object{Kind: store.KindService, ID: "api"}, Delete: true}),
			kind: store.KindService, id: "api",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			if len(c.existing) > 0 {
				apply(t, s, c.existing)
			}
			assertNotFound(t, s, c.kind, c.id)
		})
	}
}

func testObjectRoundTrip(t *testing.T, newStore func(t *testing.T) store.Store) {
	mebibyteBody := `{"padding":"` + strings.Repeat("x", 1<<20) + `"}`
	inParis := time.FixedZone("CET", 3600)
	cases := []struct {
		name string
		in   store.Object
		want store.Object // the same as in when zero
	}{
		{name: "plain", in: object(store.KindService, "checkout", `{"name":"Checkout","tier":1}`)},
		{
			name: "api source",
			in: store.Object{Kind: store.KindTeam, ID: "payments", Body: []byte(`{"name":"Payments"}`),
				Source: store.SourceAPI, UpdatedAt: t0},
		},
		{
			name: "unicode id and body",
			in:   object(store.KindService, "サービス-🚨", `{"name":"Zoë ✓ 日本語 🚨"}`),
		},
		{
			// Bodies come back byte for byte: escapes, key order and
			// whitespace are kept, not normalised.
			name: "escapes, key order and whitespace kept",
			in:   object(store.KindUser, "zoe", " {\"z\": 1,\n \"a\": \"\\u00e9\\ud83d\\udea8\\u0000\", \"a\": 2} "),
		},
		{name: "array body", in: object(store.KindSchedule, "s", `[1,2,3]`)},
		{name: "scalar body", in: object(store.KindSchedule, "n", `42`)},
		{name: "one MiB body", in: object(store.KindService, "big", mebibyteBody)},
		{name: "quote in id", in: object(store.KindService, `it's "quoted"`, `{}`)},
		{name: "SQL in id", in: object(store.KindService, `x'); DROP TABLE config_objects; --`, `{}`)},
		{name: "LIKE wildcards and backslash in id", in: object(store.KindService, `100%_\`, `{}`)},
		{name: "newline and spaces in id", in: object(store.KindService, " a\nb ", `{}`)},
		{name: "long id", in: object(store.KindService, strings.Repeat("é", 5000), `{}`)},
		{
			name: "time in another zone, below a microsecond",
			in: store.Object{Kind: store.KindOrg, ID: "acme", Body: []byte(`{}`), Source: store.SourceConfig,
				UpdatedAt: time.Date(2025, 3, 14, 10, 26, 53, 589793999, inParis)},
			want: store.Object{Kind: store.KindOrg, ID: "acme", Body: []byte(`{}`), Source: store.SourceConfig,
				UpdatedAt: time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)},
		},
		{
			name: "zero time",
			in:   store.Object{Kind: store.KindOrg, ID: "zero", Body: []byte(`{}`), Source: store.SourceConfig},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := c.want
			if want.Kind == "" {
				want = c.in
			}
			s := newStore(t)
			apply(t, s, put(c.in))
			assertObject(t, getObject(t, s, c.in.Kind, c.in.ID), want)
			listed, err := s.ListObjects(context.Background(), c.in.Kind)
			if err != nil {
				t.Fatalf("ListObjects: %v", err)
			}
			if len(listed) != 1 {
				t.Fatalf("ListObjects(%s) returned %d objects, want 1", c.in.Kind, len(listed))
			}
			assertObject(t, listed[0], want)
		})
	}
}

func testReplaceAndDelete(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	first := object(store.KindService, "checkout", `{"v":1}`)
	apply(t, s, put(first))

	second := store.Object{Kind: store.KindService, ID: "checkout", Body: []byte(`{"v":2}`),
		Source: store.SourceAPI, UpdatedAt: at(5)}
	apply(t, s, put(second))
	assertObject(t, getObject(t, s, store.KindService, "checkout"), second)
	listed, err := s.ListObjects(ctx, store.KindService)
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	if len(listed) != 1 {
		t.Fatalf("after a replace ListObjects returned %d objects, want 1", len(listed))
	}

	remove := []store.Change{{Object: store.Object{Kind: store.KindService, ID: "checkout"}, Delete: true}}
	apply(t, s, remove)
	assertNotFound(t, s, store.KindService, "checkout")

	// Deleting what is gone is not an error: applying a config twice must work.
	apply(t, s, remove)
	assertNotFound(t, s, store.KindService, "checkout")

	// A batch may create and delete the same object; the last change wins.
	third := object(store.KindService, "checkout", `{"v":3}`)
	apply(t, s, append(put(third), remove[0]))
	assertNotFound(t, s, store.KindService, "checkout")
	apply(t, s, append(remove, put(third)...))
	assertObject(t, getObject(t, s, store.KindService, "checkout"), third)
}

func testListOrdering(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	// Inserted out of order; expected order is byte order of kind, then id.
	apply(t, s, put(
		object(store.KindService, "b", `{}`),
		object(store.KindUser, "ü", `{}`),
		object(store.KindService, "é", `{}`),
		object(store.KindService, "B", `{}`),
		object(store.KindTeam, "a", `{}`),
		object(store.KindService, "z", `{}`),
		object(store.KindService, "9", `{}`),
		object(store.KindEscalationPolicy, "x", `{}`),
		object(store.KindService, "a", `{}`),
		object(store.KindService, "10", `{}`),
	))
	cases := []struct {
		kind string
		want []string // "kind/id"
	}{
		{store.KindService, []string{"service/10", "service/9", "service/B", "service/a", "service/b", "service/z", "service/é"}},
		{store.KindTeam, []string{"team/a"}},
		{store.KindSchedule, nil},
		{"no such kind", nil},
		{"", []string{
			"escalation_policy/x",
			"service/10", "service/9", "service/B", "service/a", "service/b", "service/z", "service/é",
			"team/a",
			"user/ü",
		}},
	}
	for _, c := range cases {
		t.Run("kind "+c.kind, func(t *testing.T) {
			objects, err := s.ListObjects(context.Background(), c.kind)
			if err != nil {
				t.Fatalf("ListObjects(%q): %v", c.kind, err)
			}
			var got []string
			for _, o := range objects {
				got = append(got, o.Kind+"/"+o.ID)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") || len(got) != len(c.want) {
				t.Errorf("ListObjects(%q) = %q, want %q", c.kind, got, c.want)
			}
		})
	}
}

// testRejectedInput covers what either database could not store the same
// way; every backend refuses it rather than storing something else.
func testRejectedInput(t *testing.T, newStore func(t *testing.T) store.Store) {
	cases := []struct {
		name   string
		change store.Change
	}{
		{"empty kind", store.Change{Object: object("", "a", `{}`)}},
		{"empty id", store.Change{Object: object(store.KindService, "", `{}`)}},
		{"empty id on delete", store.Change{Object: store.Object{Kind: store.KindService}, Delete: true}},
		{"NUL in id", store.Change{Object: object(store.KindService, "a\x00b", `{}`)}},
		{"invalid UTF-8 in id", store.Change{Object: object(store.KindService, "a\xffb", `{}`)}},
		{"invalid UTF-8 in body", store.Change{Object: object(store.KindService, "a", "{\"name\":\"\xff\"}")}},
		{"empty body", store.Change{Object: object(store.KindService, "a", "")}},
		{"not JSON", store.Change{Object: object(store.KindService, "a", `{name: "a"}`)}},
		{"two documents", store.Change{Object: object(store.KindService, "a", `{} {}`)}},
		{"raw control character in JSON string", store.Change{Object: object(store.KindService, "a", "{\"a\":\"\x01\"}")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			err := s.ApplyChanges(context.Background(), []store.Change{c.change}, nil)
			if err == nil {
				t.Fatalf("ApplyChanges accepted %q/%q body %q", c.change.Object.Kind, c.change.Object.ID, c.change.Object.Body)
			}
			if v := configVersion(t, s); v != 0 {
				t.Errorf("ConfigVersion after a rejected batch = %d, want 0", v)
			}
		})
	}
}

func testApplyAtomicity(t *testing.T, newStore func(t *testing.T) store.Store) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	existing := object(store.KindService, "a", `{"v":1}`)
	replacement := object(store.KindService, "a", `{"v":2}`)
	created := object(store.KindService, "b", `{}`)
	goodAudit := store.AuditEntry{At: t0, Actor: "config", Action: "service.update", Kind: store.KindService, ObjID: "a"}
	cases := []struct {
		name    string
		ctx     context.Context
		changes []store.Change
		audit   []store.AuditEntry
	}{
		{
			// The database itself rejects the third change, after the first
			// two were written inside the transaction.
			name:    "invalid JSON in the last change",
			ctx:     context.Background(),
			changes: put(replacement, created, object(store.KindService, "c", `{"unterminated":`)),
			audit:   []store.AuditEntry{goodAudit},
		},
		{
			name:    "invalid JSON in the last audit entry, after every change",
			ctx:     context.Background(),
			changes: put(replacement, created),
			audit: []store.AuditEntry{goodAudit, {At: t0, Actor: "config", Action: "service.create",
				Kind: store.KindService, ObjID: "b", After: []byte(`{"broken"`)}},
		},
		{
			name:    "invalid id in the last change",
			ctx:     context.Background(),
			changes: put(replacement, created, object(store.KindService, "c\x00", `{}`)),
		},
		{
			name:    "cancelled context",
			ctx:     cancelled,
			changes: put(replacement, created),
			audit:   []store.AuditEntry{goodAudit},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			apply(t, s, put(existing), store.AuditEntry{At: t0, Actor: "config", Action: "service.create",
				Kind: store.KindService, ObjID: "a"})

			if err := s.ApplyChanges(c.ctx, c.changes, c.audit); err == nil {
				t.Fatal("ApplyChanges succeeded, want an error")
			}
			assertObject(t, getObject(t, s, store.KindService, "a"), existing)
			assertNotFound(t, s, store.KindService, "b")
			assertNotFound(t, s, store.KindService, "c")
			if v := configVersion(t, s); v != 1 {
				t.Errorf("ConfigVersion = %d, want 1 (the failed batch must not count)", v)
			}
			if entries := query(t, s.ListAudit, store.AuditQuery{}); len(entries) != 1 {
				t.Errorf("audit log has %d entries, want 1", len(entries))
			}
		})
	}
}

func testConfigVersion(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	steps := []struct {
		name string
		do   func() error
		want int64
	}{
		{"create", func() error { return s.ApplyChanges(ctx, put(object(store.KindTeam, "a", `{}`)), nil) }, 1},
		{"replace", func() error { return s.ApplyChanges(ctx, put(object(store.KindTeam, "a", `{"v":2}`)), nil) }, 2},
		{"empty batch writes nothing", func() error { return s.ApplyChanges(ctx, nil, nil) }, 2},
		{"audit only", func() error {
			return s.ApplyChanges(ctx, nil, []store.AuditEntry{{At: t0, Actor: "system", Action: "config.reload"}})
		}, 3},
		{"delete", func() error {
			return s.ApplyChanges(ctx, []store.Change{{Object: store.Object{Kind: store.KindTeam, ID: "a"}, Delete: true}}, nil)
		}, 4},
		{"tokens are not configuration", func() error {
			return s.CreateToken(ctx, store.Token{ID: "t", Name: "t", Hash: []byte{1}, Role: "admin", CreatedAt: t0},
				store.AuditEntry{At: t0, Actor: "system", Action: "token.create", Kind: "token", ObjID: "t"})
		}, 4},
		{"revocations are not configuration", func() error {
			return s.RevokeToken(ctx, "t", t0, store.AuditEntry{At: t0, Actor: "system", Action: "token.revoke", Kind: "token", ObjID: "t"})
		}, 4},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if v := configVersion(t, s); v != step.want {
			t.Errorf("after %s ConfigVersion = %d, want %d", step.name, v, step.want)
		}
	}
}

func testAuditWrittenWithChanges(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	inTokyo := time.FixedZone("JST", 9*3600)
	entries := []store.AuditEntry{
		{
			At: time.Date(2025, 3, 14, 18, 26, 53, 589793999, inTokyo), Actor: "tok_1", Action: "service.create",
			Kind: store.KindService, ObjID: "checkout", After: []byte(" {\"name\": \"Checkout\"}\n"), Details: "created by API",
		},
		{
			At: t0, Actor: "config", Action: "service.update", Kind: store.KindService, ObjID: "checkout",
			Before: []byte(`{"name": "Checkout"}`), After: []byte(`{"name":"Checkout ✓","big":"` + strings.Repeat("y", 1<<20) + `"}`),
		},
		{At: t0, Actor: "config", Action: "service.delete", Kind: store.KindService, ObjID: "checkout", Before: []byte(`null`)},
	}
	apply(t, s, put(object(store.KindService, "checkout", `{}`)), entries...)

	got := query(t, s.ListAudit, store.AuditQuery{})
	if len(got) != len(entries) {
		t.Fatalf("audit log has %d entries, want %d", len(got), len(entries))
	}
	for i, g := range got {
		want := entries[len(entries)-1-i] // newest first
		if g.ID <= 0 {
			t.Errorf("entry %d: ID = %d, want > 0", i, g.ID)
		}
		if i > 0 && g.ID >= got[i-1].ID {
			t.Errorf("entry %d: ID %d not below the previous %d", i, g.ID, got[i-1].ID)
		}
		if g.Actor != want.Actor || g.Action != want.Action || g.Kind != want.Kind || g.ObjID != want.ObjID || g.Details != want.Details {
			t.Errorf("entry %d = %s %s %s/%s %q, want %s %s %s/%s %q", i,
				g.Actor, g.Action, g.Kind, g.ObjID, g.Details, want.Actor, want.Action, want.Kind, want.ObjID, want.Details)
		}
		if !bytes.Equal(g.Before, want.Before) || (g.Before == nil) != (want.Before == nil) {
			t.Errorf("entry %d: before = %.100q, want %.100q", i, g.Before, want.Before)
		}
		if !bytes.Equal(g.After, want.After) || (g.After == nil) != (want.After == nil) {
			t.Errorf("entry %d: after = %.100q, want %.100q", i, g.After, want.After)
		}
	}
	// Worked out by hand: 18:26:53 in UTC+9, cut to the microsecond.
	assertTime(t, "oldest entry's at", got[2].At, time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC))
}

func token(id string, hash byte, created time.Time) store.Token {
	return store.Token{ID: id, Name: "token " + id, Hash: []byte{0xde, 0xad, hash}, Role: "admin", CreatedAt: created}
}

func tokenAudit(action, id string) store.AuditEntry {
	return store.AuditEntry{At: t0, Actor: "system", Action: action, Kind: "token", ObjID: id}
}

func assertToken(t *testing.T, got, want store.Token) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || !bytes.Equal(got.Hash, want.Hash) ||
		got.UserID != want.UserID || got.Role != want.Role {
		t.Errorf("token = %+v, want %+v", got, want)
	}
	assertTime(t, "token created_at", got.CreatedAt, want.CreatedAt)
	switch {
	case want.RevokedAt == nil && got.RevokedAt != nil:
		t.Errorf("token %s revoked_at = %v, want none", want.ID, *got.RevokedAt)
	case want.RevokedAt != nil && got.RevokedAt == nil:
		t.Errorf("token %s revoked_at = none, want %v", want.ID, *want.RevokedAt)
	case want.RevokedAt != nil:
		assertTime(t, "token revoked_at", *got.RevokedAt, *want.RevokedAt)
	}
}

func testTokens(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	bound := token("t-bound", 1, at(10))
	bound.UserID = "zoë"
	bound.Role = "user"
	revoked := token("t-revoked", 2, at(0))
	revokedAt := at(1)
	revoked.RevokedAt = &revokedAt
	sameTimeB := token("t-b", 3, at(0))
	sameTimeA := token("t-a", 4, at(0))
	for _, tok := range []store.Token{bound, revoked, sameTimeB, sameTimeA} {
		if err := s.CreateToken(ctx, tok, tokenAudit("token.create", tok.ID)); err != nil {
			t.Fatalf("CreateToken(%s): %v", tok.ID, err)
		}
	}

	lookups := []struct {
		name string
		hash []byte
		want *store.Token
	}{
		{"bound to a user", bound.Hash, &bound},
		{"revoked tokens are returned", revoked.Hash, &revoked},
		{"unknown hash", []byte{0xde, 0xad, 0xff}, nil},
		{"prefix of a hash", []byte{0xde, 0xad}, nil},
		{"empty hash", nil, nil},
	}
	for _, l := range lookups {
		t.Run("TokenByHash "+l.name, func(t *testing.T) {
			got, err := s.TokenByHash(ctx, l.hash)
			if l.want == nil {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("TokenByHash(%x) = %+v, %v; want ErrNotFound", l.hash, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("TokenByHash(%x): %v", l.hash, err)
			}
			assertToken(t, got, *l.want)
		})
	}

	conflicts := []struct {
		name  string
		token store.Token
	}{
		{"same id", token(bound.ID, 9, at(20))},
		{"same hash", token("t-new", 1, at(20))},
	}
	for _, c := range conflicts {
		t.Run("CreateToken conflict "+c.name, func(t *testing.T) {
			err := s.CreateToken(ctx, c.token, tokenAudit("token.create", c.token.ID))
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("CreateToken = %v, want ErrConflict", err)
			}
		})
	}

	t.Run("ListTokens oldest first, then by id", func(t *testing.T) {
		tokens, err := s.ListTokens(ctx)
		if err != nil {
			t.Fatalf("ListTokens: %v", err)
		}
		want := []store.Token{sameTimeA, sameTimeB, revoked, bound}
		if len(tokens) != len(want) {
			t.Fatalf("ListTokens returned %d tokens, want %d", len(tokens), len(want))
		}
		for i := range want {
			assertToken(t, tokens[i], want[i])
		}
	})

	t.Run("one audit entry per created token, none for conflicts", func(t *testing.T) {
		entries := query(t, s.ListAudit, store.AuditQuery{Kind: "token"})
		var got []string
		for _, e := range entries {
			got = append(got, e.Action+" "+e.ObjID)
		}
		want := []string{"token.create t-a", "token.create t-b", "token.create t-revoked", "token.create t-bound"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("audit = %q, want %q", got, want)
		}
	})

	t.Run("rejected input", func(t *testing.T) {
		bad := []store.Token{
			{ID: "", Name: "no id", Hash: []byte{7}, Role: "admin", CreatedAt: t0},
			{ID: "no-hash", Name: "no hash", Role: "admin", CreatedAt: t0},
			{ID: "nul", Name: "a\x00b", Hash: []byte{8}, Role: "admin", CreatedAt: t0},
		}
		for _, tok := range bad {
			if err := s.CreateToken(ctx, tok, tokenAudit("token.create", tok.ID)); err == nil {
				t.Errorf("CreateToken accepted %+v", tok)
			}
		}
	})
}

func testRevokeToken(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	tok := token("t1", 1, at(0))
	if err := s.CreateToken(ctx, tok, tokenAudit("token.create", "t1")); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}

	if err := s.RevokeToken(ctx, "t1", at(30), tokenAudit("token.revoke", "t1")); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	// Revoking again is harmless and keeps the first time.
	if err := s.RevokeToken(ctx, "t1", at(60), tokenAudit("token.revoke", "t1")); err != nil {
		t.Fatalf("second RevokeToken: %v", err)
	}
	err := s.RevokeToken(ctx, "nope", at(30), tokenAudit("token.revoke", "nope"))
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(unknown) = %v, want ErrNotFound", err)
	}

	got, err := s.TokenByHash(ctx, tok.Hash)
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	want := tok
	revokedAt := at(30)
	want.RevokedAt = &revokedAt
	assertToken(t, got, want)

	var actions []string
	for _, e := range query(t, s.ListAudit, store.AuditQuery{}) {
		actions = append(actions, e.Action+" "+e.ObjID)
	}
	wantActions := []string{"token.revoke t1", "token.revoke t1", "token.create t1"}
	if strings.Join(actions, ",") != strings.Join(wantActions, ",") {
		t.Errorf("audit = %q, want %q (nothing for the unknown token)", actions, wantActions)
	}
}

// auditFixture writes entries e01..e25, oldest first: odd ones are teams,
// even ones services; the object id is o<n mod 3>.
func auditFixture(t *testing.T, s store.Store) map[string]int64 {
	t.Helper()
	var entries []store.AuditEntry
	for n := 1; n <= 25; n++ {
		kind := store.KindTeam
		if n%2 == 0 {
			kind = store.KindService
		}
		entries = append(entries, store.AuditEntry{
			At: at(n), Actor: "config", Action: kind + ".update", Kind: kind,
			ObjID: fmt.Sprintf("o%d", n%3), Details: fmt.Sprintf("e%02d", n),
		})
	}
	// Two batches, so that ids also order entries across transactions.
	apply(t, s, nil, entries[:10]...)
	apply(t, s, nil, entries[10:]...)
	ids := make(map[string]int64)
	for _, e := range query(t, s.ListAudit, store.AuditQuery{Limit: 100}) {
		ids[e.Details] = e.ID
	}
	if len(ids) != 25 {
		t.Fatalf("audit fixture: %d distinct entries listed, want 25", len(ids))
	}
	return ids
}

func testAuditPaging(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ids := auditFixture(t, s)
	cases := []pageCase[store.AuditQuery]{
		{name: "newest first", query: store.AuditQuery{Limit: 3}, want: "e25 e24 e23"},
		{name: "kind", query: store.AuditQuery{Kind: store.KindService, Limit: 5}, want: "e24 e22 e20 e18 e16"},
		{name: "kind, second page", query: store.AuditQuery{Kind: store.KindService, Limit: 5}, before: "e16", want: "e14 e12 e10 e08 e06"},
		{name: "kind, last page", query: store.AuditQuery{Kind: store.KindService, Limit: 5}, before: "e06", want: "e04 e02"},
		{name: "kind and object", query: store.AuditQuery{Kind: store.KindTeam, ObjID: "o1"}, want: "e25 e19 e13 e07 e01"},
		{name: "object of any kind", query: store.AuditQuery{ObjID: "o0"}, want: "e24 e21 e18 e15 e12 e09 e06 e03"},
		{name: "cursor without filter", query: store.AuditQuery{Limit: 4}, before: "e12", want: "e11 e10 e09 e08"},
		{name: "cursor at the oldest", query: store.AuditQuery{}, before: "e01", want: ""},
		{name: "unknown kind", query: store.AuditQuery{Kind: "nope"}, want: ""},
		{name: "object of another kind", query: store.AuditQuery{Kind: store.KindService, ObjID: "o9"}, want: ""},
	}
	testPages(t, "ListAudit", ids, cases, func(q *store.AuditQuery, id int64) { q.BeforeID = id },
		func(t *testing.T, q store.AuditQuery) string {
			return labels(query(t, s.ListAudit, q), func(e store.AuditEntry) string { return e.Details })
		})
}

func testAuditLimits(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	entries := make([]store.AuditEntry, 1002)
	for i := range entries {
		entries[i] = store.AuditEntry{At: t0, Actor: "system", Action: "test", Kind: store.KindService, ObjID: "x"}
	}
	apply(t, s, nil, entries...)
	cases := []struct {
		limit, want int
	}{
		{limit: 0, want: 100},
		{limit: -5, want: 100},
		{limit: 1, want: 1},
		{limit: 1000, want: 1000},
		{limit: 1001, want: 1001}, // the API asks one more than its largest page
		{limit: 1 << 30, want: 1001},
	}
	for _, c := range cases {
		if got := query(t, s.ListAudit, store.AuditQuery{Limit: c.limit}); len(got) != c.want {
			t.Errorf("ListAudit(Limit: %d) returned %d entries, want %d", c.limit, len(got), c.want)
		}
	}
}

func testConcurrentWriters(t *testing.T, newStore func(t *testing.T) store.Store) {
	const writers, batches = 8, 10
	s := newStore(t)
	ctx := context.Background()
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.ListObjects(ctx, ""); err != nil {
					t.Errorf("ListObjects while writing: %v", err)
					return
				}
				if _, err := s.ConfigVersion(ctx); err != nil {
					t.Errorf("ConfigVersion while writing: %v", err)
					return
				}
			}
		})
	}
	var writersDone sync.WaitGroup
	for w := range writers {
		writersDone.Go(func() {
			for b := range batches {
				id := fmt.Sprintf("w%d-b%d", w, b)
				changes := put(object(store.KindService, id+"-1", `{}`), object(store.KindTeam, id+"-2", `{}`))
				audit := []store.AuditEntry{{At: t0, Actor: "api", Action: "service.create", Kind: store.KindService, ObjID: id}}
				if err := s.ApplyChanges(ctx, changes, audit); err != nil {
					t.Errorf("writer %d batch %d: %v", w, b, err)
					return
				}
			}
		})
	}
	writersDone.Wait()
	close(done)
	readers.Wait()

	objects, err := s.ListObjects(ctx, "")
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	if len(objects) != writers*batches*2 {
		t.Errorf("%d objects stored, want %d", len(objects), writers*batches*2)
	}
	if v := configVersion(t, s); v != writers*batches {
		t.Errorf("ConfigVersion = %d, want %d", v, writers*batches)
	}
	entries := query(t, s.ListAudit, store.AuditQuery{Limit: 1000})
	seen := make(map[int64]bool)
	for _, e := range entries {
		seen[e.ID] = true
	}
	if len(entries) != writers*batches || len(seen) != writers*batches {
		t.Errorf("%d audit entries with %d distinct ids, want %d", len(entries), len(seen), writers*batches)
	}
}

func testConcurrentWritersOneObject(t *testing.T, newStore func(t *testing.T) store.Store) {
	const writers, batches = 6, 10
	s := newStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				o := object(store.KindService, "shared", fmt.Sprintf(`{"writer":%d,"batch":%d}`, w, b))
				if err := s.ApplyChanges(ctx, put(o), nil); err != nil {
					t.Errorf("writer %d batch %d: %v", w, b, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if v := configVersion(t, s); v != writers*batches {
		t.Errorf("ConfigVersion = %d, want %d", v, writers*batches)
	}
	got := getObject(t, s, store.KindService, "shared")
	// Each writer's batches are sequential, so whoever wrote last wrote its last batch.
	if !strings.HasSuffix(string(got.Body), fmt.Sprintf(`"batch":%d}`, batches-1)) {
		t.Errorf("body = %s, want some writer's last batch", got.Body)
	}
}

// MigrationStore is a store of an SQL backend that a test can migrate
// with migrations of its choice and inspect.
type MigrationStore interface {
	store.Store
	// MigrateWith applies the pending migrations of a list as Migrate
	// applies the backend's own: the list may be older, or shorter.
	MigrateWith(ctx context.Context, migrations []sqlbackend.Migration) error
	// Conn runs statements on the database outside the store's methods.
	Conn() sqlbackend.Conn
	// Schema describes the database's tables, columns, indexes and
	// constraints, to compare two databases by.
	Schema(ctx context.Context) (string, error)
}

// RunMigrations runs the migration suite of an SQL backend of dialect d.
// newDatabase creates an empty database and returns a function that opens
// a store on it, another one at each call, as another process would.
func RunMigrations(t *testing.T, d sqlbackend.Dialect, newDatabase func(t *testing.T) func() MigrationStore) {
	current, err := sqlbackend.Migrations(d)
	if err != nil {
		t.Fatal(err)
	}
	latest := len(current)
	t.Run("EmptyToLatest", func(t *testing.T) {
		s := newDatabase(t)()
		ctx := context.Background()
		if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
			t.Fatalf("SchemaVersion before Migrate = %d, %v; want 0", v, err)
		}
		Migrated(t, s)
		if v, err := s.SchemaVersion(ctx); err != nil || v != latest {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, latest)
		}
		if got, want := appliedVersions(t, s), versionsUpTo(latest); got != want {
			t.Errorf("schema_migrations = %s, want %s", got, want)
		}
	})
	// A database made by a version of vigil that shipped each backend's
	// migrations apart, at each of their versions, upgrades to the latest
	// and ends with the schema a new database gets.
	t.Run("FromReleased", func(t *testing.T) {
		old, err := released.Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		want := newDatabase(t)()
		Migrated(t, want)
		wantSchema, err := want.Schema(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for from := 1; from <= len(old); from++ {
			t.Run(fmt.Sprintf("from %d", from), func(t *testing.T) {
				s := newDatabase(t)()
				ctx := context.Background()
				if err := s.MigrateWith(ctx, old[:from]); err != nil {
					t.Fatalf("migrate to %d as released: %v", from, err)
				}
				fillVersion1(t, s)
				Migrated(t, s)
				if v, err := s.SchemaVersion(ctx); err != nil || v != latest {
					t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, latest)
				}
				checkVersion1(t, s)
				if got, err := s.Schema(ctx); err != nil || got != wantSchema {
					t.Errorf("schema after migrating from %d as released (%v):\n%s\nwant, as a new database has it:\n%s", from, err, got, wantSchema)
				}
			})
		}
	})
	t.Run("ReportsBackfill", func(t *testing.T) { testReportsBackfill(t, newDatabase(t)(), current) })
	t.Run("RefusesNewerDatabase", func(t *testing.T) {
		s := newDatabase(t)()
		Migrated(t, s)
		if _, err := s.Conn().Exec(context.Background(), `INSERT INTO schema_migrations (version) VALUES ($1)`, latest+1); err != nil {
			t.Fatal(err)
		}
		err := s.Migrate(context.Background())
		if !errors.Is(err, sqlbackend.ErrSchemaTooNew) {
			t.Fatalf("Migrate = %v, want ErrSchemaTooNew", err)
		}
		for _, want := range []string{fmt.Sprintf("version %d", latest+1), fmt.Sprintf("up to %d", latest)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q should say %q", err, want)
			}
		}
	})
	// Several processes starting on one new database at once apply each
	// migration once.
	t.Run("Concurrent", func(t *testing.T) {
		open := newDatabase(t)
		stores := make([]MigrationStore, 4)
		for i := range stores {
			stores[i] = open()
		}
		var wg sync.WaitGroup
		for _, s := range stores {
			wg.Go(func() {
				if err := s.Migrate(context.Background()); err != nil {
					t.Errorf("Migrate: %v", err)
				}
			})
		}
		wg.Wait()
		if got, want := appliedVersions(t, stores[0]), versionsUpTo(latest); got != want {
			t.Errorf("schema_migrations = %s, want %s", got, want)
		}
	})
}

// Migrated migrates a test's store, failing the test on an error, and
// returns it; the backends' tests open their stores with it.
func Migrated[S interface{ Migrate(context.Context) error }](t testing.TB, s S) S {
	t.Helper()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// appliedVersions lists the rows of schema_migrations.
func appliedVersions(t *testing.T, s MigrationStore) string {
	t.Helper()
	rows, err := s.Conn().Query(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var versions []string
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, fmt.Sprint(v))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(versions, " ")
}

func versionsUpTo(latest int) string {
	versions := make([]string, latest)
	for i := range versions {
		versions[i] = fmt.Sprint(i + 1)
	}
	return strings.Join(versions, " ")
}

// fillVersion1 writes rows into the tables of version 1 the way a
// version 1 binary did.
func fillVersion1(t *testing.T, s MigrationStore) {
	t.Helper()
	ctx := context.Background()
	for _, stmt := range []sqlbackend.Stmt{
		{SQL: `INSERT INTO config_objects (kind, id, body, source, updated_at) VALUES ('service', 'checkout', '{"name":"Checkout"}', 'config', $1)`,
			Args: []any{t0}},
		{SQL: `UPDATE config_version SET version = 7`},
		{SQL: `INSERT INTO api_tokens (id, name, hash, user_id, role, created_at) VALUES ('t1', 'ci', $1, NULL, 'admin', $2)`,
			Args: []any{[]byte{0xc0, 0xff, 0xee}, t0.Add(-time.Hour)}},
		{SQL: `INSERT INTO audit_log (at, actor, action, kind, object_id, before, after)
			VALUES ($1, 'config', 'service.create', 'service', 'checkout', NULL, '{"name":"Checkout"}')`, Args: []any{t0}},
	} {
		if _, err := s.Conn().Exec(ctx, stmt.SQL, stmt.Args...); err != nil {
			t.Fatalf("fill version 1: %v", err)
		}
	}
}

// checkVersion1 reads fillVersion1's rows back through the store.
func checkVersion1(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	o, err := s.GetObject(ctx, store.KindService, "checkout")
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	if string(o.Body) != `{"name":"Checkout"}` || !o.UpdatedAt.Equal(t0) {
		t.Errorf("object after migration = %s at %v", o.Body, o.UpdatedAt)
	}
	if v := configVersion(t, s); v != 7 {
		t.Errorf("ConfigVersion = %d, want 7", v)
	}
	tok, err := s.TokenByHash(ctx, []byte{0xc0, 0xff, 0xee})
	if err != nil || tok.ID != "t1" || tok.UserID != "" || tok.RevokedAt != nil || !tok.CreatedAt.Equal(t0.Add(-time.Hour)) {
		t.Errorf("TokenByHash = %+v, %v; want token t1", tok, err)
	}
	entries, err := s.ListAudit(ctx, store.AuditQuery{Kind: store.KindService, ObjID: "checkout"})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	if len(entries) != 1 || entries[0].Details != "" || string(entries[0].After) != `{"name":"Checkout"}` || entries[0].Before != nil {
		t.Errorf("audit after migration = %+v, want the one entry with empty details", entries)
	}
	// The column added by version 2 is writable.
	err = s.ApplyChanges(ctx, nil, []store.AuditEntry{{At: o.UpdatedAt, Actor: "config", Action: "x", Details: "after 0002"}})
	if err != nil {
		t.Fatalf("ApplyChanges after migration: %v", err)
	}
}
