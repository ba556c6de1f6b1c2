package org

import (
	"time"

	"github.com/vigil-oncall/vigil/internal/postmortem"
)

// TeamCalendar is a team's business calendar: the org's business hours in
// the team's zone, less its country's public holidays. An unknown team
// works in UTC without holidays.
func (s *Snapshot) TeamCalendar(team string) postmortem.Calendar {
	c := postmortem.Calendar{Hours: s.Hours().Business, Location: time.UTC}
	if t := s.Team(team); t != nil {
		c.Country = t.Country
		if loc, err := time.LoadLocation(t.TimeZone); err == nil && t.TimeZone != "" {
			c.Location = loc
		}
	}
	return c
}
