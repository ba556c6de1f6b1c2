package config

import (
	"slices"
	"strings"
	"testing"
)

func TestPostmortemPolicy(t *testing.T) {
	l := LoadBytes("org.yaml", []byte(`org:
  postmortems:
    required_for: [SEV1, major, "budget>35%"]
    due_business_days: 10
`))
	if len(l.Problems) != 0 {
		t.Fatalf("problems: %v", l.Problems)
	}
	pm := l.Bundle.Org.Postmortems
	if pm == nil || !slices.Equal(pm.RequiredFor, []string{"SEV1", "major", "budget>35%"}) || pm.DueBusinessDays != 10 {
		t.Fatalf("postmortems = %+v", pm)
	}

	l = LoadBytes("org.yaml", []byte(`org:
  postmortems:
    required_for: [SEV1, SEV9, "budget>120%", none]
    due_business_days: -2
    due_in: 5d
`))
	var got []string
	for _, p := range l.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`org.yaml:3:26: org.postmortems.required_for[1]: unknown condition "SEV9" (SEV1 to SEV4, major, budget>20%, or none)`,
		`org.yaml:3:32: org.postmortems.required_for[2]: "budget>120%": the share must be above 0 and below 100%`,
		`org.yaml:3:47: org.postmortems.required_for[3]: "none" stands alone: it means no incident needs a post-mortem`,
		`org.yaml:4:24: org.postmortems.due_business_days: -2 is not between 1 and 260 business days`,
		`org.yaml:5:5: org.postmortems.due_in: unknown field "due_in"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
