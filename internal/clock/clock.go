// Package clock is where Vigil learns what time it is.
//
// In production that is the wall clock. Tests that must hold on every day
// of the year pin it instead: with VIGIL_TEST_NOW set to an RFC 3339
// instant, the clock starts at that instant and runs on at the wall clock's
// pace, so timers, leases and timeouts behave as usual while dates,
// weekdays, freezes and holidays are those of the pinned instant. This
// package is the only place that reads the variable.
package clock

import (
	"fmt"
	"strings"
	"time"
)

// PinVariable names the environment variable that pins "now".
const PinVariable = "VIGIL_TEST_NOW"

// Func returns the current time.
type Func = func() time.Time

// FromEnv returns the wall clock, or, when getenv(PinVariable) is set, a
// clock that starts at the instant it names and advances in real time.
func FromEnv(getenv func(string) string) (Func, error) {
	text := strings.TrimSpace(getenv(PinVariable))
	if text == "" {
		return time.Now, nil
	}
	pinned, err := time.Parse(time.RFC3339, text)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: want an RFC 3339 instant such as 2027-03-28T01:30:00Z", PinVariable, text)
	}
	return Starting(pinned, time.Now), nil
}

// Starting returns a clock that reads start at the moment it is made and
// then advances as wall reads.
func Starting(start time.Time, wall Func) Func {
	origin := wall()
	return func() time.Time { return start.Add(wall().Sub(origin)) }
}
