package cover

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// weekly hands off between alice and bob every Monday 09:00 Berlin time:
// alice from 2026-03-02, bob from 2026-03-09.
var weekly = schedule.Schedule{
	ID: "primary", TimeZone: "Europe/Berlin",
	Layers: []schedule.Layer{{ID: "weekly", Users: []string{"alice", "bob"}, Rotation: schedule.Rotation{Every: "1w"},
		Start: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}},
}

func engine(t *testing.T) *schedule.Engine {
	t.Helper()
	e, err := schedule.Compile(weekly, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCheck(t *testing.T) {
	at := func(s string) time.Time { return vigiltest.Instant(t, s) }
	now := at("2026-03-03T12:00:00Z")
	base := Request{Schedule: "primary", Requester: "alice", Start: at("2026-03-04T00:00:00Z"), End: at("2026-03-05T00:00:00Z")}
	tests := []struct {
		name   string
		edit   func(*Request)
		want   string // a part of the error, "" for none
		shifts int
	}{
		{"one day of a week-long shift", func(*Request) {}, "", 1},
		{"across the handoff: only alice's part", func(r *Request) { r.Start, r.End = at("2026-03-09T00:00:00Z"), at("2026-03-10T00:00:00Z") }, "", 1},
		{"not on call then", func(r *Request) { r.Start, r.End = at("2026-03-10T00:00:00Z"), at("2026-03-11T00:00:00Z") }, "not on call", 0},
		{"bob in bob's week", func(r *Request) {
			r.Requester, r.Start, r.End = "bob", at("2026-03-10T00:00:00Z"), at("2026-03-11T00:00:00Z")
		}, "", 1},
		{"end before start", func(r *Request) { r.End = r.Start.Add(-time.Hour) }, "must be after start", 0},
		{"empty span", func(r *Request) { r.End = r.Start }, "must be after start", 0},
		{"ended already", func(r *Request) { r.Start, r.End = at("2026-03-02T09:00:00Z"), at("2026-03-03T09:00:00Z") }, "in the past", 0},
		{"began already, ends later", func(r *Request) { r.Start = at("2026-03-03T00:00:00Z") }, "", 1},
		{"too long", func(r *Request) { r.End = r.Start.Add(MaxSpan + time.Hour) }, "at most", 0},
		{"no requester", func(r *Request) { r.Requester = "" }, "required", 0},
		{"no start", func(r *Request) { r.Start = time.Time{} }, "required", 0},
		{"message too long", func(r *Request) { r.Message = strings.Repeat("x", MaxMessage+1) }, "longer than", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.edit(&r)
			shifts, err := Check(r, engine(t), now)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if len(shifts) != tc.shifts {
					t.Fatalf("shifts = %v, want %d", shifts, tc.shifts)
				}
				for _, sh := range shifts {
					if sh.User != r.Requester || sh.Start.Before(r.Start) || sh.End.After(r.End) {
						t.Errorf("shift %+v is not the requester's within the span", sh)
					}
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want ErrInvalid with %q", err, tc.want)
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	teams := []catalog.Team{
		{ID: "payments", Schedule: "primary", Members: []string{"alice", "carol", "bob"}},
		{ID: "other", Schedule: "elsewhere", Members: []string{"dana"}},
	}
	sch := weekly
	sch.Layers = append(slices.Clone(sch.Layers), schedule.Layer{ID: "backup", Users: []string{"erin", "alice"}})
	users := []catalog.User{{ID: "alice"}, {ID: "bob"}, {ID: "carol"}, {ID: "dana"}, {ID: "erin"}, {ID: "zoe"}}
	tests := []struct {
		name      string
		requester string
		open      bool
		want      []string
	}{
		{"teammates: team members and rotation users", "alice", false, []string{"bob", "carol", "erin"}},
		{"someone only in a rotation", "erin", false, []string{"alice", "bob", "carol"}},
		{"open: teammates first, then everyone", "alice", true, []string{"bob", "carol", "erin", "dana", "zoe"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Candidates(users, teams, &sch, tc.requester, tc.open); !slices.Equal(got, tc.want) {
				t.Fatalf("Candidates = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAcceptAndCancel(t *testing.T) {
	at := func(s string) time.Time { return vigiltest.Instant(t, s) }
	now := at("2026-03-03T12:00:00Z")
	team := Request{ID: 7, Schedule: "primary", Requester: "alice", Start: at("2026-03-04T00:00:00Z"), End: at("2026-03-05T00:00:00Z"),
		Status: Open, Candidates: []string{"bob", "carol"}}
	open := team
	open.Open = true
	accepted := team
	accepted.Status = Accepted
	cancelled := team
	cancelled.Status = Cancelled
	tests := []struct {
		name    string
		r       Request
		user    string
		now     time.Time
		wantErr error
	}{
		{"a teammate", team, "bob", now, nil},
		{"not a teammate", team, "zoe", now, ErrNotAllowed},
		{"anyone, when open", open, "zoe", now, nil},
		{"not the requester", open, "alice", now, ErrNotAllowed},
		{"after the span began", team, "carol", at("2026-03-04T06:00:00Z"), nil},
		{"after it ended: expired", team, "bob", at("2026-03-05T00:00:00Z"), ErrClosed},
		{"accepted already", accepted, "carol", now, ErrClosed},
		{"cancelled", cancelled, "bob", now, ErrClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, o, err := Accept(tc.r, tc.user, tc.now)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Accept = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if got.Status != Accepted || got.AcceptedBy != tc.user || got.AcceptedAt == nil || !got.AcceptedAt.Equal(tc.now) {
				t.Errorf("accepted request = %+v", got)
			}
			want := schedule.Override{User: tc.user, Replaces: "alice", Start: tc.r.Start, End: tc.r.End}
			if o != want {
				t.Errorf("override = %+v, want %+v", o, want)
			}
		})
	}
	if _, err := Cancel(accepted, "alice", now); !errors.Is(err, ErrClosed) {
		t.Errorf("Cancel(accepted) = %v, want ErrClosed", err)
	}
	got, err := Cancel(team, "user:alice", now)
	if err != nil || got.Status != Cancelled || got.CancelledBy != "user:alice" {
		t.Errorf("Cancel = %+v, %v", got, err)
	}
	if st := team.StatusAt(at("2026-03-06T00:00:00Z")); st != Expired {
		t.Errorf("StatusAt after the span = %s, want expired", st)
	}
}

func TestNotices(t *testing.T) {
	at := func(s string) time.Time { return vigiltest.Instant(t, s) }
	r := Request{ID: 7, Schedule: "primary", Requester: "alice", Start: at("2026-03-04T00:00:00Z"), End: at("2026-03-05T00:00:00Z"),
		Message: "dentist", AcceptedBy: "bob", OverrideID: "ovr-1"}
	ask := AskNotice(r, vigiltest.Zone(t, "America/New_York"))
	if want := "from Tue 2026-03-03 19:00 to Wed 2026-03-04 19:00 EST"; !strings.Contains(ask.Summary, want) {
		t.Errorf("ask summary %q lacks %q (the reader's zone)", ask.Summary, want)
	}
	if !strings.Contains(ask.Summary, "alice says: dentist") || !strings.Contains(ask.Title, "alice asks for cover on primary") {
		t.Errorf("ask notice = %+v", ask)
	}
	done := AcceptedNotice(r, vigiltest.Zone(t, "Europe/Berlin"))
	if want := "bob takes over alice's shifts on primary from Wed 2026-03-04 01:00 to Thu 2026-03-05 01:00 CET (override ovr-1)."; done.Summary != want {
		t.Errorf("accepted summary = %q, want %q", done.Summary, want)
	}
}
