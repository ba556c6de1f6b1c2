package postmortem

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// teamZones is a Teams of fixed teams.
type teamZones map[string]*time.Location

func (z teamZones) TeamZone(team string) (*time.Location, bool) {
	loc, ok := z[team]
	return loc, ok
}

func testTeams(t *testing.T) teamZones {
	return teamZones{"payments": vigiltest.Zone(t, "Europe/Berlin"), "data": vigiltest.Zone(t, "America/New_York")}
}

var editAt = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// stored is a post-mortem as the store holds it: version 3, in draft, with
// two action items.
func stored() Postmortem {
	due := time.Date(2026, 3, 20, 22, 59, 59, 0, time.UTC)
	return Postmortem{
		ID: 12, IncidentID: 12, Title: "Checkout failing", Status: StatusDraft, Version: 3,
		Sections: Sections{Summary: "It broke.", Impact: "Checkout was down."},
		ActionItems: []ActionItem{
			{ID: 1, IncidentID: 12, Title: "Alert on ledger lag", OwnerTeam: "data", Due: due, Status: ItemOpen, CreatedAt: editAt.Add(-time.Hour), UpdatedAt: editAt.Add(-time.Hour)},
			{ID: 2, IncidentID: 12, Title: "Canary deploys", OwnerTeam: "payments", Due: due, Status: ItemOpen, URL: "https://tracker.example.com/T-2",
				CreatedAt: editAt.Add(-time.Hour), UpdatedAt: editAt.Add(-time.Hour)},
		},
		CreatedAt: editAt.Add(-time.Hour), CreatedBy: "user:alice", UpdatedAt: editAt.Add(-time.Hour), UpdatedBy: "user:alice",
	}
}

func TestApplySections(t *testing.T) {
	p := stored()
	ch, err := Apply(&p, Edit{Version: ptr(int64(3)), Summary: ptr("The ledger fell behind."), Factors: ptr("- no alert on lag"), Impact: ptr("Checkout was down.")},
		testTeams(t), "user:bob", editAt)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"summary", "contributing_factors"}; !reflect.DeepEqual(ch.Fields, want) {
		t.Errorf("changed %q, want %q (the impact was sent unchanged)", ch.Fields, want)
	}
	if p.Version != 4 || p.Summary != "The ledger fell behind." || p.ContributingFactors != "- no alert on lag" || p.UpdatedBy != "user:bob" || !p.UpdatedAt.Equal(editAt) {
		t.Errorf("after the edit: %+v", p)
	}
	if got := ch.Describe(); got != "summary; contributing_factors" {
		t.Errorf("Describe = %q", got)
	}

	again := p
	ch, err = Apply(&again, Edit{Summary: ptr("The ledger fell behind.")}, testTeams(t), "user:carol", editAt.Add(time.Minute))
	if err != nil || len(ch.Fields) != 0 || again.Version != 4 || again.UpdatedBy != "user:bob" {
		t.Errorf("an edit that changes nothing: %v %+v, version %d by %s", err, ch, again.Version, again.UpdatedBy)
	}
}

func TestApplyRefusals(t *testing.T) {
	published := stored()
	published.Status = StatusPublished
	tests := []struct {
		name  string
		start Postmortem
		edit  Edit
		err   error
		text  string
	}{
		{"a stale version", stored(), Edit{Version: ptr(int64(2)), Summary: ptr("x")}, ErrStale, "at version 3, the edit was made on version 2"},
		{"a draft published unreviewed", stored(), Edit{Status: ptr(StatusPublished)}, ErrTransition, "reviewed (in_review) before"},
		{"an unknown status", stored(), Edit{Status: ptr(Status("done"))}, ErrInvalid, `status "done"`},
		{"the text of a published one", published, Edit{Summary: ptr("rewritten")}, ErrPublished, "final"},
		{"back from published", published, Edit{Status: ptr(StatusInReview)}, ErrTransition, "stays published"},
		{"an oversized section", stored(), Edit{Impact: ptr(strings.Repeat("a", MaxSection+1))}, ErrInvalid, "impact is 100001 bytes"},
		{"invalid UTF-8", stored(), Edit{WentWell: ptr("ok \xff")}, ErrInvalid, "went_well is not valid UTF-8"},
		{"a NUL", stored(), Edit{WentWrong: ptr("a\x00b")}, ErrInvalid, "NUL"},
		{"an item of another post-mortem", stored(), Edit{ActionItems: &[]ItemChange{{ID: 99}}}, ErrInvalid, "action item 99 is not one of this post-mortem's"},
		{"an item twice", stored(), Edit{ActionItems: &[]ItemChange{{ID: 1}, {ID: 1}}}, ErrInvalid, "listed twice"},
		{"a new item without a due date", stored(), Edit{ActionItems: &[]ItemChange{{Title: "x", OwnerTeam: "data"}}}, ErrInvalid, "needs a title, an owner_team and a due date"},
		{"an unknown team", stored(), Edit{ActionItems: &[]ItemChange{{Title: "x", OwnerTeam: "nobody", Due: "2026-04-01"}}}, ErrInvalid, `no team "nobody"`},
		{"a bad due date", stored(), Edit{ActionItems: &[]ItemChange{{ID: 1, Due: "next week"}}}, ErrInvalid, "neither a date"},
		{"a due date out of range", stored(), Edit{ActionItems: &[]ItemChange{{ID: 1, Due: "1999-12-31"}}}, ErrInvalid, "outside the years"},
		{"a script URL", stored(), Edit{ActionItems: &[]ItemChange{{ID: 2, URL: ptr("javascript:alert(1)")}}}, ErrInvalid, "not an http(s) URL"},
		{"a relative URL", stored(), Edit{ActionItems: &[]ItemChange{{ID: 2, URL: ptr("/tickets/2")}}}, ErrInvalid, "not an http(s) URL"},
		{"a long title", stored(), Edit{ActionItems: &[]ItemChange{{ID: 2, Title: strings.Repeat("t", MaxTitle+1)}}}, ErrInvalid, "longer than 500"},
		{"a title with a line break", stored(), Edit{ActionItems: &[]ItemChange{{ID: 2, Title: "a\nb"}}}, ErrInvalid, "control character"},
		{"an unknown item status", stored(), Edit{ActionItems: &[]ItemChange{{ID: 2, Status: "closed"}}}, ErrInvalid, "open, done or wont_do"},
		{"too many items", stored(), Edit{ActionItems: ptr(make([]ItemChange, MaxActionItems+1))}, ErrInvalid, "201 action items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.start
			before, _ := json.Marshal(p)
			_, err := Apply(&p, tt.edit, testTeams(t), "user:bob", editAt)
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("error %v, want %v with %q", err, tt.err, tt.text)
			}
			if after, _ := json.Marshal(p); string(after) != string(before) {
				t.Errorf("a refused edit changed the post-mortem:\n%s\n%s", before, after)
			}
		})
	}
}

func TestApplyReview(t *testing.T) {
	p := stored()
	steps := []struct {
		to      Status
		version int64
	}{{StatusInReview, 4}, {StatusDraft, 5}, {StatusInReview, 6}, {StatusPublished, 7}}
	for i, s := range steps {
		ch, err := Apply(&p, Edit{Status: ptr(s.to)}, testTeams(t), "user:bob", editAt.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatalf("step %d to %s: %v", i, s.to, err)
		}
		if p.Status != s.to || p.Version != s.version || !reflect.DeepEqual(ch.Fields, []string{"status"}) {
			t.Fatalf("step %d: status %s version %d, changed %q", i, p.Status, p.Version, ch.Fields)
		}
	}
	if p.PublishedAt == nil || !p.PublishedAt.Equal(editAt.Add(3*time.Minute)) {
		t.Errorf("published at %v", p.PublishedAt)
	}
	// Published: its action items still move.
	ch, err := Apply(&p, Edit{ActionItems: &[]ItemChange{{ID: 1, Status: ItemDone}, {ID: 2}}}, testTeams(t), "user:carol", editAt.Add(time.Hour))
	if err != nil || !reflect.DeepEqual(ch.Fields, []string{"action_items"}) || p.ActionItems[0].Status != ItemDone || p.Version != 8 {
		t.Fatalf("closing an item of a published post-mortem: %v, %+v, %+v", err, ch, p.ActionItems)
	}
	if !p.ActionItems[0].UpdatedAt.Equal(editAt.Add(time.Hour)) || !p.ActionItems[1].UpdatedAt.Equal(editAt.Add(-time.Hour)) {
		t.Errorf("updated_at of the items: %v, %v", p.ActionItems[0].UpdatedAt, p.ActionItems[1].UpdatedAt)
	}
}

func TestApplyActionItems(t *testing.T) {
	p := stored()
	reminded := editAt.Add(-30 * time.Minute)
	p.ActionItems[0].RemindedAt = &reminded
	ch, err := Apply(&p, Edit{ActionItems: &[]ItemChange{
		{ID: 1, Due: "2026-04-01"}, // later: a new reminder may follow
		{Title: "Runbook for ledger lag", OwnerTeam: "payments", Due: "2026-03-31T12:00:00+02:00", URL: ptr("http://wiki.example.com/lag")},
		// item 2 is left out: removed
	}}, testTeams(t), "user:bob", editAt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ch.Fields, []string{"action_items"}) || len(p.ActionItems) != 2 || p.Version != 4 {
		t.Fatalf("changed %q, items %+v, version %d", ch.Fields, p.ActionItems, p.Version)
	}
	first, added := p.ActionItems[0], p.ActionItems[1]
	// A date is the end of that day in the owner team's zone: data is in New York.
	if want := time.Date(2026, 4, 2, 3, 59, 59, 0, time.UTC); !first.Due.Equal(want) || first.RemindedAt != nil {
		t.Errorf("moved item: due %s (want %s), reminded %v", first.Due.UTC(), want, first.RemindedAt)
	}
	if added.ID != 0 || added.IncidentID != 12 || added.Status != ItemOpen || added.OwnerTeam != "payments" ||
		!added.Due.Equal(time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC)) || added.URL != "http://wiki.example.com/lag" || !added.CreatedAt.Equal(editAt) {
		t.Errorf("added item: %+v", added)
	}
	// Sent back as read: nothing changes.
	var read []ItemChange
	data, _ := json.Marshal(p.ActionItems)
	if err := json.Unmarshal(data, &read); err != nil {
		t.Fatal(err)
	}
	read[1].ID = 7 // as the store numbered it
	p.ActionItems[1].ID = 7
	ch, err = Apply(&p, Edit{ActionItems: &read}, testTeams(t), "user:bob", editAt.Add(time.Minute))
	if err != nil || len(ch.Fields) != 0 || p.Version != 4 {
		t.Errorf("items sent back as read: %v, %+v, version %d", err, ch, p.Version)
	}
	// An earlier due date keeps the reminder already sent.
	p.ActionItems[0].RemindedAt = &reminded
	if _, err := Apply(&p, Edit{ActionItems: &[]ItemChange{{ID: 1, Due: "2026-03-15"}, {ID: 7, URL: ptr("")}}}, testTeams(t), "user:bob", editAt); err != nil {
		t.Fatal(err)
	}
	if p.ActionItems[0].RemindedAt == nil || p.ActionItems[1].URL != "" {
		t.Errorf("after moving item 1 earlier and clearing item 7's URL: %+v", p.ActionItems)
	}
}

func TestParseDue(t *testing.T) {
	berlin := vigiltest.Zone(t, "Europe/Berlin")
	tests := []struct {
		in   string
		loc  *time.Location
		want string
		err  bool
	}{
		{"2026-03-20", berlin, "2026-03-20T22:59:59Z", false},
		{"2026-07-20", berlin, "2026-07-20T21:59:59Z", false},
		{"2026-03-20", nil, "2026-03-20T23:59:59Z", false},
		{"2026-03-20T10:00:00+01:00", berlin, "2026-03-20T09:00:00Z", false},
		{"2026-02-30", berlin, "", true},
		{"20.03.2026", berlin, "", true},
		{"", berlin, "", true},
		{"0001-01-01T00:00:00Z", nil, "", true},
		{"9999-12-31", nil, "9999-12-31T23:59:59Z", false},
		{strings.Repeat("2026-", 10000), nil, "", true},
	}
	for _, tt := range tests {
		got, err := ParseDue(tt.in, tt.loc)
		if tt.err {
			if !errors.Is(err, ErrInvalid) || len(err.Error()) > 200 {
				t.Errorf("ParseDue(%.30q) = %v, %v; want a short ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(vigiltest.Instant(t, tt.want)) {
			t.Errorf("ParseDue(%q) = %v, %v; want %s", tt.in, got.UTC(), err, tt.want)
		}
	}
}

func TestOverdue(t *testing.T) {
	p := stored()
	due := editAt
	p.Due = &due
	p.Required = true
	p.ActionItems[1].Status = ItemDone
	p.ActionItems[0].Due, p.ActionItems[1].Due = editAt, editAt
	p.MarkOverdue(editAt)
	if p.Overdue || p.ActionItems[0].Overdue {
		t.Error("overdue at the due instant itself")
	}
	p.MarkOverdue(editAt.Add(time.Second))
	if !p.Overdue || !p.ActionItems[0].Overdue || p.ActionItems[1].Overdue {
		t.Errorf("a second later: post-mortem %v, open item %v, done item %v", p.Overdue, p.ActionItems[0].Overdue, p.ActionItems[1].Overdue)
	}
	p.Status = StatusPublished
	p.MarkOverdue(editAt.Add(time.Hour))
	if p.Overdue {
		t.Error("a published post-mortem is never overdue")
	}
}

func TestShouldRemind(t *testing.T) {
	cal := calendar(t, "Europe/Berlin", "DE")
	due := vigiltest.Instant(t, "2026-03-06T22:59:59Z") // end of Friday 6 March in Berlin
	reminded := due.Add(time.Hour)
	tests := []struct {
		name string
		item ActionItem
		at   string
		want bool
	}{
		{"not yet due", ActionItem{Status: ItemOpen, Due: due}, "2026-03-06T10:00:00Z", false},
		{"overdue on a Saturday", ActionItem{Status: ItemOpen, Due: due}, "2026-03-07T10:00:00Z", false},
		{"overdue before business hours", ActionItem{Status: ItemOpen, Due: due}, "2026-03-09T06:59:00Z", false},
		{"overdue in business hours", ActionItem{Status: ItemOpen, Due: due}, "2026-03-09T07:00:00Z", true},
		{"already reminded", ActionItem{Status: ItemOpen, Due: due, RemindedAt: &reminded}, "2026-03-09T07:00:00Z", false},
		{"done", ActionItem{Status: ItemDone, Due: due}, "2026-03-09T07:00:00Z", false},
		{"dropped", ActionItem{Status: ItemWontDo, Due: due}, "2026-03-09T07:00:00Z", false},
		{"on Good Friday", ActionItem{Status: ItemOpen, Due: due}, "2026-04-03T08:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShouldRemind(tt.item, vigiltest.Instant(t, tt.at), cal); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	r := ReminderOf(ActionItem{ID: 3, IncidentID: 12, Title: "Canary deploys", OwnerTeam: "payments", Due: due}, vigiltest.Zone(t, "Europe/Berlin"))
	want := Reminder{Title: "Overdue action item: Canary deploys",
		Summary: "Action item 3 of the post-mortem of incident #12, owned by team payments, was due Fri 2026-03-06 23:59 CET. Mark it done, or set a new due date."}
	if r != want {
		t.Errorf("reminder %+v, want %+v", r, want)
	}
}
