package importer

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxID is the longest id Vigil's configuration accepts.
const MaxID = 64

// letters that do not decompose into an ASCII letter and a mark.
var folded = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ø': "o", 'Ø': "o",
	'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l", 'þ': "th", 'Þ': "th", 'ð': "d", 'Ð': "d", 'ı': "i",
}

// Slug turns a name into an id as the configuration wants it: lowercase
// ASCII letters and digits, runs of anything else as one '-', no '-' at
// either end, at most MaxID characters ("Payments Primary" becomes
// "payments-primary", "Zürich On-Call" "zurich-on-call"). A name with
// no letter or digit gives "".
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(name) {
		var piece string
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			piece = string(unicode.ToLower(r))
		case unicode.Is(unicode.Mn, r):
			continue // accents left over from decomposition
		default:
			piece = folded[r]
		}
		if piece == "" {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(piece)
		if b.Len() > MaxID {
			break
		}
	}
	return trimID(b.String(), MaxID)
}

// trimID cuts an id to at most n characters, at a '-' where one is near
// the end, and never leaves a '-' at its end.
func trimID(id string, n int) string {
	if len(id) > n {
		id = id[:n]
		if i := strings.LastIndexByte(id, '-'); i >= n/2 {
			id = id[:i]
		}
	}
	return strings.TrimRight(id, "-")
}

// IDs hands out ids of one kind (users, schedules...), each unique.
type IDs struct {
	taken map[string]bool
}

// New returns Slug(name), or Slug(fallback) when the name has no letter or
// digit, or kind when neither has; an id already handed out gets "-2",
// "-3"... appended.
func (ids *IDs) New(name, fallback, kind string) string {
	if ids.taken == nil {
		ids.taken = map[string]bool{}
	}
	base := Slug(name)
	if base == "" {
		base = Slug(fallback)
	}
	if base == "" {
		base = kind
	}
	id := base
	for n := 2; ids.taken[id]; n++ {
		suffix := "-" + strconv.Itoa(n)
		id = trimID(base, MaxID-len(suffix)) + suffix
	}
	ids.taken[id] = true
	return id
}

// Taken reports whether id was handed out.
func (ids *IDs) Taken(id string) bool { return ids.taken[id] }
