package holiday

import (
	"strings"
	"testing"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/ch"
)

func date(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestIsHoliday(t *testing.T) {
	tests := []struct {
		code, date string
		want       string // "" means not a holiday
	}{
		{"DE", "2026-10-03", "Tag der Deutschen Einheit"},
		{"DE", "2026-10-02", ""},
		{"de", "2026-10-03", "Tag der Deutschen Einheit"},
		{"DE", "2026-04-03", "Karfreitag"}, // Easter 2026 is 5 April
		{"DE", "2026-04-06", "Ostermontag"},
		{"DE", "2026-01-06", ""},
		{"DE-BY", "2026-01-06", "Heilige Drei Könige"},
		{"DE-BY", "2026-06-04", "Fronleichnam"},
		{"DE-BE", "2026-06-04", ""},
		{"DE-BE", "2026-03-08", "Frauentag"},
		{"de-by", "2026-10-03", "Tag der Deutschen Einheit"},
		// 4 July 2026 is a Saturday: the Friday before is the day off.
		{"US", "2026-07-03", "Independence Day"},
		{"US", "2026-07-04", ""},
		{"US", "2026-11-26", "Thanksgiving Day"},
		// 1 January 2022 was a Saturday, observed on the last day of 2021.
		{"US", "2021-12-31", "New Year's Day"},
		{"US", "2022-01-01", ""},
		{"AU", "2026-01-26", "Australia Day"},
		{"AU", "2026-04-25", "ANZAC Day"},
		{"AU", "2026-10-05", ""},
		{"AU-NSW", "2026-10-05", "Labour Day"},
		{"AU-VIC", "2026-11-03", "Melbourne Cup"},
		{"AU-NSW", "2026-11-03", ""},
		// Christmas 2027 is a Saturday and Boxing Day a Sunday.
		{"AU", "2027-12-27", "Christmas Day"},
		{"AU", "2027-12-28", "Boxing Day"},
		{"GB", "2026-08-31", "Summer Bank Holiday"},
		{"GB", "2026-12-28", "Boxing Day"},
		{"GB", "2026-12-26", ""},
		{"FR", "2026-07-14", "Fête Nationale"},
		{"NL", "2026-04-27", "Koningsdag"},
		{"AT", "2026-10-26", "Nationalfeiertag"},
		{"CH", "2026-08-01", "Bundesfeiertag"},
		{"CH", "2026-06-04", ""},
		{"CH-LU", "2026-06-04", "Fronleichnam"},
		{"CA", "2026-07-01", "Canada Day"},
		{"IE", "2026-03-17", "Saint Patrick's Day"},
		{"IE", "2026-02-02", "Saint Brigid’s Day"},
		{"IT", "2026-04-25", "Festa della Liberazione"},
		{"ES", "2026-10-12", "Fiesta Nacional de España"},
		{"SE", "2026-06-20", "Midsommardagen"},
		{"SE", "2026-06-19", ""}, // Midsummer's Eve is customary, not public
		{"SE", "2026-12-24", ""},
		{"NO", "2026-05-17", "Grunnlovsdag"},
		{"DK", "2026-06-05", "Grundlovsdag"},
		{"BE", "2026-07-21", "Nationale Feestdag"},
		{"PL", "2026-11-11", "Narodowe Święto Niepodległości"},
		{"NZ", "2026-02-06", "Waitangi Day"},
		{"JP", "2026-01-12", "Coming of Age Day"},
		{"XX", "2026-12-25", ""},
		{"", "2026-12-25", ""},
		{"DE-XX", "2026-10-03", ""},
	}
	for _, tt := range tests {
		t.Run(tt.code+" "+tt.date, func(t *testing.T) {
			name, ok := IsHoliday(tt.code, date(t, tt.date))
			if ok != (tt.want != "") || name != tt.want {
				t.Errorf("IsHoliday(%q, %s) = %q, %v; want %q", tt.code, tt.date, name, ok, tt.want)
			}
		})
	}
}

// The calendar day is read in the value's own location: 3 October 00:30 in
// Berlin is still 2 October in UTC.
func TestIsHolidayReadsTheDateInItsLocation(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	local := time.Date(2026, 10, 3, 0, 30, 0, 0, berlin)
	if _, ok := IsHoliday("DE", local); !ok {
		t.Errorf("3 October 00:30 Berlin time is not a holiday")
	}
	if _, ok := IsHoliday("DE", local.UTC()); ok {
		t.Errorf("2 October 22:30 UTC is a holiday")
	}
}

func TestSupported(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"DE", true}, {"US", true}, {"GB", true}, {"AU", true}, {"FR", true},
		{"NL", true}, {"AT", true}, {"CH", true}, {"CA", true}, {"IE", true},
		{"IT", true}, {"ES", true}, {"SE", true}, {"NO", true}, {"DK", true},
		{"BE", true}, {"PL", true}, {"NZ", true}, {"JP", true},
		{"DE-BY", true}, {"AU-NSW", true}, {"CH-ZH", true}, {"au-act", true},
		{"FI", false}, // not in the library
		{"UK", false}, // the ISO code is GB
		{"", false}, {"D", false}, {"DE-", false}, {"DE-BYX", false},
		{"DE BY", false}, {"-DE", false}, {"ÄÖ", false},
		{strings.Repeat("D", 10000), false},
	}
	for _, tt := range tests {
		if got := Supported(tt.code); got != tt.want {
			t.Errorf("Supported(%.20q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func TestCodesAreSortedAndSupported(t *testing.T) {
	codes := Codes()
	if len(codes) < 60 {
		t.Fatalf("only %d codes", len(codes))
	}
	for i, c := range codes {
		if !Supported(c) {
			t.Errorf("Codes() lists %q but Supported says no", c)
		}
		if i > 0 && codes[i-1] >= c {
			t.Errorf("Codes() not sorted at %q, %q", codes[i-1], c)
		}
	}
}

// The curated national calendars must hold only holidays every region
// observes, or a team would skip a day its own region works.
func TestCuratedNationalCalendarsAreInEveryRegion(t *testing.T) {
	regions := map[string][][]*cal.Holiday{
		"AU": {au.HolidaysACT, au.HolidaysNSW, au.HolidaysNT, au.HolidaysQLD, au.HolidaysSA, au.HolidaysTAS, au.HolidaysVIC, au.HolidaysWA},
		"CH": {ch.HolidaysAG, ch.HolidaysAI, ch.HolidaysAR, ch.HolidaysBE, ch.HolidaysBL, ch.HolidaysBS, ch.HolidaysFR, ch.HolidaysGE, ch.HolidaysGL, ch.HolidaysGR, ch.HolidaysJU, ch.HolidaysLU, ch.HolidaysNE, ch.HolidaysNW, ch.HolidaysOW, ch.HolidaysSG, ch.HolidaysSH, ch.HolidaysSO, ch.HolidaysSZ, ch.HolidaysTG, ch.HolidaysTI, ch.HolidaysUR, ch.HolidaysVD, ch.HolidaysVS, ch.HolidaysZG, ch.HolidaysZH},
	}
	for country, lists := range regions {
		for year := 2020; year <= 2030; year++ {
			for _, h := range calendars[country] {
				act, _ := h.Calc(year)
				if act.IsZero() {
					continue
				}
				for i, list := range lists {
					if !hasActualDate(list, year, act) {
						t.Errorf("%s %d: %s (%s) missing in region list %d", country, year, h.Name, act.Format("2006-01-02"), i)
					}
				}
			}
		}
	}
}

func hasActualDate(list []*cal.Holiday, year int, want time.Time) bool {
	for _, h := range list {
		act, _ := h.Calc(year)
		if !act.IsZero() && act.Year() == want.Year() && act.YearDay() == want.YearDay() {
			return true
		}
	}
	return false
}

func TestEveryCalendarHasHolidays(t *testing.T) {
	for _, code := range Codes() {
		n := 0
		for d := date(t, "2026-01-01"); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
			if _, ok := IsHoliday(code, d); ok {
				n++
			}
		}
		if n < 4 || n > 30 {
			t.Errorf("%s has %d holidays in 2026", code, n)
		}
	}
}

func FuzzIsHoliday(f *testing.F) {
	f.Add("DE", int64(1790985600))
	f.Add("de-by", int64(0))
	f.Add("AU-NSW", int64(-62135596800))
	f.Add("\xff\xfe", int64(253402300799))
	f.Fuzz(func(t *testing.T, code string, unix int64) {
		d := time.Unix(unix, 0).UTC()
		name, ok := IsHoliday(code, d)
		if ok && !Supported(code) {
			t.Fatalf("holiday %q for unsupported %q", name, code)
		}
		if ok != (name != "") {
			t.Fatalf("IsHoliday(%q, %v) = %q, %v", code, d, name, ok)
		}
	})
}

func BenchmarkIsHoliday(b *testing.B) {
	d := time.Date(2026, 8, 17, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		IsHoliday("DE-BY", d)
	}
}
