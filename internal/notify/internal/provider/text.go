package provider

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/notify"
)

// TestHeadline leads a test notification in every chat and push channel.
const TestHeadline = "Test notification from Vigil"

// Headline is the one line every channel leads with:
// "[SEV2] #12 checkout: Checkout latency high", or TestHeadline.
func Headline(m notify.Message) string {
	if m.Kind == notify.KindTest {
		return TestHeadline
	}
	return IncidentLine(m)
}

// IncidentLine is the headline of an incident message, whatever its kind.
func IncidentLine(m notify.Message) string {
	var b strings.Builder
	if s := OneLine(m.Severity); s != "" {
		b.WriteString("[" + s + "] ")
	}
	if m.IncidentID != 0 {
		fmt.Fprintf(&b, "#%d ", m.IncidentID)
	}
	if s := OneLine(m.Service); s != "" {
		b.WriteString(s + ": ")
	}
	title := OneLine(m.Title)
	if title == "" {
		title = "(no title)"
	}
	b.WriteString(title)
	return b.String()
}

// Facts returns the incident fields of m named (Status, Urgency,
// Service, Severity) that are set, in the order asked, each made one line:
// the rows of a message's fact list.
func Facts(m notify.Message, names ...string) [][2]string {
	var facts [][2]string
	for _, name := range names {
		var v string
		switch name {
		case "Status":
			v = m.Status
		case "Urgency":
			v = m.Urgency
		case "Service":
			v = m.Service
		case "Severity":
			v = m.Severity
		default:
			panic("provider.Facts: no field " + name)
		}
		if v != "" {
			facts = append(facts, [2]string{name, OneLine(v)})
		}
	}
	return facts
}

// CanAcknowledge and CanResolve say which action buttons a message shows.
// A notice of what others did offers none: it is for reading.
func CanAcknowledge(m notify.Message) bool {
	return m.IncidentID != 0 && m.Kind != notify.KindNotice && (m.Status == "" || alert.Status(m.Status) == alert.StatusTriggered)
}

func CanResolve(m notify.Message) bool {
	return m.IncidentID != 0 && m.Kind != notify.KindNotice && alert.Status(m.Status) != alert.StatusResolved
}

// OneLine makes s fit a header: valid UTF-8, no control characters (CR
// and LF above all), runs of white space as one space.
func OneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// OrDash is s, or "-" when s is blank.
func OrDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// Cut shortens s to at most n bytes on a rune boundary, ending with "…"
// when it had to cut.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	end := n - len(ellipsis)
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	if end < 0 {
		end = 0
	}
	return s[:end] + ellipsis
}

// CutRunes shortens s to at most n runes, the last one "…" when it had to
// cut.
func CutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Truncate keeps the first n bytes of s, for quoting hostile input in an
// error.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// IncidentNumber reads "12" or "#12": a positive number of at most 15
// digits.
func IncidentNumber(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "#")
	if digits == "" || len(digits) > 15 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	return id, err == nil && id > 0
}

// Secret reads a secret from the environment variable the configuration
// names; no name is no secret.
func Secret(getenv func(string) string, name string) string {
	if name == "" {
		return ""
	}
	return getenv(name)
}

// HeaderSafe drops control characters, so that a value cannot start a new
// header line.
func HeaderSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// Printable turns a response body snippet into one line for an error.
func Printable(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, string(b))
	return strings.TrimSpace(s)
}
