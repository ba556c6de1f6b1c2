package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// The rules of browser sign-in that need no HTTP: the CSRF token bound to
// a session, who a single sign-on claim names, the id of a user created
// at their first sign-in, and the team memberships their groups map to.

// csrfLabel keeps the CSRF token apart from every other value derived
// from a token's secret (its stored hash is SHA-256 of the secret alone).
const csrfLabel = "vigil csrf token v1"

// CSRFToken is the token that a browser's state-changing requests
// authenticated by the session cookie carry in X-CSRF-Token: derived from
// the session's secret, so that it is bound to the session, the same on
// every replica, and says nothing about the secret. A page of another
// site can neither read it nor compute it.
func CSRFToken(secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// CheckCSRF reports whether got is the CSRF token of the session whose
// secret this is, in constant time.
func CheckCSRF(secret, got string) bool {
	want := CSRFToken(secret)
	return len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// ErrAmbiguousUser is a single sign-on claim whose value is the email
// address of more than one user.
var ErrAmbiguousUser = errors.New("the address is that of more than one user")

// UserByClaim finds the user a single sign-on claim names: the user with
// that id, else the one user with that email address (in any case).
// It returns "" when none has either.
func UserByClaim(users []catalog.User, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	found := ""
	for _, u := range users {
		if u.ID == value {
			return u.ID, nil
		}
		if u.Email != "" && strings.EqualFold(u.Email, value) {
			if found != "" {
				return "", fmt.Errorf("%q: %w", value, ErrAmbiguousUser)
			}
			found = u.ID
		}
	}
	return found, nil
}

// maxUserIDLen is the longest id a user may have (see config's ids).
const maxUserIDLen = 64

// NewUserID makes the id of a user created at their first sign-in from
// the claim that named them: an email address's local part, or the value,
// lowercased, with every run of other characters than letters and digits
// made one '-'. taken says whether an id is in use; the first free one of
// id, id-2, id-3… is answered.
func NewUserID(value string, taken func(string) bool) string {
	if at := strings.LastIndexByte(value, '@'); at > 0 {
		value = value[:at]
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(value) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	base := b.String()
	const room = 8 // for a suffix such as -9999999
	if len(base) > maxUserIDLen-room {
		base = strings.TrimRight(base[:maxUserIDLen-room], "-")
	}
	if base == "" {
		base = "user"
	}
	if !taken(base) {
		return base
	}
	for n := 2; ; n++ {
		if id := fmt.Sprintf("%s-%d", base, n); !taken(id) {
			return id
		}
	}
}

// TeamChanges says which teams a user signing in joins and leaves by
// their groups: mapping takes a group to a team; the user belongs to each
// mapped team one of their groups maps to, and to no other mapped team.
// Teams no group maps to are left as they are. Both lists are sorted.
func TeamChanges(teams []catalog.Team, user string, groups []string, mapping map[string]string) (join, leave []string) {
	wanted := map[string]bool{}
	for _, g := range groups {
		if team, ok := mapping[g]; ok {
			wanted[team] = true
		}
	}
	mapped := map[string]bool{}
	for _, team := range mapping {
		mapped[team] = true
	}
	for _, id := range slices.Sorted(maps.Keys(mapped)) {
		i := slices.IndexFunc(teams, func(t catalog.Team) bool { return t.ID == id })
		if i < 0 {
			continue
		}
		member := slices.Contains(teams[i].Members, user)
		switch {
		case wanted[id] && !member:
			join = append(join, id)
		case !wanted[id] && member:
			leave = append(leave, id)
		}
	}
	return join, leave
}

// EmailUnverified reports whether the claims say the email address is not
// verified: email_verified false, or "false" as some providers send it.
// Providers that say nothing leave it to be believed.
func EmailUnverified(claims map[string]any) bool {
	switch v := claims["email_verified"].(type) {
	case bool:
		return !v
	case string:
		return strings.EqualFold(v, "false")
	}
	return false
}

// ClaimString reads a claim that holds one string.
func ClaimString(claims map[string]any, name string) (string, bool) {
	s, ok := claims[name].(string)
	return s, ok && s != ""
}

// ClaimStrings reads a claim that lists strings (groups); a single string
// is a list of one, and whatever else the list holds is skipped.
func ClaimStrings(claims map[string]any, name string) []string {
	switch v := claims[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
