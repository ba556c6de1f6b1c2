package config

import (
	"strings"
	"testing"
	"time"
)

// checkTable runs a checker over inputs that must pass and inputs that must not.
func checkTable(t *testing.T, name string, check func(string) error, good, bad []string) {
	t.Helper()
	for _, s := range good {
		if err := check(s); err != nil {
			t.Errorf("%s(%.40q) = %v, want no error", name, s, err)
		}
	}
	for _, s := range bad {
		if err := check(s); err == nil {
			t.Errorf("%s(%.40q) = nil, want an error", name, s)
		}
	}
}

var hostileStrings = []string{
	"", " ", "\x00", "\n", "\xff\xfe", strings.Repeat("a", 100000), "💥", "a\x00b",
}

func TestCheckID(t *testing.T) {
	checkTable(t, "checkID", checkID,
		[]string{"a", "0", "payments-api", "a-", "9lives", strings.Repeat("x", 64)},
		append([]string{"A", "-a", "a_b", "a.b", "a b", "ä", strings.Repeat("x", 65)}, hostileStrings...))
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"00:00", 0},
		{"07:30", 450},
		{"23:59", 1439},
		{"12:05", 725},
	}
	for _, tt := range tests {
		if got, err := parseClock(tt.in); err != nil || got != tt.want {
			t.Errorf("parseClock(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, s := range append([]string{"24:00", "23:60", "7:30", "07:3", "07-30", "0730", "07:30:00", "+7:30", "-1:00", "１２:００", "ab:cd"}, hostileStrings...) {
		if _, err := parseClock(s); err == nil {
			t.Errorf("parseClock(%q): no error", s)
		}
	}
}

func TestCheckWeekday(t *testing.T) {
	checkTable(t, "checkWeekday", checkWeekday,
		[]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"},
		append([]string{"Mon", "monday", "mo", "1"}, hostileStrings...))
}

func TestCheckE164(t *testing.T) {
	checkTable(t, "checkE164", checkE164,
		[]string{"+4915100000001", "+15550000000", "+12", "+123456789012345"},
		append([]string{"4915100000001", "+0491510", "+1", "+1234567890123456", "+49 151 000", "+49-151", "++49"}, hostileStrings...))
}

func TestCheckCountry(t *testing.T) {
	checkTable(t, "checkCountry", checkCountry,
		[]string{"DE", "US", "AU"},
		append([]string{"de", "D", "DEU", "D1", "Dé"}, hostileStrings...))
}

func TestCheckHTTPURL(t *testing.T) {
	checkTable(t, "checkHTTPURL", checkHTTPURL,
		[]string{"http://127.0.0.1:9000/alice", "https://hooks.example.com/x?a=b", "http://[::1]:80/"},
		append([]string{"ftp://x", "http://", "//example.com", "example.com", "http:x", "https://exa mple.com", "javascript:alert(1)"}, hostileStrings...))
}

func TestCheckEmail(t *testing.T) {
	checkTable(t, "checkEmail", checkEmail,
		[]string{"alice@example.com", "a.b+c@sub.example.org"},
		append([]string{"alice", "Alice <alice@example.com>", "alice@", "@example.com", "a@b@c", " alice@example.com"}, hostileStrings...))
}

func TestCheckEnvName(t *testing.T) {
	checkTable(t, "checkEnvName", checkEnvName,
		[]string{"VIGIL_SMTP_PASSWORD", "_X", "a1"},
		append([]string{"1X", "MY-SECRET", "A B", "$HOME"}, hostileStrings...))
}

func TestCheckNtfyTopic(t *testing.T) {
	checkTable(t, "checkNtfyTopic", checkNtfyTopic,
		[]string{"dana-pages", "A_b-9", strings.Repeat("t", 64)},
		append([]string{"pages/all", "a b", strings.Repeat("t", 65)}, hostileStrings...))
}

func TestCheckIntegrationKey(t *testing.T) {
	tests := []struct {
		typ, key string
		ok       bool
	}{
		{"pagerduty", "a1b2c3d4e5f60718293a4b5c6d7e8f90", true},
		{"pagerduty", "A1B2C3D4E5F60718293A4B5C6D7E8F90", true},
		{"pagerduty", "a1b2c3d4e5f60718293a4b5c6d7e8f9", false},   // 31
		{"pagerduty", "a1b2c3d4e5f60718293a4b5c6d7e8f900", false}, // 33
		{"pagerduty", "a1b2c3d4e5f60718293a4b5c6d7e8f9_", false},
		{"pagerduty", "am-payments", false},
		{"alertmanager", "am-payments", true},
		{"generic", "gen.v2_x-1", true},
		{"heartbeat", "hb/../../admin", false},
		{"grafana", "-flag", false},
		{"grafana", ".hidden", false},
		{"grafana", "a%2F", false},
		{"grafana", strings.Repeat("k", 128), true},
		{"grafana", strings.Repeat("k", 129), false},
		{"grafana", "", false},
		{"pagerduty", "", false},
	}
	for _, tt := range tests {
		if err := checkIntegrationKey(tt.typ, tt.key); (err == nil) != tt.ok {
			t.Errorf("checkIntegrationKey(%q, %q) = %v, want ok=%v", tt.typ, tt.key, err, tt.ok)
		}
	}
}

func TestCheckJSONPointer(t *testing.T) {
	checkTable(t, "checkJSONPointer", checkJSONPointer,
		[]string{"", "/", "/labels/severity", "/a~0b/c~1d", "/alerts/0/summary"},
		[]string{"labels", "/a~", "/a~2", "#/a", " /a"})
}

func TestCheckRotation(t *testing.T) {
	checkTable(t, "checkRotation", checkRotation,
		[]string{"12h", "1d", "1w", "36h", "2w"},
		append([]string{"0d", "0h", "90m", "1d12h", "1.5d", "d", "1", "-1d", "1y", "1D", "1dx"}, hostileStrings...))
}

func TestParseRecurrence(t *testing.T) {
	const (
		sun = time.Sunday
		mon = time.Monday
		fri = time.Friday
		sat = time.Saturday
	)
	days := func(ds ...time.Weekday) (out [7]bool) {
		for _, d := range ds {
			out[d] = true
		}
		return out
	}
	tests := []struct {
		in   string
		want Recurrence
	}{
		{"fri 16:00-23:59", Recurrence{Days: days(fri), From: 960, To: 1439}},
		{"mon-fri 12:00-13:00", Recurrence{Days: days(mon, time.Tuesday, time.Wednesday, time.Thursday, fri), From: 720, To: 780}},
		{"fri-mon 22:00-06:00", Recurrence{Days: days(fri, sat, sun, mon), From: 1320, To: 360}},
		{"sat,sun 00:00-23:59", Recurrence{Days: days(sat, sun), From: 0, To: 1439}},
		{"mon,mon 08:00-09:00", Recurrence{Days: days(mon), From: 480, To: 540}},
		{"sun-sun 08:00-09:00", Recurrence{Days: days(sun), From: 480, To: 540}},
	}
	for _, tt := range tests {
		got, err := ParseRecurrence(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRecurrence(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"fri", "16:00-23:59", "fri 16:00", "fri 16:00-", "fri -23:59", "friday 16:00-23:59", "Fri 16:00-23:59",
		"fri  16:00-23:59", "fri 16:00 - 23:59", "fri,16:00-23:59", "fri, 16:00-23:59", ",fri 16:00-23:59",
		"fri- 16:00-23:59", "mon-tue-wed 10:00-11:00", "fri 24:00-23:59", "fri 10:00-10:00",
		"fri 16:00-23:59 extra", strings.Repeat("mon,", 100000) + "mon 10:00-11:00x",
	}
	for _, s := range append(bad, hostileStrings...) {
		if got, err := ParseRecurrence(s); err == nil {
			t.Errorf("ParseRecurrence(%.40q) = %+v, want an error", s, got)
		}
	}
}

func FuzzParseRecurrence(f *testing.F) {
	for _, s := range []string{"fri 16:00-23:59", "mon-fri 12:00-13:00", "fri-mon 22:00-06:00", "sat,sun 00:00-23:59", "", "fri", "x y-z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecurrence(s)
		if err != nil {
			return
		}
		// What parses is well-formed: some day, two distinct valid times.
		if r.Days == [7]bool{} || r.From == r.To || r.From < 0 || r.From >= 24*60 || r.To < 0 || r.To >= 24*60 {
			t.Errorf("ParseRecurrence(%q) = %+v, which is not a valid window", s, r)
		}
	})
}
