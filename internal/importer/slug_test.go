package importer

import (
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Payments Primary", "payments-primary"},
		{"  Payments -- Primary!! ", "payments-primary"},
		{"Zürich On-Call", "zurich-on-call"},
		{"Straße Ærø Łódź", "strasse-aero-lodz"},
		{"SRE_team.eu", "sre-team-eu"},
		{"Équipe Données (24/7)", "equipe-donnees-24-7"},
		{"日本語チーム", ""},
		{"", ""},
		{"---", ""},
		{"<script>alert(1)</script>", "script-alert-1-script"},
		{"../../etc/passwd", "etc-passwd"},
		{"a\x00b\nc", "a-b-c"},
		{strings.Repeat("ab ", 40), strings.TrimSuffix(strings.Repeat("ab-", 21), "-")},
		{strings.Repeat("x", 100), strings.Repeat("x", 64)},
	}
	for _, tt := range tests {
		if got := Slug(tt.in); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Slug(tt.in); len(got) > MaxID || strings.HasPrefix(got, "-") || strings.HasSuffix(got, "-") {
			t.Errorf("Slug(%q) = %q is not a valid id", tt.in, got)
		}
	}
}

func TestIDsAreUnique(t *testing.T) {
	var ids IDs
	got := []string{
		ids.New("Payments Primary", "", "schedule"),
		ids.New("payments primary", "", "schedule"),
		ids.New("PAYMENTS-PRIMARY", "", "schedule"),
		ids.New("日本", "P123ABC", "schedule"),
		ids.New("日本", "", "schedule"),
		ids.New("", "", "schedule"),
		ids.New(strings.Repeat("y", 80), "", "schedule"),
		ids.New(strings.Repeat("y", 80), "", "schedule"),
	}
	want := []string{
		"payments-primary", "payments-primary-2", "payments-primary-3", "p123abc", "schedule", "schedule-2",
		strings.Repeat("y", 64), strings.Repeat("y", 62) + "-2",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("id %d = %q, want %q", i, got[i], want[i])
		}
	}
	if !ids.Taken("p123abc") || ids.Taken("nobody") {
		t.Error("Taken is wrong")
	}
}

func FuzzSlug(f *testing.F) {
	for _, s := range []string{"Payments Primary", "Zürich", "", "--a--", "\xff\xfe", strings.Repeat("é", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Slug(s)
		if len(got) > MaxID || strings.HasPrefix(got, "-") || strings.HasSuffix(got, "-") || strings.Contains(got, "--") {
			t.Fatalf("Slug(%q) = %q", s, got)
		}
		for _, c := range got {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				t.Fatalf("Slug(%q) = %q has %q", s, got, c)
			}
		}
		var ids IDs
		a, b := ids.New(s, "", "x"), ids.New(s, "", "x")
		if a == b || len(b) > MaxID {
			t.Fatalf("IDs.New(%q) twice = %q, %q", s, a, b)
		}
	})
}
