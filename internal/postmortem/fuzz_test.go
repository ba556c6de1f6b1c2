package postmortem

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzParsePolicy: any required_for list either parses to a policy whose
// every share is a share and whose due time is bounded, or is refused with
// a short error.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"SEV1,SEV2,major,budget>20%", "none", "budget>0.5", "sev4", "budget>", "budget>>1", "major,none", "\x00"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, list string, due int) {
		p, err := ParsePolicy(strings.Split(list, ","), due)
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if p.BudgetShare < 0 || p.BudgetShare >= 1 || p.DueBusinessDays < 1 || p.DueBusinessDays > MaxDueBusinessDays {
			t.Fatalf("policy %+v", p)
		}
	})
}

// FuzzApplyEdit: an edit as the API decodes it either changes the
// post-mortem into a valid one with the next version, or is refused and
// changes nothing.
func FuzzApplyEdit(f *testing.F) {
	for _, s := range []string{
		`{"version":3,"summary":"x","status":"in_review"}`,
		`{"action_items":[{"id":1,"status":"done"},{"title":"t","owner_team":"data","due":"2026-04-01","url":"https://x.example"}]}`,
		`{"status":"published"}`, `{"contributing_factors":"\u0000"}`, `{"action_items":[{"id":2,"url":"javascript:x"}]}`,
	} {
		f.Add([]byte(s))
	}
	teams := teamZones{"payments": time.UTC, "data": time.UTC}
	f.Fuzz(func(t *testing.T, body []byte) {
		var e Edit
		if json.Unmarshal(body, &e) != nil {
			return
		}
		p := stored()
		before, _ := json.Marshal(p)
		ch, err := Apply(&p, e, teams, "user:fuzz", editAt)
		after, _ := json.Marshal(p)
		if err != nil {
			if string(after) != string(before) {
				t.Fatalf("refused (%v) yet changed", err)
			}
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrStale) && !errors.Is(err, ErrTransition) && !errors.Is(err, ErrPublished) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if len(ch.Fields) == 0 {
			if string(after) != string(before) {
				t.Fatal("no change reported, yet changed")
			}
			return
		}
		if p.Version != 4 || !p.Status.Valid() || len(p.ActionItems) > MaxActionItems {
			t.Fatalf("after the edit: version %d status %q, %d items", p.Version, p.Status, len(p.ActionItems))
		}
		for _, it := range p.ActionItems {
			if it.Title == "" || it.OwnerTeam == "" || it.Due.IsZero() || !it.Status.Valid() || checkTrackerURL(it.URL) != nil {
				t.Fatalf("invalid item %+v", it)
			}
		}
		for _, s := range sectionList {
			if checkSection(s.field, *s.text(&p.Sections)) != nil {
				t.Fatalf("invalid %s", s.field)
			}
		}
	})
}

// FuzzParseDue: a due time parses to an instant within the years both
// databases store, or is refused.
func FuzzParseDue(f *testing.F) {
	for _, s := range []string{"2026-03-20", "2026-03-20T10:00:00+01:00", "9999-12-31", "0000-01-01", "2026-13-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		due, err := ParseDue(s, time.UTC)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if y := due.UTC().Year(); y < 2000 || y > 9999 {
			t.Fatalf("due %v", due)
		}
	})
}
