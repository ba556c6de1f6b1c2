package correlate

import (
	"slices"
	"testing"
)

func TestPlace(t *testing.T) {
	var (
		none      = Verdict{}
		related   = Verdict{Shared: []string{"db"}}
		explains  = Verdict{Join: true, Explains: true}
		explained = Verdict{Join: true, Explained: true}
		viaDB     = Verdict{Join: true, Via: []string{"db"}}
		viaBoth   = Verdict{Join: true, Via: []string{"cache", "db"}}
		viaCache  = Verdict{Join: true, Via: []string{"cache"}}
	)
	tests := []struct {
		name     string
		verdicts []Verdict
		want     Placement
	}{
		{"no open incident", nil, Placement{Join: -1}},
		{"nothing joins: an own incident, related to those sharing a dependency", []Verdict{none, related},
			Placement{Join: -1, Related: []int{1}}},
		{"of equals the oldest joins; the other it explains merges", []Verdict{explains, explains},
			Placement{Join: 0, Merge: []int{1}}},
		{"a victim joins what explains it and pulls nothing in", []Verdict{explains, explained, explains},
			Placement{Join: 1}},
		{"explaining beats evidence, which merges nothing then", []Verdict{viaDB, explains, related},
			Placement{Join: 1, Related: []int{2}}},
		{"joined on evidence: the others joining on the same dependency merge", []Verdict{related, viaDB, viaBoth, viaCache},
			Placement{Join: 1, Merge: []int{2}, Related: []int{0}}},
		{"an incident that joins on evidence is not pulled into one the alert explains", []Verdict{viaCache, explains},
			Placement{Join: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Place(tt.verdicts)
			if got.Join != tt.want.Join || !slices.Equal(got.Merge, tt.want.Merge) || !slices.Equal(got.Related, tt.want.Related) {
				t.Errorf("Place = %+v, want %+v", got, tt.want)
			}
		})
	}
}
