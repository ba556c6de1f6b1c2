package auth

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

func TestCSRFToken(t *testing.T) {
	a, b := CSRFToken("vgl_session-a"), CSRFToken("vgl_session-b")
	if a == b || a != CSRFToken("vgl_session-a") || len(a) != 43 {
		t.Fatalf("tokens %q and %q: want one per secret, stable, 43 characters", a, b)
	}
	if strings.Contains(a, "session") || a == string(Hash("vgl_session-a")) {
		t.Fatalf("token %q shows its secret", a)
	}
	tests := []struct {
		name, secret, got string
		want              bool
	}{
		{"its own", "vgl_session-a", a, true},
		{"another session's", "vgl_session-a", b, false},
		{"none", "vgl_session-a", "", false},
		{"a prefix", "vgl_session-a", a[:42], false},
		{"longer", "vgl_session-a", a + "x", false},
		{"the secret itself", "vgl_session-a", "vgl_session-a", false},
	}
	for _, tt := range tests {
		if got := CheckCSRF(tt.secret, tt.got); got != tt.want {
			t.Errorf("%s: CheckCSRF = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUserByClaim(t *testing.T) {
	users := []catalog.User{
		{ID: "alice", Email: "Alice.Martin@example.com"},
		{ID: "bob", Email: "bob@example.com"},
		{ID: "bob-ops", Email: "BOB@example.com"},
		{ID: "carol"},
		{ID: "dana@example.com"},
	}
	tests := []struct {
		value, want string
		ambiguous   bool
	}{
		{"alice", "alice", false},
		{"alice.martin@example.com", "alice", false},
		{"ALICE.MARTIN@EXAMPLE.COM", "alice", false},
		{"carol", "carol", false},
		{"carol@example.com", "", false},
		{"bob@example.com", "", true},
		{"bob-ops", "bob-ops", false},
		{"dana@example.com", "dana@example.com", false},
		{"", "", false},
		{"Alice", "", false},
	}
	for _, tt := range tests {
		got, err := UserByClaim(users, tt.value)
		if got != tt.want || errors.Is(err, ErrAmbiguousUser) != tt.ambiguous {
			t.Errorf("UserByClaim(%q) = %q, %v; want %q, ambiguous %v", tt.value, got, err, tt.want, tt.ambiguous)
		}
	}
}

func TestNewUserID(t *testing.T) {
	taken := func(ids ...string) func(string) bool {
		return func(id string) bool { return slices.Contains(ids, id) }
	}
	tests := []struct {
		value string
		taken []string
		want  string
	}{
		{"anna@example.com", nil, "anna"},
		{"Anna.Schmidt+oncall@example.com", nil, "anna-schmidt-oncall"},
		{"anna@example.com", []string{"anna"}, "anna-2"},
		{"anna@example.com", []string{"anna", "anna-2"}, "anna-3"},
		{"--Kenji__Sato--", nil, "kenji-sato"},
		{"李@example.com", nil, "user"},
		{"@example.com", nil, "example-com"},
		{"", []string{"user"}, "user-2"},
		{strings.Repeat("x", 100) + "@example.com", nil, strings.Repeat("x", 56)},
		{strings.Repeat("ab-", 30), nil, strings.Repeat("ab-", 18) + "ab"},
	}
	for _, tt := range tests {
		got := NewUserID(tt.value, taken(tt.taken...))
		if got != tt.want {
			t.Errorf("NewUserID(%q) with %v taken = %q, want %q", tt.value, tt.taken, got, tt.want)
		}
		if len(got) > maxUserIDLen || strings.HasPrefix(got, "-") || strings.HasSuffix(got, "-") {
			t.Errorf("NewUserID(%q) = %q: not an id", tt.value, got)
		}
	}
}

func TestTeamChanges(t *testing.T) {
	teams := []catalog.Team{
		{ID: "payments", Members: []string{"alice"}},
		{ID: "search", Members: []string{"bob"}},
		{ID: "platform", Members: []string{"alice", "bob"}},
		{ID: "irt", Members: []string{"gina"}},
	}
	mapping := map[string]string{"pay-eng": "payments", "pay-oncall": "payments", "search-eng": "search", "platform": "platform", "gone": "no-such-team"}
	tests := []struct {
		name        string
		user        string
		groups      []string
		join, leave []string
	}{
		{"in step", "alice", []string{"pay-eng", "platform"}, nil, nil},
		{"joins by one of two groups", "bob", []string{"pay-oncall", "search-eng", "platform"}, []string{"payments"}, nil},
		{"left a group", "alice", []string{"pay-eng"}, nil, []string{"platform"}},
		{"no groups", "bob", nil, nil, []string{"platform", "search"}},
		{"unmapped groups and teams stay", "gina", []string{"everyone", "gone"}, nil, nil},
		{"a newcomer", "nina", []string{"search-eng", "platform", "platform"}, []string{"platform", "search"}, nil},
	}
	for _, tt := range tests {
		join, leave := TeamChanges(teams, tt.user, tt.groups, mapping)
		if !slices.Equal(join, tt.join) || !slices.Equal(leave, tt.leave) {
			t.Errorf("%s: join %v leave %v, want join %v leave %v", tt.name, join, leave, tt.join, tt.leave)
		}
	}
}

func TestClaims(t *testing.T) {
	claims := map[string]any{"email": "a@example.com", "empty": "", "n": 7.0,
		"groups": []any{"ops", 3.0, "sre", nil}, "role": "admin"}
	if s, ok := ClaimString(claims, "email"); !ok || s != "a@example.com" {
		t.Errorf("email = %q %v", s, ok)
	}
	for _, name := range []string{"empty", "n", "groups", "missing"} {
		if s, ok := ClaimString(claims, name); ok {
			t.Errorf("ClaimString(%s) = %q, want none", name, s)
		}
	}
	if got := ClaimStrings(claims, "groups"); !slices.Equal(got, []string{"ops", "sre"}) {
		t.Errorf("groups = %q", got)
	}
	if got := ClaimStrings(claims, "role"); !slices.Equal(got, []string{"admin"}) {
		t.Errorf("a single string = %q", got)
	}
	if got := ClaimStrings(claims, "n"); got != nil {
		t.Errorf("a number = %q", got)
	}
}

func TestEmailUnverified(t *testing.T) {
	tests := []struct {
		value any
		want  bool
	}{
		{false, true}, {"false", true}, {"FALSE", true},
		{true, false}, {"true", false}, {nil, false}, {0.0, false}, {"no", false},
	}
	for _, tt := range tests {
		claims := map[string]any{}
		if tt.value != nil {
			claims["email_verified"] = tt.value
		}
		if got := EmailUnverified(claims); got != tt.want {
			t.Errorf("email_verified %#v: unverified %v, want %v", tt.value, got, tt.want)
		}
	}
}
