package schedule

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"
)

const icalTimeFormat = "20060102T150405Z"

// ICal renders shifts as an iCalendar (RFC 5545) feed: one VEVENT per
// shift, titled "On call: <user's name> (<schedule name>)", times in UTC.
// userName maps a user id to a display name (nil, or an empty result,
// shows the id); now is the DTSTAMP.
//
// An event's UID derives from the schedule name, user and shift times, so
// the same shift keeps its UID across refreshes. Shifts come clipped to
// the requested range, so a feed keeps UIDs stable by asking for ranges
// that start on a fixed boundary (such as midnight) rather than at "now".
func ICal(name string, shifts []Shift, userName func(string) string, now time.Time) []byte {
	return ICalFeed(name, []NamedShifts{{Name: name, Shifts: shifts}}, userName, now)
}

// NamedShifts are one schedule's shifts, under the schedule's display name.
type NamedShifts struct {
	Name   string
	Shifts []Shift
}

// ICalFeed renders the shifts of several schedules as one feed called
// calendar, such as one person's shifts across every schedule. Each event
// is titled and identified as ICal would for its own schedule, so a shift
// keeps its UID between a schedule's feed and a person's.
func ICalFeed(calendar string, schedules []NamedShifts, userName func(string) string, now time.Time) []byte {
	var b bytes.Buffer
	line := func(prop, value string) { writeFolded(&b, prop+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Vigil//On-call schedule//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", escapeText(calendar))
	stamp := now.UTC().Format(icalTimeFormat)
	for _, ns := range schedules {
		name := ns.Name
		for _, s := range ns.Shifts {
			display := s.User
			if userName != nil {
				if n := userName(s.User); n != "" {
					display = n
				}
			}
			line("BEGIN", "VEVENT")
			line("UID", shiftUID(name, s))
			line("DTSTAMP", stamp)
			line("DTSTART", s.Start.UTC().Format(icalTimeFormat))
			line("DTEND", s.End.UTC().Format(icalTimeFormat))
			line("SUMMARY", escapeText("On call: "+display+" ("+name+")"))
			if s.Layer != "" {
				line("DESCRIPTION", escapeText("Layer: "+s.Layer))
			}
			// Being on call does not make anyone busy for meetings.
			line("TRANSP", "TRANSPARENT")
			line("END", "VEVENT")
		}
	}
	line("END", "VCALENDAR")
	return b.Bytes()
}

func shiftUID(name string, s Shift) string {
	h := sha256.New()
	for _, part := range []string{name, s.User, s.Start.UTC().Format(time.RFC3339Nano), s.End.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16]) + "@vigil"
}

var textEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

// escapeText escapes a TEXT value (RFC 5545 section 3.3.11). Control
// characters other than tab cannot appear in a content line and are
// dropped; invalid UTF-8 is replaced.
func escapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = textEscaper.Replace(s)
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// writeFolded writes a content line, folded so that no line exceeds 75
// octets without counting the CRLF (RFC 5545 section 3.1), never inside a
// UTF-8 sequence.
func writeFolded(b *bytes.Buffer, s string) {
	const limit = 75
	room := limit
	for len(s) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		room = limit - 1 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
