package config

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"time"
)

// zones.txt lists the names of the IANA time zone database that Go knows,
// one a line, sorted: those of time/tzdata, which this package embeds.
// TestZoneList keeps it equal to the Go toolchain's list.
//
//go:embed zones.txt
var zoneFile string

// zoneNames are the names of zones.txt, in order, with their lower-case
// forms for comparing.
var zoneNames = sync.OnceValues(func() (names, lower []string) {
	names = strings.Fields(zoneFile)
	lower = make([]string, len(names))
	for i, n := range names {
		lower[i] = strings.ToLower(n)
	}
	return names, lower
})

// zoneAbbreviations maps abbreviations people write for a zone, which are
// not zone names themselves, to the zone they most often mean. Ambiguous
// ones (IST, CST) are left out.
var zoneAbbreviations = map[string]string{
	"pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
	"mdt": "America/Denver", "cdt": "America/Chicago", "edt": "America/New_York",
	"bst": "Europe/London", "cest": "CET", "eest": "EET",
	"aest": "Australia/Sydney", "aedt": "Australia/Sydney", "jst": "Asia/Tokyo",
}

// CheckTimeZone returns nil for a name that time.LoadLocation accepts, other
// than "Local" (which would mean whatever zone the server runs in), and
// otherwise an error that suggests the closest real zone name.
func CheckTimeZone(name string) error { return newSuggester().timeZone(name) }

func (s *suggester) timeZone(name string) error {
	if name != "" && name != "Local" {
		if _, err := time.LoadLocation(name); err == nil {
			return nil
		}
	}
	if best := s.closestZone(name); best != "" {
		return fmt.Errorf("invalid time zone %s (did you mean %q?)", quote(name), best)
	}
	return fmt.Errorf("invalid time zone %s: use a name of the IANA time zone database, Area/City such as \"America/Sao_Paulo\", or UTC", quote(name))
}

// closestZone finds the zone name a mistyped one most likely meant: the
// same name in other case or with spaces for underscores ("europe/berlin",
// "America/New York"), a city without its area or under the wrong one
// ("Berlin", "Europe/Sydney"), a common abbreviation ("PST"), else the
// name closest by edit distance, if it is close enough to be a typo. It
// answers "" when nothing is.
func (s *suggester) closestZone(name string) string {
	names, lower := zoneNames()
	want := strings.ToLower(strings.Join(strings.Fields(name), "_"))
	if want == "" || len(want) > 64 {
		return ""
	}
	if z, ok := zoneAbbreviations[want]; ok {
		return z
	}
	city := want[strings.LastIndexByte(want, '/')+1:]
	best, bestDist := "", 0
	consider := func(z string, d int) {
		if best == "" || d < bestDist || d == bestDist && len(z) < len(best) {
			best, bestDist = z, d
		}
	}
	for i, z := range lower {
		if z == want {
			return names[i]
		}
		if z[strings.LastIndexByte(z, '/')+1:] == city && strings.Contains(z, "/") {
			consider(names[i], 0)
		}
	}
	if best != "" {
		return best
	}
	for i, z := range lower {
		if s.budget <= 0 {
			break
		}
		s.budget--
		if d, ok := s.closeEnough(want, z); ok {
			consider(names[i], d)
		}
		if zc := z[strings.LastIndexByte(z, '/')+1:]; zc != z {
			// A city alone is short: it must be closer than a whole name.
			if d, ok := s.closeEnough(city, zc); ok && 3*d < len(zc) {
				consider(names[i], d+1)
			}
		}
	}
	return best
}
