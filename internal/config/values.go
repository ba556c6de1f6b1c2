package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const maxIDLen = 64

// checkID explains why s is not a valid id: lowercase letters, digits and
// '-', starting with a letter or digit, at most 64 characters.
func checkID(s string) error {
	ok := s != "" && len(s) <= maxIDLen && s[0] != '-'
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
	}
	if !ok {
		return fmt.Errorf("invalid id %s: use lowercase letters, digits and '-', starting with a letter or digit, at most %d characters", quote(s), maxIDLen)
	}
	return nil
}

// weekdays maps the configuration's day names to time.Weekday.
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func checkWeekday(s string) error {
	if _, ok := weekdays[s]; !ok {
		return fmt.Errorf("invalid weekday %s: use mon, tue, wed, thu, fri, sat or sun", quote(s))
	}
	return nil
}

// parseClock reads a local time of day "HH:MM" (00:00 to 23:59) as minutes
// after midnight.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !isDigits(s[:2]) || !isDigits(s[3:]) {
		return 0, fmt.Errorf("invalid time %s: use HH:MM, such as \"07:30\"", quote(s))
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("invalid time %s: use HH:MM from 00:00 to 23:59", quote(s))
	}
	return h*60 + m, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkE164 accepts an international phone number: '+', then up to 15
// digits, the first not 0.
func checkE164(s string) error {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' || !isDigits(s[1:]) {
		return fmt.Errorf("invalid phone number %s: use E.164, such as \"+4915100000001\"", quote(s))
	}
	return nil
}

// checkCountry accepts an ISO 3166-1 alpha-2 shape: two upper-case letters.
func checkCountry(s string) error {
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return fmt.Errorf("invalid country code %s: use two upper-case letters (ISO 3166-1 alpha-2), such as \"DE\"", quote(s))
	}
	return nil
}

// checkHTTPURL accepts an absolute http or https URL with a host.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("invalid URL %s: use an absolute http or https URL", quote(s))
	}
	return nil
}

// checkEmail accepts a bare address such as "alice@example.com".
func checkEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return fmt.Errorf("invalid email address %s", quote(s))
	}
	return nil
}

// checkEnvName accepts the name of an environment variable.
func checkEnvName(s string) error {
	ok := s != "" && len(s) <= 256 && !(s[0] >= '0' && s[0] <= '9')
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if !ok {
		return fmt.Errorf("invalid environment variable name %s: use letters, digits and '_', at most 256 characters", quote(s))
	}
	return nil
}

// checkNtfyTopic accepts what an ntfy server accepts as a topic name.
func checkNtfyTopic(s string) error {
	ok := s != "" && len(s) <= 64
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
	}
	if !ok {
		return fmt.Errorf("invalid ntfy topic %s: use letters, digits, '_' and '-', at most 64 characters", quote(s))
	}
	return nil
}

// checkIntegrationKey: a PagerDuty routing key is 32 letters and digits;
// other keys appear in URL paths, so they keep to URL-safe characters.
func checkIntegrationKey(typ, key string) error {
	if typ == "pagerduty" {
		ok := len(key) == 32
		for i := 0; ok && i < len(key); i++ {
			c := key[i]
			ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		}
		if !ok {
			return fmt.Errorf("invalid pagerduty key %s: use exactly 32 letters and digits", quote(key))
		}
		return nil
	}
	const maxKeyLen = 128
	ok := key != "" && len(key) <= maxKeyLen && key[0] != '.' && key[0] != '-'
	for i := 0; ok && i < len(key); i++ {
		c := key[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.'
	}
	if !ok {
		return fmt.Errorf("invalid integration key %s: use letters, digits, '-', '_' and '.', at most %d characters", quote(key), maxKeyLen)
	}
	return nil
}

// checkJSONPointer accepts an RFC 6901 JSON pointer: "" or "/a/b~1c".
func checkJSONPointer(s string) error {
	if s != "" && s[0] != '/' {
		return fmt.Errorf("invalid JSON pointer %s: it starts with '/', such as \"/labels/severity\"", quote(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '~' && (i+1 == len(s) || s[i+1] != '0' && s[i+1] != '1') {
			return fmt.Errorf("invalid JSON pointer %s: '~' must be followed by 0 or 1", quote(s))
		}
	}
	return nil
}

// Recurrence is a weekly freeze window, parsed from a freeze's "every", such
// as "fri 16:00-23:59" or "mon-thu,sat 22:00-06:00". From and To are minutes
// after local midnight; To before From wraps past midnight into the next day.
type Recurrence struct {
	Days     [7]bool // indexed by time.Weekday
	From, To int
}

// ParseRecurrence reads "DAYS HH:MM-HH:MM", where DAYS is a comma-separated
// list of day names (mon..sun) and ranges of them ("mon-fri"; "fri-mon" wraps
// over the weekend).
func ParseRecurrence(s string) (Recurrence, error) {
	var r Recurrence
	days, span, ok := strings.Cut(s, " ")
	if !ok || days == "" || span == "" {
		return r, fmt.Errorf("invalid recurrence %s: use DAYS HH:MM-HH:MM, such as \"fri 16:00-23:59\" or \"mon-fri 12:00-13:00\"", quote(s))
	}
	for _, item := range strings.Split(days, ",") {
		first, last, isRange := strings.Cut(item, "-")
		if !isRange {
			last = first
		}
		a, okA := weekdays[first]
		b, okB := weekdays[last]
		if !okA || !okB {
			return r, fmt.Errorf("invalid recurrence %s: %s is not a day or range of days (mon..sun)", quote(s), quote(item))
		}
		for d := a; ; d = (d + 1) % 7 {
			r.Days[d] = true
			if d == b {
				break
			}
		}
	}
	from, to, ok := strings.Cut(span, "-")
	if !ok {
		return r, fmt.Errorf("invalid recurrence %s: the times are HH:MM-HH:MM", quote(s))
	}
	var err error
	if r.From, err = parseClock(from); err != nil {
		return r, fmt.Errorf("invalid recurrence %s: %w", quote(s), err)
	}
	if r.To, err = parseClock(to); err != nil {
		return r, fmt.Errorf("invalid recurrence %s: %w", quote(s), err)
	}
	if r.From == r.To {
		return r, errors.New("invalid recurrence " + quote(s) + ": the window is empty (from equals to)")
	}
	return r, nil
}

// maxLabelLen bounds the free-text values of single sign-on: a client id,
// a provider's name, a group.
const maxLabelLen = 256

// checkLabel accepts a short single line of printable text.
func checkLabel(s string) error {
	ok := s != "" && len(s) <= maxLabelLen && utf8.ValidString(s) && strings.TrimSpace(s) == s
	for _, r := range s {
		ok = ok && unicode.IsPrint(r)
	}
	if !ok {
		return fmt.Errorf("invalid value %s: use one line of printable text, at most %d bytes, without leading or trailing spaces", quote(s), maxLabelLen)
	}
	return nil
}

// checkToken accepts an OAuth scope or a claim name: printable ASCII
// without spaces, quotes or backslashes (RFC 6749's scope-token), at most
// 128 characters.
func checkToken(what, s string) error {
	ok := s != "" && len(s) <= 128
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c > ' ' && c < 0x7f && c != '"' && c != '\\'
	}
	if !ok {
		return fmt.Errorf("invalid %s %s: use printable ASCII without spaces, quotes or backslashes, at most 128 characters", what, quote(s))
	}
	return nil
}

// checkIssuer accepts an OpenID provider's issuer: an absolute https URL
// without credentials, query or fragment, or an http one whose host is a
// loopback address (a provider on the same machine: a test's, or one
// behind a local proxy). Tokens and codes travel to it, so nothing else
// may be plain http.
func checkIssuer(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "" || hasSpaceOrControl(s):
		return fmt.Errorf("invalid issuer %s: use an absolute https URL", quote(s))
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Errorf("invalid issuer %s: an issuer has no credentials, query or fragment", quote(s))
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("invalid issuer %s: use https (plain http only for a loopback address such as 127.0.0.1)", quote(s))
	}
	return fmt.Errorf("invalid issuer %s: use an absolute https URL", quote(s))
}

// checkRedirectURL accepts where the provider sends people back: this
// server's /auth/oidc/callback (under a path prefix when a proxy mounts
// it there), https, or http on a loopback address.
func checkRedirectURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "" || hasSpaceOrControl(s) || u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("invalid redirect_url %s: use an absolute https URL", quote(s))
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return fmt.Errorf("invalid redirect_url %s: use https (plain http only for a loopback address such as 127.0.0.1)", quote(s))
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Errorf("invalid redirect_url %s: it has no credentials, query or fragment", quote(s))
	case !strings.HasSuffix(u.Path, "/auth/oidc/callback"):
		return fmt.Errorf("invalid redirect_url %s: the server answers the provider at /auth/oidc/callback", quote(s))
	}
	return nil
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hasSpaceOrControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}
