package auth

import (
	"bytes"
	"strings"
	"testing"
)

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"Bearer  abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"", "", false},
		{"abc", "", false},
		{"Bearer " + strings.Repeat("x", 513), "", false},
	}
	for _, tt := range tests {
		got, err := BearerToken(tt.header)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("BearerToken(%.30q) = %q, %v; want %q ok=%v", tt.header, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzBearerToken(f *testing.F) {
	for _, h := range []string{"Bearer abc", "bearer  abc ", "Basic abc", "Bearer", "Bearer \t", "Bearer a b", ""} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, err := BearerToken(header)
		if err != nil {
			return
		}
		if tok == "" || len(tok) > 512 || tok != strings.TrimSpace(tok) || !strings.Contains(header, tok) ||
			!strings.EqualFold(header[:len("Bearer ")], "Bearer ") {
			t.Fatalf("BearerToken(%q) = %q", header, tok)
		}
	})
}

func TestNewTokenIsRandomAndHashed(t *testing.T) {
	a, ha, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, hb, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if a == b || bytes.Equal(ha, hb) {
		t.Fatal("two tokens are equal")
	}
	if !strings.HasPrefix(a, "vgl_") || len(a) < 40 {
		t.Fatalf("token %q too short or unprefixed", a)
	}
	if !bytes.Equal(Hash(a), ha) {
		t.Fatal("Hash disagrees with NewToken")
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		role            string
		read, configure bool
	}{
		{RoleAdmin, true, true},
		{RoleUser, true, false},
		{RoleViewer, true, false},
		{"root", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		p := Principal{Role: tt.role}
		if CanRead(p) != tt.read || CanConfigure(p) != tt.configure {
			t.Errorf("role %q: read=%v configure=%v", tt.role, CanRead(p), CanConfigure(p))
		}
	}
}
