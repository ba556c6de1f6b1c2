package config

import (
	"slices"
	"testing"
)

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Column: 7, Path: "users[0].id", Message: "bad"}, "a.yaml:3:7: users[0].id: bad"},
		{Problem{File: "a.yaml", Message: "file is larger than 8 MiB"}, "a.yaml: file is larger than 8 MiB"},
		{Problem{File: "a.yaml", Line: 2, Column: 1, Message: "invalid YAML"}, "a.yaml:2:1: invalid YAML"},
		{Problem{Path: "teams", Message: "no global-irt team"}, "teams: no global-irt team"},
		{Problem{Message: "bare"}, "bare"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestSortProblems(t *testing.T) {
	ps := []Problem{
		{File: "b.yaml", Line: 1, Column: 1, Message: "1"},
		{File: "a.yaml", Line: 9, Column: 1, Message: "2"},
		{File: "a.yaml", Line: 2, Column: 5, Message: "3"},
		{File: "a.yaml", Line: 2, Column: 3, Message: "4"},
		{Path: "x", Message: "5"},
		{File: "a.yaml", Line: 2, Column: 3, Message: "6"},
		{Path: "y", Message: "7"},
	}
	sortProblems(ps)
	var order []string
	for _, p := range ps {
		order = append(order, p.Message)
	}
	if want := []string{"5", "7", "4", "6", "3", "2", "1"}; !slices.Equal(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 0},
		{"escalate_afer", "escalate_after", 1}, // deletion
		{"critcal", "critical", 1},
		{"afetr", "after", 1}, // transposition
		{"servces", "services", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
		{"abc", "", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, 10, nil); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	// Past the limit the result only has to say so.
	if got := editDistance("abcdefgh", "zyxwvuts", 2, make([]int, 27)); got <= 2 {
		t.Errorf("editDistance beyond the limit = %d, want more than 2", got)
	}
}

func TestDidYouMean(t *testing.T) {
	fields := []string{"id", "name", "time_zone", "escalate_after", "escalation_policy", "services", "service"}
	tests := []struct {
		got  string
		want string
	}{
		{"escalate_afer", ` (did you mean "escalate_after"?)`},
		{"timezone", ` (did you mean "time_zone"?)`},
		{"servise", ` (did you mean "service"?)`}, // "services" is one edit further
		{"nme", ` (did you mean "name"?)`},
		{"ix", ""},         // one edit from "id", but too short to be sure
		{"colour", ""},     // nothing close
		{"name", ""},       // an exact match is not a typo
		{"escalation", ""}, // too far from both escalate_after and escalation_policy
		{"\x00\xff", ""},   // garbage
	}
	for _, tt := range tests {
		if got := newSuggester().didYouMean(tt.got, fields); got != tt.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
}

func TestSuggesterBudget(t *testing.T) {
	s := &suggester{budget: 3}
	cands := []string{"aaaa", "bbbb", "cccc", "abcd"}
	// The budget runs out before "abcd" is compared.
	if got := s.didYouMean("abce", cands); got != "" {
		t.Errorf("with the budget spent, didYouMean = %q, want none", got)
	}
	if got := s.didYouMean("abce", cands); got != "" {
		t.Errorf("with no budget, didYouMean = %q, want none", got)
	}
	if got := newSuggester().didYouMean("abce", cands); got != ` (did you mean "abcd"?)` {
		t.Errorf("with budget, didYouMean = %q", got)
	}
}
