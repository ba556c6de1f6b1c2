package api

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies trusted: the peer", "198.51.100.7:5123", nil, nil, "198.51.100.7"},
		{"no proxies trusted: a forged header is ignored", "198.51.100.7:5123", []string{"203.0.113.1"}, nil, "198.51.100.7"},
		{"an untrusted peer cannot name another client", "198.51.100.7:5123", []string{"203.0.113.1"}, lb, "198.51.100.7"},
		{"behind the load balancer", "10.1.2.3:40000", []string{"203.0.113.1"}, lb, "203.0.113.1"},
		{"the client's own entries come first and are skipped", "10.1.2.3:40000", []string{"1.1.1.1, 2.2.2.2, 203.0.113.1"}, lb, "203.0.113.1"},
		{"two proxies of ours", "10.1.2.3:40000", []string{"1.1.1.1, 203.0.113.1, 10.9.9.9"}, lb, "203.0.113.1"},
		{"several header lines read as one list", "10.1.2.3:40000", []string{"1.1.1.1", "203.0.113.1, 10.9.9.9"}, lb, "203.0.113.1"},
		{"no header from a trusted peer: the peer", "10.1.2.3:40000", nil, lb, "10.1.2.3"},
		{"an empty header: the peer", "10.1.2.3:40000", []string{""}, lb, "10.1.2.3"},
		{"garbage stops the walk", "10.1.2.3:40000", []string{"203.0.113.1, not-an-address"}, lb, "10.1.2.3"},
		{"garbage behind a real client is never reached", "10.1.2.3:40000", []string{"<script>, 203.0.113.1"}, lb, "203.0.113.1"},
		{"a port in the entry is not an address", "10.1.2.3:40000", []string{"203.0.113.1:443"}, lb, "10.1.2.3"},
		{"every hop trusted: the first one", "10.1.2.3:40000", []string{"10.0.0.1, 10.0.0.2"}, lb, "10.0.0.1"},
		{"IPv6 behind an IPv6 balancer", "[fd00::1]:40000", []string{"2001:db8::5"}, lb, "2001:db8::5"},
		{"an IPv4-mapped peer is the IPv4 address", "[::ffff:10.1.2.3]:40000", []string{"203.0.113.1"}, lb, "203.0.113.1"},
		{"an IPv4-mapped client is the IPv4 address", "10.1.2.3:40000", []string{"::ffff:203.0.113.1"}, lb, "203.0.113.1"},
		{"a remote address without a port", "198.51.100.7", nil, lb, "198.51.100.7"},
		{"a remote address that is no address", "@unix", nil, lb, "@unix"},
		{"far more hops than are read", "10.1.2.3:40000", []string{strings.Repeat("10.0.0.9, ", 100) + "10.0.0.8"}, lb, "10.0.0.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, tt.trusted); got != tt.want {
				t.Errorf("clientAddr = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}, ""},
		{" 10.1.2.3/8 , 192.0.2.7,fd00::/8,", []string{"10.0.0.0/8", "192.0.2.7/32", "fd00::/8"}, ""},
		{"::ffff:192.0.2.7", []string{"192.0.2.7/32"}, ""},
		{"10.0.0.0/33", nil, `trusted proxy "10.0.0.0/33"`},
		{"lb.example.com", nil, `trusted proxy "lb.example.com"`},
		{"10.0.0.1, 10.0.0.300", nil, `trusted proxy "10.0.0.300"`},
	}
	for _, tt := range tests {
		got, err := ParseTrustedProxies(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTrustedProxies(%q) error = %v, want one naming %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTrustedProxies(%q): %v", tt.in, err)
			continue
		}
		var gotS []string
		for _, p := range got {
			gotS = append(gotS, p.String())
		}
		if strings.Join(gotS, " ") != strings.Join(tt.want, " ") {
			t.Errorf("ParseTrustedProxies(%q) = %v, want %v", tt.in, gotS, tt.want)
		}
	}
}

func FuzzClientAddr(f *testing.F) {
	f.Add("10.1.2.3:40000", "1.1.1.1, 203.0.113.1")
	f.Add("[fd00::1]:1", "2001:db8::5,,, ")
	f.Add("x", "\x00")
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := clientAddr(r, lb)
		peer := peerAddr(remote)
		switch {
		case !peer.IsValid():
			if got != remote {
				t.Fatalf("clientAddr(%q, %q) = %q, want the remote address as it is", remote, xff, got)
			}
		case !isTrusted(peer, lb):
			if got != peer.String() {
				t.Fatalf("an untrusted peer %q was named %q from its own header %q", remote, got, xff)
			}
		default:
			if _, err := netip.ParseAddr(got); err != nil {
				t.Fatalf("clientAddr(%q, %q) = %q, not an IP address", remote, xff, got)
			}
		}
	})
}

// Behind a load balancer every client shares its address: one client that
// keeps failing must not lock the others out.
func TestAuthThrottleBehindATrustedProxy(t *testing.T) {
	for _, tt := range []struct {
		name           string
		trusted        []netip.Prefix
		otherLockedOut bool
	}{
		{"the proxy is trusted: clients are told apart", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, false},
		{"no proxy trusted: the header is ignored", nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.trustedProxies = tt.trusted
			get := func(token, client string) int {
				t.Helper()
				r, err := http.NewRequest("GET", f.http.URL+"/api/v1/users", nil)
				if err != nil {
					t.Fatal(err)
				}
				r.Header.Set("Authorization", "Bearer "+token)
				r.Header.Set("X-Forwarded-For", client)
				resp, err := f.http.Client().Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			locked := false
			for range 150 {
				if get("a-wrong-token", "203.0.113.9") == 429 {
					locked = true
					break
				}
			}
			if !locked {
				t.Fatal("150 wrong tokens from one client were never refused with 429")
			}
			if code := get("another-wrong-token", "203.0.113.9"); code != 429 {
				t.Errorf("the guessing client = %d, want 429 still", code)
			}
			// A valid token passes from anywhere; a wrong one tells whether
			// the other client shares the guesser's throttle.
			if code := get(adminSecret, "203.0.113.9"); code != 200 {
				t.Errorf("a valid token from the guessing client's address = %d, want 200", code)
			}
			code := get("a-wrong-token", "203.0.113.10")
			if tt.otherLockedOut && code != 429 {
				t.Errorf("another client = %d, want 429 (a forged header must not escape the throttle)", code)
			}
			if !tt.otherLockedOut && code != 401 {
				t.Errorf("another client behind the same proxy = %d, want 401 (its own first failure)", code)
			}
		})
	}
}
