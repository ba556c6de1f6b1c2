package org

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/hours"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

func TestSnapshotReadsTheOrgHoursOnce(t *testing.T) {
	wantBusiness, err := hours.ParseBusiness("09:00", "17:30", []string{"mon", "tue"})
	if err != nil {
		t.Fatal(err)
	}
	wantNight, err := schedule.ParseHourRange("23:00", "07:00")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		org          catalog.Org
		wantBusiness hours.Business
		wantNight    schedule.HourRange
	}{
		{name: "unset", wantBusiness: hours.Default},
		{name: "set",
			org: catalog.Org{BusinessHours: &catalog.BusinessHours{Start: "09:00", End: "17:30", Days: []string{"mon", "tue"}},
				NightHours: &catalog.HourRange{Start: "23:00", End: "07:00"}},
			wantBusiness: wantBusiness, wantNight: wantNight},
		// Validation refuses these; a stored configuration that holds them
		// anyway gets the defaults rather than no hours at all.
		{name: "malformed",
			org: catalog.Org{BusinessHours: &catalog.BusinessHours{Start: "9am", End: "17:30"},
				NightHours: &catalog.HourRange{Start: "23:00", End: "25:00"}},
			wantBusiness: hours.Default},
		{name: "unknown weekday",
			org:          catalog.Org{BusinessHours: &catalog.BusinessHours{Start: "09:00", End: "17:00", Days: []string{"someday"}}},
			wantBusiness: hours.Default},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := SnapshotOf(&config.Bundle{Org: tt.org})
			if got := snap.BusinessHours(); got != tt.wantBusiness {
				t.Errorf("BusinessHours = %+v, want %+v", got, tt.wantBusiness)
			}
			if got := snap.NightHours(); got != tt.wantNight {
				t.Errorf("NightHours = %+v, want %+v", got, tt.wantNight)
			}
		})
	}
}
