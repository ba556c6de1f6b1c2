// Package links makes and checks the signed action links that every
// notification carries: acknowledge and resolve an incident from a mail or a
// chat message without logging in.
//
// A token is base64url(payload) + "." + base64url(HMAC-SHA256(key, first
// part)). The payload is a compact binary record of the Action. Tokens
// expire; single use is enforced by the caller, which records the Action's
// Nonce through the store (Tx.UseOnce) in the transaction that acts.
package links

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Verbs an action link can carry.
const (
	VerbAcknowledge = "acknowledge"
	VerbResolve     = "resolve"
)

// MaxTokenLen bounds a token; Verify refuses longer ones before decoding.
const MaxTokenLen = 1024

// MinKeyLen is the shortest signing key NewSigner accepts.
const MinKeyLen = 16

// NonceBytes is the randomness of a nonce.
const NonceBytes = 16

const payloadVersion = 1

// Errors returned by Verify; wrapped with detail, test with errors.Is.
var (
	ErrMalformed    = errors.New("malformed action link")
	ErrBadSignature = errors.New("action link signature does not match")
	ErrExpired      = errors.New("action link expired")
)

var b64 = base64.RawURLEncoding.Strict()

// Action is what a link lets its holder do, once, until Expires.
type Action struct {
	IncidentID     int64
	Verb           string // VerbAcknowledge or VerbResolve
	UserID         string // the person the link was sent to; the actor
	NotificationID int64
	Expires        time.Time // kept to the second
	Nonce          string    // single-use key, see NewNonce
}

// Signer signs and verifies action tokens with one key.
type Signer struct {
	key  []byte
	now  func() time.Time
	rand io.Reader
}

// NewSigner returns a signer with key, reading the time from now. The key
// is copied; it must be at least MinKeyLen bytes.
func NewSigner(key []byte, now func() time.Time) (*Signer, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("link signing key: %d bytes, need at least %d", len(key), MinKeyLen)
	}
	if now == nil {
		return nil, errors.New("link signer: nil clock")
	}
	return &Signer{key: append([]byte(nil), key...), now: now, rand: rand.Reader}, nil
}

// WithRand returns a copy of s that draws nonces from r instead of
// crypto/rand (for tests).
func (s *Signer) WithRand(r io.Reader) *Signer {
	c := *s
	c.rand = r
	return &c
}

// NewNonce returns NonceBytes random bytes from r, base64url encoded.
func NewNonce(r io.Reader) (string, error) {
	var b [NonceBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("read nonce: %w", err)
	}
	return b64.EncodeToString(b[:]), nil
}

// NewAction returns an action for one notification that expires ttl from
// now, with a fresh nonce.
func (s *Signer) NewAction(incidentID int64, verb, userID string, notificationID int64, ttl time.Duration) (Action, error) {
	if !validVerb(verb) {
		return Action{}, fmt.Errorf("action link: unknown verb %q", verb)
	}
	nonce, err := NewNonce(s.rand)
	if err != nil {
		return Action{}, fmt.Errorf("action link: %w", err)
	}
	return Action{
		IncidentID:     incidentID,
		Verb:           verb,
		UserID:         userID,
		NotificationID: notificationID,
		Expires:        s.now().Add(ttl).Truncate(time.Second).UTC(),
		Nonce:          nonce,
	}, nil
}

// Sign returns the URL-safe token for a. Expires is kept to the second. A
// token for an action with an unknown verb, or one longer than MaxTokenLen
// (a user id or nonce of hundreds of bytes), does not verify.
func (s *Signer) Sign(a Action) string {
	payload := b64.EncodeToString(encode(a))
	return payload + "." + b64.EncodeToString(s.mac(payload))
}

// Verify checks a token's size, signature and expiry and returns its
// action. It does not check single use: the caller records Nonce.
func (s *Signer) Verify(token string) (Action, error) {
	if len(token) > MaxTokenLen {
		return Action{}, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(token), MaxTokenLen)
	}
	// Strict base64 still skips CR and LF; refusing them leaves each
	// action exactly one spelling.
	if strings.ContainsAny(token, "\r\n") {
		return Action{}, fmt.Errorf("%w: line break", ErrMalformed)
	}
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || payload == "" || sig == "" {
		return Action{}, fmt.Errorf("%w: not two dot-separated parts", ErrMalformed)
	}
	gotMAC, err := b64.DecodeString(sig)
	if err != nil || len(gotMAC) != sha256.Size {
		return Action{}, fmt.Errorf("%w: bad signature encoding", ErrMalformed)
	}
	// The signature covers the encoded text, so nothing attacker-made is
	// decoded before it is authenticated.
	if !hmac.Equal(gotMAC, s.mac(payload)) {
		return Action{}, ErrBadSignature
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return Action{}, fmt.Errorf("%w: bad payload encoding", ErrMalformed)
	}
	a, err := decode(raw)
	if err != nil {
		return Action{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !s.now().Before(a.Expires) {
		return Action{}, fmt.Errorf("%w at %s", ErrExpired, a.Expires.Format(time.RFC3339))
	}
	return a, nil
}

func (s *Signer) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.key)
	io.WriteString(h, payload)
	return h.Sum(nil)
}

func validVerb(v string) bool { return v == VerbAcknowledge || v == VerbResolve }

// encode lays out: version byte, varint incident id, varint notification
// id, varint expiry in Unix seconds, then verb, user id and nonce each as
// uvarint length and bytes.
func encode(a Action) []byte {
	b := make([]byte, 0, 64+len(a.Verb)+len(a.UserID)+len(a.Nonce))
	b = append(b, payloadVersion)
	b = binary.AppendVarint(b, a.IncidentID)
	b = binary.AppendVarint(b, a.NotificationID)
	b = binary.AppendVarint(b, a.Expires.Unix())
	for _, s := range []string{a.Verb, a.UserID, a.Nonce} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decode(b []byte) (Action, error) {
	d := decoder{b: b}
	if v := d.byte(); v != payloadVersion {
		return Action{}, fmt.Errorf("payload version %d", v)
	}
	a := Action{
		IncidentID:     d.varint(),
		NotificationID: d.varint(),
	}
	a.Expires = time.Unix(d.varint(), 0).UTC()
	a.Verb = d.string()
	a.UserID = d.string()
	a.Nonce = d.string()
	if d.err != nil {
		return Action{}, d.err
	}
	if len(d.b) != 0 {
		return Action{}, fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if !validVerb(a.Verb) {
		return Action{}, fmt.Errorf("unknown verb %q", a.Verb)
	}
	return a, nil
}

// decoder reads the payload, remembering the first error so that the
// layout reads top to bottom.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("truncated or bad %s", what)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("version")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.fail("string")
		return ""
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return s
}
