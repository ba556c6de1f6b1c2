// Package schedule is the on-call schedule engine: who is on call at an
// instant, and which shifts a schedule has in a range. It is pure: no I/O.
package schedule

import "time"

// Schedule is a stack of rotation layers plus overrides. Later layers take
// precedence where they are active.
type Schedule struct {
	ID        string     `json:"id" yaml:"id"`
	Name      string     `json:"name,omitempty" yaml:"name,omitempty"`
	TimeZone  string     `json:"time_zone" yaml:"time_zone"`
	Layers    []Layer    `json:"layers" yaml:"layers"`
	Overrides []Override `json:"overrides,omitempty" yaml:"overrides,omitempty"`
}

// Layer rotates its users every Rotation.Every, handing off at Start + k*Every.
type Layer struct {
	ID       string    `json:"id" yaml:"id"`
	Users    []string  `json:"users" yaml:"users"`
	Rotation Rotation  `json:"rotation" yaml:"rotation"`
	Start    time.Time `json:"start" yaml:"start"`
	// TimeZone defaults to the schedule's; it applies to Active windows and
	// to calendar (d, w) handoffs.
	TimeZone string `json:"time_zone,omitempty" yaml:"time_zone,omitempty"`
	// Active restricts where the layer covers; empty means always.
	Active []Window `json:"active,omitempty" yaml:"active,omitempty"`
	// SkipHolidays is an ISO 3166-1 alpha-2 country code: on its public
	// holidays (local date in the layer's zone) the layer does not cover.
	SkipHolidays string `json:"skip_holidays,omitempty" yaml:"skip_holidays,omitempty"`
	// End, when set, is when the layer stops covering (exclusive): a
	// rotation that is replaced on a known date, as PagerDuty layers,
	// Opsgenie rotations and Grafana OnCall rotations can be.
	End time.Time `json:"end,omitzero" yaml:"end,omitempty"`
}

// Rotation is the handoff period: "12h" is an absolute duration; "1d" and
// "1w" keep the local wall-clock handoff time across DST.
type Rotation struct {
	Every string `json:"every" yaml:"every"`
}

// Window is a weekly active window in the layer's zone: on Days (mon..sun),
// from From to To ("HH:MM"); To before From wraps past midnight.
type Window struct {
	Days []string `json:"days,omitempty" yaml:"days,omitempty"`
	From string   `json:"from" yaml:"from"`
	To   string   `json:"to" yaml:"to"`
}

// Override puts User on call from Start to End (exclusive). With Replaces
// set it applies only where that user would otherwise be on call.
type Override struct {
	ID       string    `json:"id,omitempty" yaml:"id,omitempty"`
	User     string    `json:"user" yaml:"user"`
	Replaces string    `json:"replaces,omitempty" yaml:"replaces,omitempty"`
	Start    time.Time `json:"start" yaml:"start"`
	End      time.Time `json:"end" yaml:"end"`
}
