package auth

import (
	"errors"
	"strings"
	"testing"
)

// fastParams keep the tests quick; the algorithm is the same.
var fastParams = PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Known answers from the reference implementation (the argon2 command of
// the PHC repository: echo -n PASSWORD | argon2 SALT -id -t T -k M -p P -l L -e).
var knownAnswers = []struct {
	password, encoded string
}{
	{"correct horse battery staple", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQwMTIzNDU2$d9uVF48jq9l73QPBCJXoBIUIoI1ii/odCbdtl0tvPwA"},
	{"Tr0ub4dor&3-long enough", "$argon2id$v=19$m=256,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$J2nqvYpXPLUsPSLXmn6fuQ"},
	{"ünïcödé pässwörd", "$argon2id$v=19$m=128,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$LOPvDspjXIT8Qt/QvDTGjKarMU9QqU3LC0WXC1XOLjo"},
}

func TestVerifyPasswordKnownAnswers(t *testing.T) {
	for _, ka := range knownAnswers {
		ok, err := VerifyPassword(ka.encoded, ka.password)
		if err != nil || !ok {
			t.Errorf("VerifyPassword(%s, %q) = %v, %v; want true", ka.encoded, ka.password, ok, err)
		}
		// One character off, one character more, or empty: no match.
		for _, wrong := range []string{ka.password[:len(ka.password)-1] + "X", ka.password + " ", ""} {
			if ok, err := VerifyPassword(ka.encoded, wrong); ok || err != nil {
				t.Errorf("VerifyPassword(%s, %q) = %v, %v; want false, nil", ka.encoded, wrong, ok, err)
			}
		}
	}
}

func TestParsePasswordHashKnownAnswer(t *testing.T) {
	params, salt, key, err := ParsePasswordHash(knownAnswers[0].encoded)
	if err != nil {
		t.Fatal(err)
	}
	want := PasswordParams{Memory: 64, Time: 2, Threads: 1, SaltLen: 15, KeyLen: 32}
	if params != want || string(salt) != "somesalt0123456" {
		t.Fatalf("parsed %+v salt %q, want %+v salt %q", params, salt, want, "somesalt0123456")
	}
	// The key in hex, as the reference command printed it.
	const wantKey = "77db95178f23abd97bdd03c10895e8048508a08d628bfa1d09b76d974b6f3f00"
	if got := hexString(key); got != wantKey {
		t.Fatalf("key = %s, want %s", got, wantKey)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
	}
	return sb.String()
}

func TestHashPasswordRoundTrip(t *testing.T) {
	const pw = "a perfectly fine passphrase"
	a, err := HashPassword(pw, fastParams)
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashPassword(pw, fastParams)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(a, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("encoding %q does not start with the parameters", a)
	}
	for _, enc := range []string{a, b} {
		if ok, err := VerifyPassword(enc, pw); !ok || err != nil {
			t.Fatalf("VerifyPassword(own hash) = %v, %v", ok, err)
		}
		if ok, _ := VerifyPassword(enc, pw+"!"); ok {
			t.Fatal("a different password matched")
		}
	}
	if NeedsRehash(a, fastParams) {
		t.Error("NeedsRehash with the same parameters = true")
	}
	if !NeedsRehash(a, DefaultPasswordParams()) {
		t.Error("NeedsRehash with other parameters = false")
	}
	if !NeedsRehash("not a hash", fastParams) {
		t.Error("NeedsRehash of garbage = false")
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, password string
		want           error
	}{
		{"empty", "", ErrPasswordTooShort},
		{"eleven characters", "abcdefghijk", ErrPasswordTooShort},
		{"twelve characters", "abcdefghijkl", nil},
		{"twelve characters of two bytes each", strings.Repeat("é", 12), nil},
		{"eleven characters of two bytes each (22 bytes)", strings.Repeat("é", 11), ErrPasswordTooShort},
		{"exactly the cap", strings.Repeat("x", MaxPasswordLength), nil},
		{"one byte over the cap", strings.Repeat("x", MaxPasswordLength+1), ErrPasswordTooLong},
		{"a megabyte", strings.Repeat("x", 1<<20), ErrPasswordTooLong},
		{"invalid UTF-8", "abcdefghijkl\xff", ErrPasswordEncoding},
	}
	for _, tt := range tests {
		if got := CheckPassword(tt.password); !errors.Is(got, tt.want) {
			t.Errorf("%s: CheckPassword = %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := HashPassword("short", fastParams); !errors.Is(err, ErrPasswordTooShort) {
		t.Errorf("HashPassword(short) = %v, want ErrPasswordTooShort", err)
	}
	if _, err := HashPassword("long enough password", PasswordParams{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}); !errors.Is(err, ErrPasswordHash) {
		t.Errorf("HashPassword(t=0) = %v, want ErrPasswordHash", err)
	}
}

func TestVerifyPasswordOverTheCapIsNotHashed(t *testing.T) {
	enc := knownAnswers[0].encoded
	if ok, err := VerifyPassword(enc, strings.Repeat("x", MaxPasswordLength+1)); ok || err != nil {
		t.Fatalf("VerifyPassword(huge) = %v, %v; want false, nil", ok, err)
	}
}

func TestParsePasswordHashRejects(t *testing.T) {
	const salt, key = "c29tZXNhbHQwMTIzNDU2", "d9uVF48jq9l73QPBCJXoBIUIoI1ii/odCbdtl0tvPwA"
	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"bcrypt", "$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=64,t=2,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=64,t=2,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=64,t=2,p=1$" + salt + "$" + key},
		{"leading text", "x$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key},
		{"trailing field", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key + "$"},
		{"parameters reordered", "$argon2id$v=19$t=2,m=64,p=1$" + salt + "$" + key},
		{"parameter missing", "$argon2id$v=19$m=64,t=2$" + salt + "$" + key},
		{"extra parameter", "$argon2id$v=19$m=64,t=2,p=1,x=1$" + salt + "$" + key},
		{"keyid parameter", "$argon2id$v=19$m=64,t=2,p=1,keyid=abc$" + salt + "$" + key},
		{"negative memory", "$argon2id$v=19$m=-64,t=2,p=1$" + salt + "$" + key},
		{"plus sign", "$argon2id$v=19$m=+64,t=2,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=064,t=2,p=1$" + salt + "$" + key},
		{"empty number", "$argon2id$v=19$m=,t=2,p=1$" + salt + "$" + key},
		{"memory overflows 32 bits", "$argon2id$v=19$m=4294967296,t=2,p=1$" + salt + "$" + key},
		{"memory of 4 GiB", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{"memory below 8 per lane", "$argon2id$v=19$m=15,t=2,p=2$" + salt + "$" + key},
		{"zero passes", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"a million passes", "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key},
		{"zero lanes", "$argon2id$v=19$m=64,t=2,p=0$" + salt + "$" + key},
		{"256 lanes", "$argon2id$v=19$m=4096,t=2,p=256$" + salt + "$" + key},
		{"padded salt", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "=$" + key},
		{"url-safe base64", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + strings.ReplaceAll(key, "/", "_")},
		{"non-canonical base64 tail", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key[:len(key)-1] + "B"},
		{"salt too short", "$argon2id$v=19$m=64,t=2,p=1$c2FsdA$" + key},
		{"empty salt", "$argon2id$v=19$m=64,t=2,p=1$$" + key},
		{"key too short", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$AAAAAAAA"},
		{"key too long", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + strings.Repeat("A", 100)},
		{"oversized", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + strings.Repeat("A", 1000)},
		{"line break in the hash", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key[:20] + "\r\n" + key[20:]},
		{"line break at the end", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key + "\n"},
		{"NUL inside", "$argon2id$v=19$m=64,t=2,p=1\x00$" + salt + "$" + key},
	}
	for _, tt := range tests {
		params, s, k, err := ParsePasswordHash(tt.encoded)
		if !errors.Is(err, ErrPasswordHash) {
			t.Errorf("%s: ParsePasswordHash = %+v, %v; want ErrPasswordHash", tt.name, params, err)
		}
		if s != nil || k != nil {
			t.Errorf("%s: returned a salt or key along with the error", tt.name)
		}
		if ok, err := VerifyPassword(tt.encoded, "correct horse battery staple"); ok || err == nil {
			t.Errorf("%s: VerifyPassword = %v, %v; want false and an error", tt.name, ok, err)
		}
	}
}

// FuzzParsePasswordHash: no input panics, and whatever parses encodes back
// to the same text (the parser accepts one spelling per hash).
func FuzzParsePasswordHash(f *testing.F) {
	for _, ka := range knownAnswers {
		f.Add(ka.encoded)
	}
	f.Add("$argon2id$v=19$m=65536,t=2,p=2$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$$")
	f.Add("$$$$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, encoded string) {
		params, salt, key, err := ParsePasswordHash(encoded)
		if err != nil {
			if !errors.Is(err, ErrPasswordHash) {
				t.Fatalf("error %v does not wrap ErrPasswordHash", err)
			}
			return
		}
		if params.Memory > maxHashMemory || params.Time > maxHashTime || params.Threads == 0 {
			t.Fatalf("accepted parameters out of bounds: %+v", params)
		}
		if again := encodeHash(params, salt, key); again != encoded {
			t.Fatalf("re-encoded %q as %q", encoded, again)
		}
	})
}

// BenchmarkHashPassword measures one hash with the production parameters:
//
//	go test -run '^$' -bench HashPassword -benchmem ./internal/auth/
func BenchmarkHashPassword(b *testing.B) {
	params := DefaultPasswordParams()
	for b.Loop() {
		if _, err := HashPassword("a perfectly fine passphrase", params); err != nil {
			b.Fatal(err)
		}
	}
}
