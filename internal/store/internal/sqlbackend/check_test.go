package sqlbackend

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
)

func TestAuditLimit(t *testing.T) {
	cases := []struct{ requested, want int }{
		{-1, 100}, {0, 100}, {1, 1}, {100, 100}, {999, 999}, {1000, 1000}, {1001, 1001}, {1002, 1001}, {1 << 40, 1001},
	}
	for _, c := range cases {
		if got := AuditLimit(c.requested); got != c.want {
			t.Errorf("AuditLimit(%d) = %d, want %d", c.requested, got, c.want)
		}
	}
}

// edited returns a copy of v that edit changed, for the cases that differ
// from a valid value in one way.
func edited[T any](v T, edit func(*T)) T {
	edit(&v)
	return v
}

func TestCheckChanges(t *testing.T) {
	ok := store.Object{Kind: store.KindService, ID: "a", Body: []byte(`{}`), Source: store.SourceAPI}
	with := func(edit func(*store.Object)) store.Object { return edited(ok, edit) }
	cases := []struct {
		name    string
		change  store.Change
		wantErr bool
	}{
		{"valid", store.Change{Object: ok}, false},
		{"delete needs no body", store.Change{Object: store.Object{Kind: "k", ID: "i"}, Delete: true}, false},
		// JSON validity is the database's to check, so a broken body passes here.
		{"invalid JSON passes", store.Change{Object: with(func(o *store.Object) { o.Body = []byte(`{`) })}, false},
		{"empty kind", store.Change{Object: with(func(o *store.Object) { o.Kind = "" })}, true},
		{"empty id", store.Change{Object: with(func(o *store.Object) { o.ID = "" })}, true},
		{"NUL in id", store.Change{Object: with(func(o *store.Object) { o.ID = "a\x00" })}, true},
		{"invalid UTF-8 kind", store.Change{Object: with(func(o *store.Object) { o.Kind = "\xc3" })}, true},
		{"invalid UTF-8 source", store.Change{Object: with(func(o *store.Object) { o.Source = "\xff" })}, true},
		{"invalid UTF-8 body", store.Change{Object: with(func(o *store.Object) { o.Body = []byte("\"\xff\"") })}, true},
	}
	for _, c := range cases {
		err := CheckChanges([]store.Change{c.change})
		if (err != nil) != c.wantErr {
			t.Errorf("%s: CheckChanges = %v, want error %v", c.name, err, c.wantErr)
		}
	}
}

func TestCheckAuditAndToken(t *testing.T) {
	if err := CheckAudit(store.AuditEntry{Actor: "a", Action: "b"}); err != nil {
		t.Errorf("CheckAudit(valid) = %v", err)
	}
	for _, e := range []store.AuditEntry{
		{Actor: "\xff"}, {Details: "a\x00"}, {Before: []byte("\xfe")}, {After: []byte("\"\xff\"")},
	} {
		if err := CheckAudit(e); err == nil {
			t.Errorf("CheckAudit(%+v) accepted it", e)
		}
	}
	valid := store.Token{ID: "t", Hash: []byte{1}, Role: "admin"}
	if err := CheckToken(valid); err != nil {
		t.Errorf("CheckToken(valid) = %v", err)
	}
	for _, tok := range []store.Token{
		{Hash: []byte{1}}, {ID: "t"}, {ID: "t", Hash: []byte{1}, Name: "\x00"}, {ID: "t", Hash: []byte{1}, UserID: "\xff"},
	} {
		if err := CheckToken(tok); err == nil {
			t.Errorf("CheckToken(%+v) accepted it", tok)
		}
	}
}

func TestCheckGateDecisionReasons(t *testing.T) {
	cases := []struct {
		reasons string
		wantErr bool
	}{
		{`[]`, false},
		{`[{"kind":"freeze","message":"no Friday deploys ✋"}]`, false},
		{`["a\\u0000b"]`, false}, // an escaped backslash, then "u0000": no NUL
		{`[`, true},
		{"[\"\xff\"]", true},
		{`["a\u0000b"]`, true},
		{`[{"message":{"deep":["\u0000"]}}]`, true},
		{`{"a\u0000":1}`, true},
	}
	for _, c := range cases {
		d := store.GateDecision{Service: "checkout", Decision: "deny", Reasons: []byte(c.reasons)}
		if err := CheckGateDecision(d); (err != nil) != c.wantErr {
			t.Errorf("CheckGateDecision(reasons %q) = %v, want error %v", c.reasons, err, c.wantErr)
		}
	}
}
