package store

import "time"

// ServedShift is a stretch of time one user was on call for a schedule,
// recorded from the schedule as it was configured while the time was
// served. Later edits of the schedule leave it as it is: the reports ask
// who was on call, not who would be under today's configuration.
type ServedShift struct {
	ID       int64  `json:"id"`
	Schedule string `json:"schedule"`
	User     string `json:"user"`
	// Layer is the id of the layer the shift began in, or
	// schedule.OverrideLayer.
	Layer string    `json:"layer"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// TimeZone is the schedule's time zone when the shift was served.
	TimeZone string `json:"time_zone"`
}

// ServedShiftQuery selects recorded shifts, oldest first: by start, then
// by ID.
type ServedShiftQuery struct {
	Schedule string // "": every schedule
	// From and To keep the shifts that overlap [From, To); a zero value
	// does not bound.
	From, To time.Time
	// AfterID pages: only the shifts after this one in the order above
	// (0: from the oldest).
	AfterID int64
	Limit   int
}
