package org

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/hours"
)

func TestSnapshotReadsTheOrgHoursOnce(t *testing.T) {
	set, err := hours.Parse("09:00", "17:30", []string{"mon", "tue"}, "23:00", "07:00")
	if err != nil {
		t.Fatal(err)
	}
	nightOnly := hours.Default
	nightOnly.Night = set.Night
	tests := []struct {
		name string
		org  catalog.Org
		want hours.Hours
	}{
		{name: "unset", want: hours.Default},
		{name: "set",
			org: catalog.Org{BusinessHours: &catalog.BusinessHours{Start: "09:00", End: "17:30", Days: []string{"mon", "tue"}},
				NightHours: &catalog.HourRange{Start: "23:00", End: "07:00"}},
			want: set},
		// Validation refuses these; a stored configuration that holds them
		// anyway gets the defaults rather than no hours at all, each part
		// on its own.
		{name: "malformed",
			org: catalog.Org{BusinessHours: &catalog.BusinessHours{Start: "9am", End: "17:30"},
				NightHours: &catalog.HourRange{Start: "23:00", End: "25:00"}},
			want: hours.Default},
		{name: "unknown weekday, good night",
			org: catalog.Org{BusinessHours: &catalog.BusinessHours{Start: "09:00", End: "17:00", Days: []string{"someday"}},
				NightHours: &catalog.HourRange{Start: "23:00", End: "07:00"}},
			want: nightOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := SnapshotOf(&config.Bundle{Org: tt.org})
			if got := snap.Hours(); got != tt.want {
				t.Errorf("Hours = %+v, want %+v", got, tt.want)
			}
			if got := HoursOf(tt.org); got != tt.want {
				t.Errorf("HoursOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
