package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

// fastPasswords makes the fixture hash with tiny argon2id parameters: the
// algorithm and every code path stay the same, the tests stay fast.
func (f *fixture) fastPasswords() {
	f.srv.passwords = newPasswords(auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
}

type session struct {
	ID        string     `json:"id"`
	Token     string     `json:"token"`
	UserID    string     `json:"user_id"`
	Role      string     `json:"role"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func (f *fixture) login(user, password string) (int, session) {
	f.t.Helper()
	var s session
	code := f.call("POST", "/api/v1/login", "", map[string]any{"user": user, "password": password}, &s)
	return code, s
}

func (f *fixture) auditActions(query string) []store.AuditEntry {
	f.t.Helper()
	var page struct {
		Entries []store.AuditEntry `json:"audit_entries"`
	}
	if code := f.call("GET", "/api/v1/audit?"+query, adminSecret, nil, &page); code != 200 {
		f.t.Fatalf("audit %s = %d", query, code)
	}
	return page.Entries
}

const (
	alicePassword = "alice's long passphrase"
	aliceToken2   = "user-token-of-alice"
)

func TestPasswordsAndSessions(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	f.fastPasswords()

	if code, _ := f.login("alice", alicePassword); code != 401 {
		t.Fatalf("login without a password set = %d, want 401", code)
	}
	// Passwords are not configuration: a user object cannot carry one.
	if code := f.call("PUT", "/api/v1/users/alice", adminSecret, map[string]any{"id": "alice", "time_zone": "UTC", "password": alicePassword}, nil); code != 400 {
		t.Fatalf("a user object with a password = %d, want 400", code)
	}
	if code := f.call("PUT", "/api/v1/users/alice/password", adminSecret, map[string]any{"password": alicePassword}, nil); code != 204 {
		t.Fatalf("admin sets alice's password = %d, want 204", code)
	}
	var wrong, unknown errorBody
	f.call("POST", "/api/v1/login", "", map[string]any{"user": "alice", "password": "not her passphrase"}, &wrong)
	f.call("POST", "/api/v1/login", "", map[string]any{"user": "nobody", "password": alicePassword}, &unknown)
	if wrong.Code != unknown.Code || wrong.Message != unknown.Message || wrong.Message == "" {
		t.Fatalf("wrong password answers %+v, unknown user %+v: they must not differ", wrong, unknown)
	}

	code, s1 := f.login("alice", alicePassword)
	if code != 201 || !strings.HasPrefix(s1.Token, "vgl_") || s1.UserID != "alice" || s1.Role != "user" || !strings.HasPrefix(s1.ID, "ses-") {
		t.Fatalf("login = %d %+v", code, s1)
	}
	// The fixture's clock says 2026-11-26T12:00Z; sessions last 12 hours.
	if s1.ExpiresAt == nil || !s1.ExpiresAt.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("expires_at = %v, want 2026-11-27T00:00:00Z", s1.ExpiresAt)
	}
	if code := f.call("GET", "/api/v1/incidents", s1.Token, nil, nil); code != 200 {
		t.Fatalf("reading with the session = %d", code)
	}
	// The session acts as alice: she may declare on her team's service,
	// not on a service nobody of hers owns.
	if code := f.call("POST", "/api/v1/incidents", s1.Token, map[string]any{"title": "slow", "service": "checkout"}, nil); code != 201 {
		t.Fatalf("declare with alice's session = %d, want 201", code)
	}

	// Changing her own password needs the current one.
	change := func(token string, body map[string]any) int {
		return f.call("PUT", "/api/v1/users/alice/password", token, body, nil)
	}
	const next = "an even longer passphrase"
	_, s2 := f.login("alice", alicePassword)
	tests := []struct {
		name  string
		token string
		body  map[string]any
		want  int
	}{
		{"no current password", s1.Token, map[string]any{"password": next}, 400},
		{"wrong current password", s1.Token, map[string]any{"password": next, "current_password": "guess guess guess"}, 403},
		{"too short", s1.Token, map[string]any{"password": "short", "current_password": alicePassword}, 400},
		{"over 1024 bytes", s1.Token, map[string]any{"password": strings.Repeat("p", 1025), "current_password": alicePassword}, 400},
		{"unknown field", s1.Token, map[string]any{"password": next, "current_password": alicePassword, "hint": "x"}, 400},
		{"another user's token", "user-token-of-olga", map[string]any{"password": next}, 403},
		{"the global IRT is no admin", "user-token-of-gina", map[string]any{"password": next}, 403},
		{"viewer", f.viewer, map[string]any{"password": next}, 403},
		{"no token", "", map[string]any{"password": next}, 401},
		{"right current password", s1.Token, map[string]any{"password": next, "current_password": alicePassword}, 204},
	}
	for _, tt := range tests {
		if got := change(tt.token, tt.body); got != tt.want {
			t.Errorf("%s: PUT password = %d, want %d", tt.name, got, tt.want)
		}
	}
	if code := f.call("PUT", "/api/v1/users/nobody/password", adminSecret, map[string]any{"password": next}, nil); code != 404 {
		t.Errorf("password of an unknown user = %d, want 404", code)
	}
	// The change ended her other session, not the one that made it.
	if code := f.call("GET", "/api/v1/incidents", s2.Token, nil, nil); code != 401 {
		t.Errorf("other session after a password change = %d, want 401", code)
	}
	if code := f.call("GET", "/api/v1/incidents", s1.Token, nil, nil); code != 200 {
		t.Errorf("the session that changed the password = %d, want 200", code)
	}
	if code, _ := f.login("alice", alicePassword); code != 401 {
		t.Errorf("login with the old password = %d, want 401", code)
	}
	if code, _ := f.login("alice", next); code != 201 {
		t.Errorf("login with the new password = %d, want 201", code)
	}

	// Logout ends the session used, and only sessions can log out.
	if code := f.call("POST", "/api/v1/logout", aliceToken2, nil, nil); code != 400 {
		t.Errorf("logout with an API token = %d, want 400", code)
	}
	if code := f.call("POST", "/api/v1/logout", s1.Token, nil, nil); code != 204 {
		t.Errorf("logout = %d, want 204", code)
	}
	if code := f.call("GET", "/api/v1/incidents", s1.Token, nil, nil); code != 401 {
		t.Errorf("after logout the session reads = %d, want 401", code)
	}
	if code := f.call("GET", "/api/v1/incidents", aliceToken2, nil, nil); code != 200 {
		t.Errorf("logout ended alice's API token too: %d", code)
	}

	// The audit log has every step, and never a password or a hash.
	var got []string
	for _, e := range f.auditActions("actor=user%3Aalice") {
		got = append(got, e.Action+"/"+e.Details)
	}
	want := []string{
		"session.revoke/logout",
		"session.create/", // the login with the new password
		"session.revoke/password changed",
		"user.password/password changed",
	}
	if len(got) < len(want) {
		t.Fatalf("alice's audit entries = %v", got)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("audit entry %d = %s, want %s...", i, got[i], w)
		}
	}
	for _, e := range f.auditActions("kind=user&object_id=alice") {
		if e.Action == "user.password" && (len(e.Before) != 0 || len(e.After) != 0) {
			t.Errorf("password audit entry carries before/after: %+v", e)
		}
	}
	all := f.auditActions("limit=1000")
	for _, e := range all {
		text := string(e.Before) + string(e.After) + e.Details
		if strings.Contains(text, "argon2id") || strings.Contains(text, "passphrase") {
			t.Fatalf("audit entry %s leaks a password or hash: %s", e.Action, text)
		}
	}
	var set bool
	for _, e := range all {
		set = set || (e.Action == "user.password" && e.Actor == "token:admin" && e.Details == "password set" && e.ObjID == "alice")
	}
	if !set {
		t.Error("the admin setting alice's password is not audited")
	}
}

func TestExpiredAndOrphanedTokensAreRefused(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) // the fixture's clock
	past, atNow, later := now.Add(-time.Second), now, now.Add(time.Second)
	for _, tok := range []struct {
		id      string
		user    string
		expires *time.Time
	}{
		{"ses-past", "alice", &past},
		{"ses-now", "alice", &atNow},
		{"ses-later", "alice", &later},
		{"ses-ghost", "ghost", &later}, // a user who is not (or no longer) configured
	} {
		st := store.Token{ID: tok.id, Name: tok.id, Hash: auth.Hash("secret-" + tok.id), UserID: tok.user, Role: auth.RoleUser, CreatedAt: past, ExpiresAt: tok.expires}
		if err := f.store.CreateToken(t.Context(), st, store.AuditEntry{At: now, Actor: "test", Action: "token.create", Kind: "token", ObjID: tok.id}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		token string
		want  int
	}{
		{"secret-ses-past", 401},
		{"secret-ses-now", 401}, // expiry is exclusive
		{"secret-ses-later", 200},
		{"secret-ses-ghost", 401},
	}
	for _, tt := range tests {
		if code := f.call("GET", "/api/v1/incidents", tt.token, nil, nil); code != tt.want {
			t.Errorf("%s = %d, want %d", tt.token, code, tt.want)
		}
	}
	// Removing a user from the configuration stops their tokens.
	b := shop()
	if code := f.call("POST", "/api/v1/config/apply", adminSecret, b, nil); code != 200 {
		t.Fatalf("apply without olga = %d", code)
	}
	if code := f.call("GET", "/api/v1/incidents", "user-token-of-olga", nil, nil); code != 401 {
		t.Errorf("token of a removed user = %d, want 401", code)
	}
}

// TestThrottleSparesValidCredentials: failed authentications from one
// address are throttled, but never a valid credential because of someone
// else's failures: a valid token passes whatever bad ones came from its
// address, and a password is throttled only by failures for the same user
// from the same address. The fixture's clock stands still, so the burst of
// 100 failures never refills.
func TestThrottleSparesValidCredentials(t *testing.T) {
	onBothBackends(t, func(t *testing.T, f *fixture) {
		f.pagingOrg()
		f.fastPasswords()
		const ginaPassword = "gina's own long passphrase"
		for user, password := range map[string]string{"alice": alicePassword, "gina": ginaPassword} {
			if code := f.call("PUT", "/api/v1/users/"+user+"/password", adminSecret, map[string]any{"password": password}, nil); code != 204 {
				t.Fatalf("set %s's password = %d", user, code)
			}
		}
		codes := map[int]int{}
		for range 101 {
			codes[f.call("GET", "/api/v1/incidents", "guessed-token", nil, nil)]++
		}
		if codes[401] != 100 || codes[429] != 1 {
			t.Fatalf("101 bad tokens answered %v, want 100 × 401 then 429", codes)
		}
		for _, tok := range []string{adminSecret, f.viewer, "user-token-of-alice"} {
			if code := f.call("GET", "/api/v1/incidents", tok, nil, nil); code != 200 {
				t.Errorf("a valid token after 101 bad ones from its address = %d, want 200", code)
			}
		}
		if code, _ := f.login("alice", alicePassword); code != 201 {
			t.Errorf("alice's password after 101 bad tokens = %d, want 201", code)
		}

		// 100 wrong passwords for gina, and 100 for names nobody has.
		for i := range 100 {
			if code, _ := f.login("gina", "guessed password"); code != 401 {
				t.Fatalf("wrong password %d for gina = %d, want 401", i, code)
			}
			if code, _ := f.login("nobody", "guessed password"); code != 401 {
				t.Fatalf("login %d of an unknown user = %d, want 401", i, code)
			}
		}
		// gina's password is throttled from this address: guessing stops.
		if code, _ := f.login("gina", ginaPassword); code != 429 {
			t.Errorf("gina's password after 100 failures for her = %d, want 429", code)
		}
		if code, _ := f.login("nobody", "another guess"); code != 429 {
			t.Errorf("an unknown user after 100 failures = %d, want 429", code)
		}
		// Nobody else's is.
		if code, _ := f.login("alice", alicePassword); code != 201 {
			t.Errorf("alice's password after others' failures = %d, want 201", code)
		}
		if code, _ := f.login("alice", "a wrong one"); code != 401 {
			t.Errorf("a wrong password for alice = %d, want 401 (her own first failure)", code)
		}
		if code := f.call("GET", "/api/v1/incidents", "user-token-of-gina", nil, nil); code != 200 {
			t.Errorf("gina's valid token while her password is throttled = %d, want 200", code)
		}
	})
}

func TestLoginRejectsMalformedRequests(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	f.fastPasswords()
	tests := []struct {
		name string
		body any
		want int
	}{
		{"empty object", map[string]any{}, 400},
		{"no password", map[string]any{"user": "alice"}, 400},
		{"no user", map[string]any{"password": alicePassword}, 400},
		{"unknown field", map[string]any{"user": "alice", "password": alicePassword, "remember": true}, 400},
		{"wrong type", map[string]any{"user": 7, "password": alicePassword}, 400},
		{"not JSON", "user=alice&password=x", 400},
		{"password over the cap", map[string]any{"user": "alice", "password": strings.Repeat("x", 1025)}, 400},
		{"body over a megabyte", map[string]any{"user": "alice", "password": strings.Repeat("x", 1<<20)}, 413},
		{"NUL in the user", map[string]any{"user": "ali\x00ce", "password": alicePassword}, 400},
		{"huge user id", map[string]any{"user": strings.Repeat("a", 100000), "password": alicePassword}, 401},
	}
	for _, tt := range tests {
		if code := f.call("POST", "/api/v1/login", "", tt.body, nil); code != tt.want {
			t.Errorf("%s: login = %d, want %d", tt.name, code, tt.want)
		}
	}
	// A session is answered once and never cached.
	f.call("PUT", "/api/v1/users/alice/password", adminSecret, map[string]any{"password": alicePassword}, nil)
	req, _ := http.NewRequest("POST", f.http.URL+"/api/v1/login", strings.NewReader(`{"user":"alice","password":"`+alicePassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("login answer %d with Cache-Control %q, want 201 no-store", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

// BenchmarkLogin compares a wrong password for a user who has one with an
// unknown user, at the production parameters: both must cost one hash.
//
//	go test -run '^$' -bench Login -benchtime 20x ./internal/api/
func BenchmarkLogin(b *testing.B) {
	for _, bc := range []struct{ name, user string }{{"wrong password", "alice"}, {"unknown user", "nobody"}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := b.Context()
			srv, st := benchOrgServer(b, shop())
			now := benchNow
			hash, err := auth.HashPassword(alicePassword, auth.DefaultPasswordParams())
			if err != nil {
				b.Fatal(err)
			}
			if err := st.SetPasswordHash(ctx, "alice", hash, now(), store.AuditEntry{At: now(), Actor: "bench", Action: "user.password", Kind: "user", ObjID: "alice"}); err != nil {
				b.Fatal(err)
			}
			// The first check makes the dummy hash; keep it out of the timing.
			if _, err := srv.passwords.verify(ctx, "", "warm up"); err != nil {
				b.Fatal(err)
			}
			srv.authFailures = newLimiter(1e12, 0, now)
			body := `{"user":"` + bc.user + `","password":"not the passphrase"}`
			h := srv.Handler()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(body)))
				if rec.Code != 401 {
					b.Fatalf("login = %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
