// Package duration parses and prints the durations used in Vigil's
// configuration: Go-style durations ("90s", "5m", "2h") extended with days
// ("d") and weeks ("w").
package duration

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Day and Week are fixed lengths. Calendar-aware arithmetic (a day that keeps
// the local wall-clock time across DST) is the schedule engine's business.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// maxLen bounds the input so that a hostile value cannot make parsing costly.
const maxLen = 64

// Parse reads a duration such as "90s", "5m", "2h30m", "1d" or "2w".
// Negative durations are refused: no configured duration may be negative.
func Parse(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if len(s) > maxLen {
		return 0, fmt.Errorf("duration %.20q... is too long", s)
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("invalid duration %q: expected a number", s)
		}
		num := rest[:i]
		rest = rest[i:]
		j := 0
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		var d time.Duration
		switch unit {
		case "d", "w":
			n, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("invalid duration %q: %w", s, err)
			}
			size := Day
			if unit == "w" {
				size = Week
			}
			if n > float64(1<<62)/float64(size) {
				return 0, fmt.Errorf("duration %q is too large", s)
			}
			d = time.Duration(n * float64(size))
		case "":
			return 0, fmt.Errorf("invalid duration %q: missing unit (s, m, h, d or w)", s)
		default:
			v, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, fmt.Errorf("invalid duration %q: unknown unit %q (use s, m, h, d or w)", s, unit)
			}
			d = v
		}
		if total > (1<<62)-d {
			return 0, fmt.Errorf("duration %q is too large", s)
		}
		total += d
	}
	return total, nil
}

// Format prints d in the shortest form Parse reads back, preferring whole
// weeks and days.
func Format(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%Week == 0:
		return strconv.FormatInt(int64(d/Week), 10) + "w"
	case d%Day == 0:
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	s := d.String() // such as "2h30m0s": drop zero trailing units
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Duration is a time.Duration that reads and writes the configuration's
// string form in both YAML and JSON.
type Duration time.Duration

// Std returns the standard library value.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return Format(time.Duration(d)) }

// MarshalText implements encoding.TextMarshaler (JSON and YAML use it).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the string form.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads the string form.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"5m\": %w", err)
	}
	return d.UnmarshalText([]byte(s))
}
