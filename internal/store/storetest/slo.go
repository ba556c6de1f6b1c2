package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

func testSLOBatches(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	first := []store.SLOPoint{{At: at(1), Good: 990, Total: 1000}, {At: at(2), Good: 1000, Total: 1000}}
	added, err := s.AddSLOBatch(ctx, "checkout", "b1", first, at(3))
	if err != nil || !added {
		t.Fatalf("AddSLOBatch = %v, %v; want added", added, err)
	}
	if first[0].ID == 0 || first[1].ID <= first[0].ID {
		t.Errorf("point ids = %d, %d; want increasing from 1", first[0].ID, first[1].ID)
	}
	// The same batch id again: nothing stored, no error.
	again := []store.SLOPoint{{At: at(1), Good: 1, Total: 5}}
	added, err = s.AddSLOBatch(ctx, "checkout", "b1", again, at(4))
	if err != nil || added {
		t.Fatalf("repeated AddSLOBatch = %v, %v; want ignored", added, err)
	}
	// The same batch id on another SLO is another batch.
	if added, err := s.AddSLOBatch(ctx, "search", "b1", []store.SLOPoint{{At: at(5), Good: 7, Total: 8}}, at(6)); err != nil || !added {
		t.Fatalf("AddSLOBatch(search) = %v, %v; want added", added, err)
	}
	all, err := s.ListSLOPoints(ctx, store.SLOPointQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.SLOPoint{
		{SLO: "checkout", At: at(1), Good: 990, Total: 1000, ReceivedAt: at(3)},
		{SLO: "checkout", At: at(2), Good: 1000, Total: 1000, ReceivedAt: at(3)},
		{SLO: "search", At: at(5), Good: 7, Total: 8, ReceivedAt: at(6)},
	}
	if len(all) != len(want) {
		t.Fatalf("ListSLOPoints = %+v, want %d points", all, len(want))
	}
	for i, p := range all {
		w := want[i]
		if p.SLO != w.SLO || !p.At.Equal(w.At) || p.Good != w.Good || p.Total != w.Total || !p.ReceivedAt.Equal(w.ReceivedAt) {
			t.Errorf("point %d = %+v, want %+v", i, p, w)
		}
	}
	queries := []struct {
		name string
		q    store.SLOPointQuery
		want int
	}{
		{"by SLO", store.SLOPointQuery{SLO: "checkout"}, 2},
		{"since", store.SLOPointQuery{Since: at(2)}, 2},
		{"received since", store.SLOPointQuery{ReceivedSince: at(4)}, 1},
		{"after id", store.SLOPointQuery{AfterID: all[0].ID}, 2},
		{"limit", store.SLOPointQuery{Limit: 1}, 1},
		{"unknown SLO", store.SLOPointQuery{SLO: "nope"}, 0},
	}
	for _, q := range queries {
		got, err := s.ListSLOPoints(ctx, q.q)
		if err != nil || len(got) != q.want {
			t.Errorf("%s: %d points, %v; want %d", q.name, len(got), err, q.want)
		}
	}
	n, err := s.PruneSLOData(ctx, at(2))
	if err != nil || n != 1 {
		t.Fatalf("PruneSLOData = %d, %v; want 1", n, err)
	}
	// Pruned batch ids may come again: b1 of checkout was received at 3,
	// after the cut, so it is still known.
	if added, err := s.AddSLOBatch(ctx, "checkout", "b1", again, at(7)); err != nil || added {
		t.Errorf("AddSLOBatch after prune = %v, %v; want still ignored", added, err)
	}

	bad := []struct {
		name, slo, batch string
		points           []store.SLOPoint
	}{
		{"empty SLO", "", "b", nil},
		{"empty batch id", "checkout", "", nil},
		{"oversized batch id", "checkout", strings.Repeat("x", 256), nil},
		{"NUL in batch id", "checkout", "b\x00", nil},
		{"good above total", "checkout", "b2", []store.SLOPoint{{At: at(1), Good: 2, Total: 1}}},
		{"negative", "checkout", "b3", []store.SLOPoint{{At: at(1), Good: -1, Total: 1}}},
		{"NaN", "checkout", "b4", []store.SLOPoint{{At: at(1), Good: math.NaN(), Total: 1}}},
		{"infinite", "checkout", "b5", []store.SLOPoint{{At: at(1), Good: 1, Total: math.Inf(1)}}},
		{"no time", "checkout", "b6", []store.SLOPoint{{Good: 1, Total: 1}}},
	}
	for _, b := range bad {
		if _, err := s.AddSLOBatch(ctx, b.slo, b.batch, b.points, at(8)); err == nil {
			t.Errorf("%s: AddSLOBatch accepted it", b.name)
		}
	}
	if got, err := s.ListSLOPoints(ctx, store.SLOPointQuery{SLO: "check\xffout"}); err == nil {
		t.Errorf("ListSLOPoints(invalid UTF-8) = %d points, want a refusal", len(got))
	}
	// A refused batch leaves its id free.
	if added, err := s.AddSLOBatch(ctx, "checkout", "b2", []store.SLOPoint{{At: at(9), Good: 1, Total: 1}}, at(9)); err != nil || !added {
		t.Errorf("AddSLOBatch after a refused batch = %v, %v; want added", added, err)
	}
}

func testGateOverrides(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	audit := store.AuditEntry{At: at(0), Actor: "user:alice", Action: "gate.override", Kind: "gate_override"}
	o1 := store.GateOverride{Service: "checkout", Reason: "hotfix for INC-1", CreatedBy: "user:alice", CreatedAt: at(0), ExpiresAt: at(60)}
	o2 := store.GateOverride{Service: "checkout", Reason: "second", CreatedBy: "user:bob", CreatedAt: at(10), ExpiresAt: at(20)}
	o3 := store.GateOverride{Service: "search", Reason: "other", CreatedBy: "user:bob", CreatedAt: at(10), ExpiresAt: at(90)}
	for _, o := range []*store.GateOverride{&o1, &o2, &o3} {
		if err := s.CreateGateOverride(ctx, o, audit); err != nil {
			t.Fatalf("CreateGateOverride: %v", err)
		}
	}
	if o1.ID == 0 || o2.ID <= o1.ID {
		t.Errorf("ids %d, %d; want increasing", o1.ID, o2.ID)
	}
	ids := func(os []store.GateOverride) []int64 {
		var out []int64
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	cases := []struct {
		name     string
		service  string
		activeAt time.Time
		before   int64
		want     []int64
	}{
		{"all of checkout", "checkout", time.Time{}, 0, []int64{o2.ID, o1.ID}},
		{"active at 30m", "checkout", at(30), 0, []int64{o1.ID}},
		{"expired at its expiry", "checkout", at(60), 0, nil},
		{"every service", "", time.Time{}, 0, []int64{o3.ID, o2.ID, o1.ID}},
		{"paged", "", time.Time{}, o3.ID, []int64{o2.ID, o1.ID}},
	}
	for _, c := range cases {
		got, err := s.ListGateOverrides(ctx, c.service, c.activeAt, c.before, 100)
		if err != nil || !equalIDs(ids(got), c.want) {
			t.Errorf("%s: ListGateOverrides = %v, %v; want %v", c.name, ids(got), err, c.want)
		}
	}
	got, _ := s.ListGateOverrides(ctx, "checkout", at(30), 0, 10)
	if len(got) == 1 && (got[0].Reason != o1.Reason || got[0].CreatedBy != "user:alice" || !got[0].ExpiresAt.Equal(at(60)) || !got[0].CreatedAt.Equal(at(0))) {
		t.Errorf("override read back as %+v, want %+v", got[0], o1)
	}
	entries := query(t, s.ListAudit, store.AuditQuery{Kind: "gate_override"})
	if len(entries) != 3 {
		t.Errorf("%d audit entries, want 3", len(entries))
	}
	for _, b := range []store.GateOverride{
		{Service: "", Reason: "r", CreatedAt: at(0), ExpiresAt: at(1)},
		{Service: "x", Reason: "", CreatedAt: at(0), ExpiresAt: at(1)},
		{Service: "x", Reason: strings.Repeat("r", 2001), CreatedAt: at(0), ExpiresAt: at(1)},
		{Service: "x", Reason: "r"},
	} {
		if err := s.CreateGateOverride(ctx, &b, audit); err == nil {
			t.Errorf("CreateGateOverride(%+v) accepted it", b)
		}
	}
	if got, err := s.ListGateOverrides(ctx, "check\x00out", time.Time{}, 0, 10); err == nil {
		t.Errorf("ListGateOverrides(NUL in the service) = %v, want a refusal", ids(got))
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testGateDecisions(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.GetGateDecision(ctx, 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetGateDecision on an empty store = %v, want ErrNotFound", err)
	}
	if _, err := s.LatestGateDecision(ctx, "checkout", at(0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LatestGateDecision on an empty store = %v, want ErrNotFound", err)
	}
	reasons := json.RawMessage(`[{"kind":"freeze","message":"no Friday deploys"}]`)
	d1 := store.GateDecision{Service: "checkout", At: at(0), Decision: "deny", Reasons: reasons, CreatedAt: at(0)}
	d2 := store.GateDecision{Service: "checkout", At: at(5), ChangeType: "security", Decision: "allow", Reasons: json.RawMessage(`[]`), OverrideID: 7, CreatedAt: at(5)}
	d3 := store.GateDecision{Service: "search", At: at(6), Decision: "allow", Reasons: json.RawMessage(`[]`), CreatedAt: at(6)}
	for _, d := range []*store.GateDecision{&d1, &d2, &d3} {
		if err := s.InsertGateDecision(ctx, d); err != nil {
			t.Fatalf("InsertGateDecision: %v", err)
		}
	}
	got, err := s.GetGateDecision(ctx, d1.ID)
	if err != nil || got.Service != "checkout" || got.Decision != "deny" || !got.At.Equal(at(0)) || got.OverrideID != 0 {
		t.Fatalf("GetGateDecision = %+v, %v; want d1", got, err)
	}
	var rs []map[string]string
	if json.Unmarshal(got.Reasons, &rs) != nil || len(rs) != 1 || rs[0]["kind"] != "freeze" {
		t.Errorf("reasons read back as %s", got.Reasons)
	}
	latest, err := s.LatestGateDecision(ctx, "checkout", at(1))
	if err != nil || latest.ID != d2.ID || latest.OverrideID != 7 || latest.ChangeType != "security" {
		t.Errorf("LatestGateDecision = %+v, %v; want d2", latest, err)
	}
	if _, err := s.LatestGateDecision(ctx, "checkout", at(6)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LatestGateDecision after the newest = %v, want ErrNotFound", err)
	}
	for _, b := range []store.GateDecision{
		{Service: "", Decision: "allow", Reasons: json.RawMessage(`[]`)},
		{Service: "x", Decision: "", Reasons: json.RawMessage(`[]`)},
		{Service: "x", Decision: "allow", Reasons: json.RawMessage(`[`)},
		{Service: "x", Decision: "allow", Reasons: json.RawMessage("[\"\xff\"]")},
		{Service: "x", Decision: "allow", Reasons: json.RawMessage(`[{"message":"a\u0000b"}]`)},
		{Service: "x\x00", Decision: "allow", Reasons: json.RawMessage(`[]`)},
		{Service: "x", Decision: "allow", ChangeType: "\xff", Reasons: json.RawMessage(`[]`)},
	} {
		if err := s.InsertGateDecision(ctx, &b); err == nil {
			t.Errorf("InsertGateDecision(%+v) accepted it", b)
		}
	}
	if _, err := s.LatestGateDecision(ctx, "check\xffout", at(0)); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("LatestGateDecision(invalid UTF-8) = %v, want a refusal", err)
	}
}
