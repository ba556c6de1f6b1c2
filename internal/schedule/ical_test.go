package schedule

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
)

// checkLines asserts the RFC 5545 line rules: CRLF endings only, no line
// over 75 octets, no line split inside a UTF-8 sequence.
func checkLines(t *testing.T, out []byte) {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Errorf("output does not end with CRLF")
	}
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\r\n")), []byte("\r\n"))
	for i, l := range lines {
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(l), l)
		}
		if bytes.ContainsAny(l, "\r\n") {
			t.Errorf("line %d holds a bare CR or LF: %q", i, l)
		}
		if !utf8.Valid(l) {
			t.Errorf("line %d is not valid UTF-8 on its own: %q", i, l)
		}
	}
}

func TestICal(t *testing.T) {
	names := map[string]string{
		"alice": "Alice Martin",
		"bob":   "Bob; \"the builder\", O'Neil\\ops\nsecond line",
		"zoe":   strings.Repeat("Zoë Ångström-Łukasiewicz ", 6),
	}
	shifts := []Shift{
		{User: "alice", Start: ts(t, "2026-02-02T09:00:00+01:00"), End: ts(t, "2026-02-09T09:00:00+01:00"), Layer: "weekly"},
		{User: "bob", Start: ts(t, "2026-02-09T09:00:00+01:00"), End: ts(t, "2026-02-10T00:00:00+01:00"), Layer: "weekly"},
		{User: "zoe", Start: ts(t, "2026-02-10T00:00:00+01:00"), End: ts(t, "2026-02-11T00:00:00+01:00"), Layer: "override"},
		{User: "nobody-named", Start: ts(t, "2026-02-11T00:00:00+01:00"), End: ts(t, "2026-02-12T00:00:00+01:00"), Layer: "weekly"},
	}
	now := ts(t, "2026-02-01T12:34:56+01:00")
	const schedName = "Payments, primary"
	out := ICal(schedName, shifts, func(u string) string { return names[u] }, now)
	checkLines(t, out)
	if !bytes.HasPrefix(out, []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")) {
		t.Errorf("unexpected start: %q", out[:40])
	}
	if again := ICal(schedName, shifts, func(u string) string { return names[u] }, now); !bytes.Equal(out, again) {
		t.Errorf("output is not deterministic")
	}

	cal, err := ics.ParseCalendar(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, out)
	}
	events := cal.Events()
	if len(events) != len(shifts) {
		t.Fatalf("%d events, want %d", len(events), len(shifts))
	}
	wantSummaries := []string{
		"On call: Alice Martin (Payments, primary)",
		"On call: Bob; \"the builder\", O'Neil\\ops\nsecond line (Payments, primary)",
		"On call: " + strings.Repeat("Zoë Ångström-Łukasiewicz ", 6) + " (Payments, primary)",
		"On call: nobody-named (Payments, primary)",
	}
	uids := map[string]bool{}
	for i, ev := range events {
		if got := ev.GetProperty(ics.ComponentPropertySummary).Value; got != wantSummaries[i] {
			t.Errorf("event %d summary %q, want %q", i, got, wantSummaries[i])
		}
		start, err := ev.GetStartAt()
		if err != nil || !start.Equal(shifts[i].Start) {
			t.Errorf("event %d start %v (%v), want %v", i, start, err, shifts[i].Start)
		}
		end, err := ev.GetEndAt()
		if err != nil || !end.Equal(shifts[i].End) {
			t.Errorf("event %d end %v (%v), want %v", i, end, err, shifts[i].End)
		}
		stamp, err := ev.GetDtStampTime()
		if err != nil || !stamp.Equal(now) {
			t.Errorf("event %d stamp %v (%v), want %v", i, stamp, err, now)
		}
		uid := ev.Id()
		if uid == "" || uids[uid] {
			t.Errorf("event %d UID %q is empty or repeated", i, uid)
		}
		uids[uid] = true
	}
	if !bytes.Contains(out, []byte("DTSTART:20260202T080000Z\r\n")) || !bytes.Contains(out, []byte("DTEND:20260209T080000Z\r\n")) {
		t.Errorf("times are not written in UTC:\n%s", out)
	}
	if !bytes.Contains(out, []byte(`SUMMARY:On call: Alice Martin (Payments\, primary)`)) {
		t.Errorf("summary is not escaped as expected:\n%s", out)
	}
}

// A UID depends on the shift, not on when the feed is rendered or what
// else is in it.
func TestICalUIDsAreStable(t *testing.T) {
	a := Shift{User: "alice", Start: ts(t, "2026-02-02T09:00:00+01:00"), End: ts(t, "2026-02-09T09:00:00+01:00")}
	b := Shift{User: "bob", Start: ts(t, "2026-02-09T09:00:00+01:00"), End: ts(t, "2026-02-16T09:00:00+01:00")}
	uidOf := func(out []byte, user string) string {
		cal, err := ics.ParseCalendar(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range cal.Events() {
			if strings.Contains(ev.GetProperty(ics.ComponentPropertySummary).Value, user) {
				return ev.Id()
			}
		}
		t.Fatalf("no event for %s", user)
		return ""
	}
	first := ICal("s", []Shift{a, b}, nil, ts(t, "2026-02-01T00:00:00Z"))
	later := ICal("s", []Shift{b}, nil, ts(t, "2026-02-05T00:00:00Z"))
	if uidOf(first, "bob") != uidOf(later, "bob") {
		t.Errorf("bob's UID changed between renderings")
	}
	moved := b
	moved.End = moved.End.Add(time.Hour)
	if uidOf(first, "bob") == uidOf(ICal("s", []Shift{moved}, nil, ts(t, "2026-02-05T00:00:00Z")), "bob") {
		t.Errorf("a different shift has the same UID")
	}
	if uidOf(first, "bob") == uidOf(ICal("other", []Shift{b}, nil, ts(t, "2026-02-05T00:00:00Z")), "bob") {
		t.Errorf("the same shift in another schedule has the same UID")
	}
}

func TestICalEmpty(t *testing.T) {
	out := ICal("", nil, nil, time.Time{})
	checkLines(t, out)
	cal, err := ics.ParseCalendar(bytes.NewReader(out))
	if err != nil || len(cal.Events()) != 0 {
		t.Errorf("empty feed: %v, %d events", err, len(cal.Events()))
	}
}

func TestEscapeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a,b;c\\d", `a\,b\;c\\d`},
		{"one\ntwo\r\nthree\rfour", `one\ntwo\nthree\nfour`},
		{"bell\x07 nul\x00 del\x7f tab\t", "bell nul del tab\t"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{`colon: "quoted"`, `colon: "quoted"`},
	}
	for _, tt := range tests {
		if got := escapeText(tt.in); got != tt.want {
			t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriteFolded(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"short", "SUMMARY:x", "SUMMARY:x\r\n"},
		{"exactly 75", strings.Repeat("a", 75), strings.Repeat("a", 75) + "\r\n"},
		{"76", strings.Repeat("a", 76), strings.Repeat("a", 75) + "\r\n a\r\n"},
		{"three lines", strings.Repeat("b", 75+74+3), strings.Repeat("b", 75) + "\r\n " + strings.Repeat("b", 74) + "\r\n bbb\r\n"},
		// "é" is two octets: the 75th octet would split it, so the first
		// line stops at 74.
		{"no split rune", strings.Repeat("a", 74) + "é", strings.Repeat("a", 74) + "\r\n é\r\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		writeFolded(&b, tt.in)
		if b.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, b.String(), tt.want)
		}
	}
}

func FuzzICal(f *testing.F) {
	f.Add("payments", "alice", "Alice Martin")
	f.Add("a,b;c", "bob", "Bob\n\\;,")
	f.Add(strings.Repeat("é", 100), "u", strings.Repeat("日本", 80))
	f.Add("\xff\xfe", "\x00", "\r\r\n")
	f.Fuzz(func(t *testing.T, name, user, display string) {
		if len(name)+len(display) > 1<<14 {
			return
		}
		s := Shift{User: user, Start: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC), Layer: "l"}
		out := ICal(name, []Shift{s}, func(string) string { return display }, s.Start)
		checkLines(t, out)
		cal, err := ics.ParseCalendar(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("parse: %v\n%q", err, out)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("%d events", len(events))
		}
		shown := display
		if shown == "" {
			shown = user
		}
		want := unescapeForTest(escapeText("On call: " + shown + " (" + name + ")"))
		if got := events[0].GetProperty(ics.ComponentPropertySummary).Value; got != want {
			t.Fatalf("summary %q, want %q", got, want)
		}
	})
}

// unescapeForTest reverses escapeText's escapes (RFC 5545 TEXT).
func unescapeForTest(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\;`, ";", `\,`, ",").Replace(s)
}
