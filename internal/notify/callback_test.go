package notify

import (
	"strings"
	"testing"
)

func TestCallbackToken(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	tok := CallbackToken(key, 7, 12, "alice")
	if len(tok) != 43 {
		t.Fatalf("token %q: want 43 base64url characters", tok)
	}
	tests := []struct {
		name  string
		key   []byte
		token string
		n, i  int64
		user  string
		want  bool
	}{
		{"same", key, tok, 7, 12, "alice", true},
		{"other notification", key, tok, 8, 12, "alice", false},
		{"other incident", key, tok, 7, 13, "alice", false},
		{"other user", key, tok, 7, 12, "bob", false},
		{"ids shifted into the user", key, tok, 7, 1, "2alice", false},
		{"other key", []byte("another key of sufficient length"), tok, 7, 12, "alice", false},
		{"no key", nil, CallbackToken(nil, 7, 12, "alice"), 7, 12, "alice", false},
		{"empty token", key, "", 7, 12, "alice", false},
		{"padded token", key, tok + "=", 7, 12, "alice", false},
		{"not base64", key, strings.Repeat("*", 43), 7, 12, "alice", false},
	}
	for _, tt := range tests {
		if got := CheckCallbackToken(tt.key, tt.token, tt.n, tt.i, tt.user); got != tt.want {
			t.Errorf("%s: CheckCallbackToken = %v, want %v", tt.name, got, tt.want)
		}
	}
}
