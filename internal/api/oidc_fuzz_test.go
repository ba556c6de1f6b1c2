package api

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzSafeNext: whatever a sign-in's next parameter holds, the page the
// person is sent back to stays on this server.
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{"/incidents/7", "//evil.example", "/\\evil.example", "https://evil.example/",
		"/\tevil", "/api/v1/tokens", "", "/%2F%2Fevil.example", "/incidents?x=1#y"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != next && got != "/incidents" {
			t.Fatalf("safeNext(%q) = %q: neither the input nor the default", next, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			return // the browser resolves it against this server's own origin
		}
		if u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Fatalf("safeNext(%q) = %q leaves the server", next, got)
		}
	})
}

// FuzzOpenState: only the state this server sealed opens, and opening
// any cookie never panics.
func FuzzOpenState(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	want := oidcState{State: "s", Nonce: "n", Verifier: "v", Next: "/", Expires: now.Add(oidcStateTTL).Unix()}
	sealed, err := sealState(key, want)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{sealed, sealed + "x", "", ".", "a.b", strings.Repeat("A", 3000) + ".sig"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		st, err := openState(key, cookie, now)
		if err == nil && st != want {
			t.Fatalf("opened a cookie this server did not seal: %q -> %+v", cookie, st)
		}
	})
}
