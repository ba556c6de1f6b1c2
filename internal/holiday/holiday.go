// Package holiday answers whether a local date is a public holiday in a
// country or one of its regions, from the definitions of
// github.com/rickar/cal/v2.
//
// Codes are ISO 3166-1 alpha-2 country codes ("DE") or ISO 3166-2
// subdivision codes ("DE-BY", "AU-NSW", "CH-ZH") where the library has
// regional calendars; letter case is ignored.
//
// A holiday counts on the day it is observed: when a country moves a
// holiday that falls on a weekend to a weekday (US Independence Day 2026 is
// a Saturday and is observed on Friday 3 July), the weekday counts and the
// weekend day does not. Days the library marks as religious or "other"
// observances (Swedish Midsummer's Eve, Christmas Eve) are not public
// holidays and never count.
//
// Two national calendars are curated here because the library has none
// that fits: Australia's (the holidays every state observes) and
// Switzerland's (the library's list merges the cantons' holidays, so only
// those every canton observes are kept nationally; use "CH-ZH" and so on
// for a canton's full list).
package holiday

import (
	"sort"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/ua"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// calendars maps a code to its public holidays. It is built once at
// package initialisation and only read afterwards.
var calendars = publicOnly(map[string][]*cal.Holiday{
	"AR": ar.Holidays,
	"AT": at.Holidays,
	"AU": {
		au.NewYear, au.AustraliaDay, au.GoodFriday, au.EasterMonday,
		au.AnzacDay, au.ChristmasDay, au.BoxingDay, au.MourningDay2022,
	},
	"AU-ACT": au.HolidaysACT,
	"AU-NSW": au.HolidaysNSW,
	"AU-NT":  au.HolidaysNT,
	"AU-QLD": au.HolidaysQLD,
	"AU-SA":  au.HolidaysSA,
	"AU-TAS": au.HolidaysTAS,
	"AU-VIC": au.HolidaysVIC,
	"AU-WA":  au.HolidaysWA,
	"BE":     be.Holidays,
	"BG":     bg.Holidays,
	"BR":     br.Holidays,
	"CA":     ca.Holidays,
	"CH":     {ch.Neujahr, ch.Auffahrt, ch.Bundesfeiertag, ch.Weihnachtstag},
	"CH-AG":  ch.HolidaysAG,
	"CH-AI":  ch.HolidaysAI,
	"CH-AR":  ch.HolidaysAR,
	"CH-BE":  ch.HolidaysBE,
	"CH-BL":  ch.HolidaysBL,
	"CH-BS":  ch.HolidaysBS,
	"CH-FR":  ch.HolidaysFR,
	"CH-GE":  ch.HolidaysGE,
	"CH-GL":  ch.HolidaysGL,
	"CH-GR":  ch.HolidaysGR,
	"CH-JU":  ch.HolidaysJU,
	"CH-LU":  ch.HolidaysLU,
	"CH-NE":  ch.HolidaysNE,
	"CH-NW":  ch.HolidaysNW,
	"CH-OW":  ch.HolidaysOW,
	"CH-SG":  ch.HolidaysSG,
	"CH-SH":  ch.HolidaysSH,
	"CH-SO":  ch.HolidaysSO,
	"CH-SZ":  ch.HolidaysSZ,
	"CH-TG":  ch.HolidaysTG,
	"CH-TI":  ch.HolidaysTI,
	"CH-UR":  ch.HolidaysUR,
	"CH-VD":  ch.HolidaysVD,
	"CH-VS":  ch.HolidaysVS,
	"CH-ZG":  ch.HolidaysZG,
	"CH-ZH":  ch.HolidaysZH,
	"CZ":     cz.Holidays,
	"DE":     de.Holidays,
	"DE-BB":  de.HolidaysBB,
	"DE-BE":  de.HolidaysBE,
	"DE-BW":  de.HolidaysBW,
	"DE-BY":  de.HolidaysBY,
	"DE-HB":  de.HolidaysHB,
	"DE-HE":  de.HolidaysHE,
	"DE-HH":  de.HolidaysHH,
	"DE-MV":  de.HolidaysMV,
	"DE-NI":  de.HolidaysNI,
	"DE-NW":  de.HolidaysNW,
	"DE-RP":  de.HolidaysRP,
	"DE-SH":  de.HolidaysSH,
	"DE-SL":  de.HolidaysSL,
	"DE-SN":  de.HolidaysSN,
	"DE-ST":  de.HolidaysST,
	"DE-TH":  de.HolidaysTH,
	"DK":     dk.Holidays,
	"ES":     es.Holidays,
	"FR":     fr.Holidays,
	"GB":     gb.Holidays,
	"GR":     gr.Holidays,
	"HR":     hr.Holidays,
	"IE":     ie.Holidays,
	"IT":     it.Holidays,
	"JP":     jp.Holidays,
	"LT":     lt.Holidays,
	"LV":     lv.Holidays,
	"MW":     mw.Holidays,
	"NC":     nc.Holidays,
	"NL":     nl.Holidays,
	"NO":     no.Holidays,
	"NZ":     nz.Holidays,
	"PL":     pl.Holidays,
	"RO":     ro.Holidays,
	"RU":     ru.Holidays,
	"SE":     se.Holidays,
	"SI":     si.Holidays,
	"SK":     sk.Holidays,
	"UA":     ua.Holidays,
	"US":     us.Holidays,
	"ZA":     za.Holidays,
})

// publicOnly drops the observances that are not days off by law. The
// library leaves many real public holidays untyped (most of Ireland's, the
// Dutch King's Day), so only the explicitly non-public types are dropped.
func publicOnly(in map[string][]*cal.Holiday) map[string][]*cal.Holiday {
	out := make(map[string][]*cal.Holiday, len(in))
	for code, list := range in {
		kept := make([]*cal.Holiday, 0, len(list))
		for _, h := range list {
			if h.Type == cal.ObservanceReligious || h.Type == cal.ObservanceOther {
				continue
			}
			kept = append(kept, h)
		}
		out[code] = kept
	}
	return out
}

// maxCodeLen bounds the input; the longest real code is "AU-ACT".
const maxCodeLen = 8

func lookup(code string) ([]*cal.Holiday, bool) {
	if code == "" || len(code) > maxCodeLen {
		return nil, false
	}
	list, ok := calendars[strings.ToUpper(code)]
	return list, ok
}

// Supported reports whether code names a country ("DE") or region
// ("DE-BY") whose public holidays are known.
func Supported(code string) bool {
	_, ok := lookup(code)
	return ok
}

// Codes lists every supported code, sorted.
func Codes() []string {
	codes := make([]string, 0, len(calendars))
	for code := range calendars {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return codes
}

// IsHoliday reports whether date's calendar day (read in date's own
// location) is a public holiday in country, and its name. An unsupported
// country has no holidays.
func IsHoliday(country string, date time.Time) (name string, ok bool) {
	list, known := lookup(country)
	if !known {
		return "", false
	}
	year, month, day := date.Date()
	for _, h := range list {
		if observedOn(h, year, year, month, day) {
			return h.Name, true
		}
		// A substitute day can fall in the neighbouring year: New Year's
		// Day 2022, a Saturday, was observed on Friday 31 December 2021.
		// Substitutes lie days from their holiday, so only dates at the
		// turn of the year need the neighbours checked.
		if h.Observed == nil {
			continue
		}
		if (month == time.December && observedOn(h, year+1, year, month, day)) ||
			(month == time.January && observedOn(h, year-1, year, month, day)) {
			return h.Name, true
		}
	}
	return "", false
}

// observedOn reports whether h's observed date in holidayYear is the given
// day.
func observedOn(h *cal.Holiday, holidayYear, year int, month time.Month, day int) bool {
	_, observed := h.Calc(holidayYear)
	if observed.IsZero() {
		return false
	}
	y, m, d := observed.Date()
	return y == year && m == month && d == day
}
