package links

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testKey = []byte("0123456789abcdef0123456789abcdef")
	testNow = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
)

func newTestSigner(t testing.TB, key []byte, now time.Time) *Signer {
	t.Helper()
	s, err := NewSigner(key, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sampleAction() Action {
	return Action{
		IncidentID:     12,
		Verb:           VerbAcknowledge,
		UserID:         "alice",
		NotificationID: 345,
		Expires:        testNow.Add(24 * time.Hour),
		Nonce:          "AAECAwQFBgcICQoLDA0ODw",
	}
}

// flip changes one character of s at i to another base64url character.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestVerify(t *testing.T) {
	signer := newTestSigner(t, testKey, testNow)
	good := signer.Sign(sampleAction())
	payload, sig, _ := strings.Cut(good, ".")

	otherKey := newTestSigner(t, []byte("another key of sufficient length"), testNow)
	resolve := sampleAction()
	resolve.Verb = VerbResolve
	farFuture := sampleAction()
	farFuture.Expires = time.Date(2125, 1, 1, 0, 0, 0, 0, time.UTC)
	expired := sampleAction()
	expired.Expires = testNow.Add(-time.Second)
	expiresNow := sampleAction()
	expiresNow.Expires = testNow
	unknownVerb := sampleAction()
	unknownVerb.Verb = "delete"
	hugeUser := sampleAction()
	hugeUser.UserID = strings.Repeat("u", 800)

	tests := []struct {
		name    string
		token   string
		want    Action
		wantErr error
	}{
		{name: "round trip", token: good, want: sampleAction()},
		{name: "resolve", token: signer.Sign(resolve), want: resolve},
		{name: "future-dated", token: signer.Sign(farFuture), want: farFuture},
		{name: "tampered payload", token: flip(payload, 5) + "." + sig, wantErr: ErrBadSignature},
		{name: "tampered signature", token: payload + "." + flip(sig, 3), wantErr: ErrBadSignature},
		{name: "payload of another token", token: strings.Split(signer.Sign(resolve), ".")[0] + "." + sig, wantErr: ErrBadSignature},
		{name: "wrong key", token: otherKey.Sign(sampleAction()), wantErr: ErrBadSignature},
		{name: "truncated signature", token: good[:len(good)-4], wantErr: ErrMalformed},
		{name: "truncated payload", token: payload[:10], wantErr: ErrMalformed},
		{name: "no signature", token: payload + ".", wantErr: ErrMalformed},
		{name: "no payload", token: "." + sig, wantErr: ErrMalformed},
		{name: "empty", token: "", wantErr: ErrMalformed},
		{name: "garbage", token: "<script>alert(1)</script>", wantErr: ErrMalformed},
		{name: "padding added", token: payload + "." + sig + "=", wantErr: ErrMalformed},
		{name: "line feed in the signature", token: payload + "." + sig[:5] + "\n" + sig[5:], wantErr: ErrMalformed},
		{name: "carriage return in the signature", token: payload + "." + sig[:5] + "\r" + sig[5:], wantErr: ErrMalformed},
		{name: "three parts", token: good + ".x", wantErr: ErrMalformed},
		{name: "oversized", token: strings.Repeat("A", MaxTokenLen+1), wantErr: ErrMalformed},
		{name: "oversized but signed", token: signer.Sign(hugeUser), wantErr: ErrMalformed},
		{name: "expired", token: signer.Sign(expired), wantErr: ErrExpired},
		{name: "expires this second", token: signer.Sign(expiresNow), wantErr: ErrExpired},
		{name: "signed unknown verb", token: signer.Sign(unknownVerb), wantErr: ErrMalformed},
		{name: "signed junk payload", token: signedRaw(signer, []byte{1, 2}), wantErr: ErrMalformed},
		{name: "signed trailing bytes", token: signedRaw(signer, append(encode(sampleAction()), 0)), wantErr: ErrMalformed},
		{name: "signed other version", token: signedRaw(signer, append([]byte{2}, encode(sampleAction())[1:]...)), wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signer.Verify(tt.token)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Verify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// signedRaw signs an arbitrary payload, as only a holder of the key could.
func signedRaw(s *Signer, raw []byte) string {
	p := base64.RawURLEncoding.EncodeToString(raw)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p))
}

func TestTokenIsURLSafeAndSmall(t *testing.T) {
	signer := newTestSigner(t, testKey, testNow)
	tok := signer.Sign(sampleAction())
	for _, c := range tok {
		if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", c) {
			t.Fatalf("token %q has %q, not URL-safe", tok, c)
		}
	}
	// 1 version + 1 + 2 + 5 varint bytes + 1+11 "acknowledge" + 1+5 "alice" +
	// 1+22 nonce = 50 bytes -> 67 characters, then "." and 43 for the MAC.
	if len(tok) != 111 {
		t.Fatalf("token length %d, want 111: %s", len(tok), tok)
	}
}

func TestExpiresIsKeptToTheSecond(t *testing.T) {
	signer := newTestSigner(t, testKey, testNow)
	a := sampleAction()
	a.Expires = time.Date(2025, 3, 15, 10, 0, 0, 999_000_000, time.FixedZone("CET", 3600))
	got, err := signer.Verify(signer.Sign(a))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 3, 15, 9, 0, 0, 0, time.UTC)
	if !got.Expires.Equal(want) || got.Expires.Location() != time.UTC {
		t.Fatalf("Expires = %v, want %v", got.Expires, want)
	}
}

func TestNewSigner(t *testing.T) {
	clock := func() time.Time { return testNow }
	if _, err := NewSigner(make([]byte, MinKeyLen-1), clock); err == nil {
		t.Fatal("short key accepted")
	}
	if _, err := NewSigner(testKey, nil); err == nil {
		t.Fatal("nil clock accepted")
	}
	key := append([]byte(nil), testKey...)
	s, err := NewSigner(key, clock)
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Sign(sampleAction())
	key[0] ^= 0xff // the signer keeps its own copy
	if _, err := s.Verify(tok); err != nil {
		t.Fatalf("signer changed with the caller's key slice: %v", err)
	}
}

func TestNewAction(t *testing.T) {
	rnd := bytes.NewReader([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6, 0xf5, 0xf4, 0xf3, 0xf2, 0xf1, 0xf0})
	now := time.Date(2025, 3, 14, 9, 26, 53, 700_000_000, time.UTC)
	s := newTestSigner(t, testKey, now).WithRand(rnd)

	a, err := s.NewAction(12, VerbResolve, "bob", 7, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := Action{
		IncidentID: 12, Verb: VerbResolve, UserID: "bob", NotificationID: 7,
		Expires: time.Date(2025, 3, 16, 9, 26, 53, 0, time.UTC),
		Nonce:   "AAECAwQFBgcICQoLDA0ODw",
	}
	if a != want {
		t.Fatalf("NewAction = %+v, want %+v", a, want)
	}
	b, err := s.NewAction(12, VerbAcknowledge, "bob", 7, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if b.Nonce != "__79_Pv6-fj39vX08_Lx8A" {
		t.Fatalf("second nonce = %q", b.Nonce)
	}
	if _, err := s.NewAction(12, VerbAcknowledge, "bob", 7, time.Hour); err == nil {
		t.Fatal("NewAction with an exhausted random source succeeded")
	}
	if _, err := s.NewAction(12, "snooze", "bob", 7, time.Hour); err == nil {
		t.Fatal("NewAction with an unknown verb succeeded")
	}
}

func TestNewNonceFromCryptoRand(t *testing.T) {
	s := newTestSigner(t, testKey, testNow)
	seen := map[string]bool{}
	for range 100 {
		a, err := s.NewAction(1, VerbAcknowledge, "alice", 1, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(a.Nonce)
		if err != nil || len(raw) != NonceBytes {
			t.Fatalf("nonce %q: %d bytes, %v", a.Nonce, len(raw), err)
		}
		if seen[a.Nonce] {
			t.Fatalf("nonce %q repeated", a.Nonce)
		}
		seen[a.Nonce] = true
	}
}

func FuzzVerify(f *testing.F) {
	signer := newTestSigner(f, testKey, testNow)
	good := signer.Sign(sampleAction())
	f.Add(good)
	f.Add(good[:40])
	f.Add(strings.ToUpper(good))
	f.Add(signedRaw(signer, []byte{1}))
	f.Add(signedRaw(signer, []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}))
	f.Add("")
	f.Add(".")
	f.Add("..")
	f.Add(strings.Repeat("A", MaxTokenLen+1))
	f.Fuzz(func(t *testing.T, token string) {
		a, err := signer.Verify(token)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrExpired) {
				t.Fatalf("Verify(%q) error %v is none of the documented ones", token, err)
			}
			return
		}
		if again := signer.Sign(a); again != token {
			t.Fatalf("Verify(%q) = %+v, which signs to %q", token, a, again)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	signer := newTestSigner(b, testKey, testNow)
	a := sampleAction()
	for b.Loop() {
		signer.Sign(a)
	}
}

func BenchmarkVerify(b *testing.B) {
	signer := newTestSigner(b, testKey, testNow)
	tok := signer.Sign(sampleAction())
	for b.Loop() {
		if _, err := signer.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
