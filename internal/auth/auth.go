// Package auth decides who is asking and what they may do. API tokens are
// random secrets; only their SHA-256 hash is kept, so a leaked database does
// not leak usable tokens.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// Roles a token can carry.
const (
	// RoleAdmin configures everything and acts everywhere.
	RoleAdmin = "admin"
	// RoleUser acts as a configured user: reads everything, acts on what
	// the user's teams own or cover.
	RoleUser = "user"
	// RoleViewer only reads.
	RoleViewer = "viewer"
)

// tokenPrefix makes Vigil tokens recognisable to secret scanners.
const tokenPrefix = "vgl_"

// Principal is the authenticated caller of a request.
type Principal struct {
	TokenID string
	UserID  string // empty for tokens not bound to a user
	Role    string
}

// Actor names the principal in audit entries and timelines.
func (p Principal) Actor() string {
	if p.UserID != "" {
		return "user:" + p.UserID
	}
	return "token:" + p.TokenID
}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return r == RoleAdmin || r == RoleUser || r == RoleViewer }

// NewToken returns a fresh random token and its hash.
func NewToken() (secret string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	secret = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Hash(secret), nil
}

// Hash returns the stored form of a token. Lookups compare hashes, so the
// timing of a failed lookup says nothing about the secret.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ErrNoToken is returned when a request carries no bearer token.
var ErrNoToken = errors.New("missing bearer token")

// BearerToken extracts the token from an Authorization header value.
func BearerToken(header string) (string, error) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", ErrNoToken
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > 512 {
		return "", ErrNoToken
	}
	return tok, nil
}

// CanRead reports whether p may read configuration and incidents.
func CanRead(p Principal) bool { return ValidRole(p.Role) }

// CanConfigure reports whether p may change configuration and tokens.
func CanConfigure(p Principal) bool { return p.Role == RoleAdmin }
