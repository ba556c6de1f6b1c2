package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length limits. The minimum is counted in characters, as people
// count; the maximum in bytes, because it bounds the work a request can ask
// of the server.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 1024
)

// Errors of password policy and verification.
var (
	ErrPasswordTooShort = fmt.Errorf("a password needs at least %d characters", MinPasswordLength)
	ErrPasswordTooLong  = fmt.Errorf("a password may have at most %d bytes", MaxPasswordLength)
	ErrPasswordEncoding = errors.New("a password must be valid UTF-8")
	// ErrPasswordHash is returned for a stored hash that cannot be parsed:
	// the caller must treat it as a failed login, never as a match.
	ErrPasswordHash = errors.New("malformed password hash")
)

// PasswordParams are the argon2id cost parameters of a password hash.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultPasswordParams are sized for a two-core server: 64 MiB, two
// passes, two lanes (one hash takes about 100 ms there, see
// BenchmarkHashPassword). RFC 9106 and OWASP recommend at least 19 MiB
// with two passes; more memory is what makes guessing on GPUs expensive.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Memory: 64 * 1024, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}
}

// Bounds on the parameters a stored hash may name. A hash is read from our
// own database, but a corrupted or planted row must not make one login
// allocate gigabytes or run for minutes.
const (
	maxHashMemory  = 1024 * 1024 // 1 GiB in KiB
	maxHashTime    = 64
	minSaltLen     = 8
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 64
	maxEncodedHash = 512
)

// CheckPassword applies the password policy.
func CheckPassword(password string) error {
	if len(password) > MaxPasswordLength {
		return ErrPasswordTooLong
	}
	if !utf8.ValidString(password) {
		return ErrPasswordEncoding
	}
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return ErrPasswordTooShort
	}
	return nil
}

// HashPassword checks the policy and returns the PHC-style encoding of an
// argon2id hash of password with a fresh random salt:
//
//	$argon2id$v=19$m=65536,t=2,p=2$<salt>$<hash>
//
// (unpadded standard base64, as the reference implementation writes it).
func HashPassword(password string, params PasswordParams) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	if err := params.check(); err != nil {
		return "", err
	}
	salt := make([]byte, params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, params.Time, params.Memory, params.Threads, params.KeyLen)
	return encodeHash(params, salt, key), nil
}

func encodeHash(params PasswordParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, params.Memory, params.Time, params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func (p PasswordParams) check() error {
	switch {
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxHashMemory:
		return fmt.Errorf("%w: memory %d KiB out of range", ErrPasswordHash, p.Memory)
	case p.Time < 1 || p.Time > maxHashTime:
		return fmt.Errorf("%w: time %d out of range", ErrPasswordHash, p.Time)
	case p.Threads < 1:
		return fmt.Errorf("%w: parallelism must be at least 1", ErrPasswordHash)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("%w: salt of %d bytes out of range", ErrPasswordHash, p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("%w: key of %d bytes out of range", ErrPasswordHash, p.KeyLen)
	}
	return nil
}

// ParsePasswordHash decodes an encoded argon2id hash into its parameters,
// salt and key. It accepts only what HashPassword writes: argon2id,
// version 19, parameters in the order m, t, p, within sane bounds, and
// canonical unpadded base64.
func ParsePasswordHash(encoded string) (PasswordParams, []byte, []byte, error) {
	fail := func(why string) (PasswordParams, []byte, []byte, error) {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: %s", ErrPasswordHash, why)
	}
	if len(encoded) > maxEncodedHash {
		return fail("too long")
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return fail("want $argon2id$v=..$m=..,t=..,p=..$salt$hash")
	}
	if parts[1] != "argon2id" {
		return fail("algorithm " + strconv.Quote(parts[1]) + " is not argon2id")
	}
	version, ok := strings.CutPrefix(parts[2], "v=")
	if !ok || version != strconv.Itoa(argon2.Version) {
		return fail("version must be v=" + strconv.Itoa(argon2.Version))
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return fail("parameters must be m=..,t=..,p=..")
	}
	var nums [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
			return fail("parameter " + strconv.Quote(fields[i]) + " is not " + name + "=<number>")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fail("parameter " + strconv.Quote(fields[i]) + " is not " + name + "=<number>")
		}
		nums[i] = n
	}
	if nums[2] > 255 {
		return fail("parallelism above 255")
	}
	salt, err := decodeB64(parts[4])
	if err != nil {
		return fail("salt is not unpadded base64")
	}
	key, err := decodeB64(parts[5])
	if err != nil {
		return fail("hash is not unpadded base64")
	}
	params := PasswordParams{Memory: uint32(nums[0]), Time: uint32(nums[1]), Threads: uint8(nums[2]),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if err := params.check(); err != nil {
		return PasswordParams{}, nil, nil, err
	}
	return params, salt, key, nil
}

// decodeB64 decodes canonical unpadded standard base64. The standard
// decoder skips CR and LF anywhere, which would give one hash many
// spellings; they are refused here.
func decodeB64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line breaks in base64")
	}
	return base64.RawStdEncoding.Strict().DecodeString(s)
}

// VerifyPassword reports whether password matches the encoded hash. The
// comparison takes the same time wherever the keys differ. A malformed hash
// is an error, never a match; a password over the length cap never
// matches and is not hashed.
func VerifyPassword(encoded, password string) (bool, error) {
	params, salt, want, err := ParsePasswordHash(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordLength {
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, params.Time, params.Memory, params.Threads, params.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether a stored hash was made with parameters other
// than params, so that it is replaced at the next successful login.
func NeedsRehash(encoded string, params PasswordParams) bool {
	got, _, _, err := ParsePasswordHash(encoded)
	return err != nil || got != params
}
