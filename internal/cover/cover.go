// Package cover holds the rules of shift swaps: a person on call asks for
// cover for a span of their shifts (whole or part), their teammates (or
// anyone, for an open request) are told in business hours, and the first to
// accept takes the span over through an override that replaces the
// requester. It is pure: no I/O, no clock; the instant is passed in.
package cover

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

// Status is where a request stands.
type Status string

// The statuses. A request is open until someone accepts it, its requester
// (or an admin) cancels it, or its span ends unaccepted (expired, which is
// read from the clock and never stored).
const (
	Open      Status = "open"
	Accepted  Status = "accepted"
	Cancelled Status = "cancelled"
	Expired   Status = "expired"
)

// MaxSpan bounds one request: a swap longer than a month is a change of
// the rotation, made in the schedule itself.
const MaxSpan = 31 * 24 * time.Hour

// MaxMessage bounds the note a requester adds.
const MaxMessage = 1000

// Request is one request for cover.
type Request struct {
	ID        int64     `json:"id"`
	Schedule  string    `json:"schedule"`
	Requester string    `json:"requester"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	// Open requests may be accepted by anyone, not only teammates.
	Open    bool   `json:"open"`
	Message string `json:"message,omitempty"`
	Status  Status `json:"status"`
	// Candidates are those told of the request and allowed to accept it
	// (for an open request: everyone told; anyone else may accept too).
	Candidates []string  `json:"candidates"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	// AcceptedBy took the span over through the override OverrideID.
	AcceptedBy string     `json:"accepted_by,omitempty"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	OverrideID string     `json:"override_id,omitempty"`
	// CancelledAt and CancelledBy say who withdrew the request.
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
	CancelledBy string     `json:"cancelled_by,omitempty"`
}

// StatusAt is the request's status at now: an open request whose span has
// ended is expired.
func (r Request) StatusAt(now time.Time) Status {
	if r.Status == Open && !r.End.After(now) {
		return Expired
	}
	return r.Status
}

// Errors of the rules; the API answers ErrInvalid with 400, ErrNotAllowed
// with 403 and ErrClosed with 409.
var (
	ErrInvalid    = errors.New("invalid cover request")
	ErrNotAllowed = errors.New("not allowed")
	ErrClosed     = errors.New("the request is no longer open")
)

// Check validates a new request against the schedule's shifts: the span
// is well formed, ends after now, is at most MaxSpan long, and the
// requester is on call for some of it. It returns the requester's shifts
// within the span (clipped to it), which the request gives away.
func Check(r Request, e *schedule.Engine, now time.Time) ([]schedule.Shift, error) {
	switch {
	case r.Schedule == "" || r.Requester == "":
		return nil, fmt.Errorf("%w: schedule and requester are required", ErrInvalid)
	case r.Start.IsZero() || r.End.IsZero():
		return nil, fmt.Errorf("%w: start and end are required", ErrInvalid)
	case !r.End.After(r.Start):
		return nil, fmt.Errorf("%w: end (%s) must be after start (%s)", ErrInvalid, r.End.Format(time.RFC3339), r.Start.Format(time.RFC3339))
	case !r.End.After(now):
		return nil, fmt.Errorf("%w: the span ends (%s) in the past", ErrInvalid, r.End.Format(time.RFC3339))
	case r.End.Sub(r.Start) > MaxSpan:
		return nil, fmt.Errorf("%w: a request covers at most %s; change the rotation for longer", ErrInvalid, MaxSpan)
	case len(r.Message) > MaxMessage:
		return nil, fmt.Errorf("%w: the message is longer than %d bytes", ErrInvalid, MaxMessage)
	}
	shifts, err := e.Shifts(r.Start, r.End)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var own []schedule.Shift
	for _, sh := range shifts {
		if sh.User != r.Requester {
			continue
		}
		sh.Start, sh.End = later(sh.Start, r.Start), earlier(sh.End, r.End)
		if sh.End.After(sh.Start) {
			own = append(own, sh)
		}
	}
	if len(own) == 0 {
		return nil, fmt.Errorf("%w: %s is not on call on schedule %s between %s and %s", ErrInvalid, r.Requester, r.Schedule,
			r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339))
	}
	return own, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Teammates are the people who may cover for requester on a schedule: the
// members of every team whose schedule it is and everyone in its
// rotations, but the requester, sorted.
func Teammates(teams []catalog.Team, s *schedule.Schedule, requester string) []string {
	var out []string
	add := func(u string) {
		if u != requester && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	for _, t := range teams {
		if t.Schedule == s.ID {
			for _, m := range t.Members {
				add(m)
			}
		}
	}
	for _, l := range s.Layers {
		for _, u := range l.Users {
			add(u)
		}
	}
	slices.Sort(out)
	return out
}

// Candidates are who is told of a request: its teammates, or for an open
// request every user (teammates first) but the requester.
func Candidates(users []catalog.User, teams []catalog.Team, s *schedule.Schedule, requester string, open bool) []string {
	out := Teammates(teams, s, requester)
	if !open {
		return out
	}
	for _, u := range users {
		if u.ID != requester && !slices.Contains(out, u.ID) {
			out = append(out, u.ID)
		}
	}
	return out
}

// MayAccept says whether user may take request r over at now: it is open
// and its span has not ended, the user is not the requester, and for a
// request that is not open, the user is one of its candidates.
func MayAccept(r Request, user string, now time.Time) error {
	switch st := r.StatusAt(now); {
	case st != Open:
		return fmt.Errorf("%w: request %d is %s", ErrClosed, r.ID, st)
	case user == r.Requester:
		return fmt.Errorf("%w: %s cannot cover for themself", ErrNotAllowed, user)
	case !r.Open && !slices.Contains(r.Candidates, user):
		return fmt.Errorf("%w: request %d asks %s's teammates only, and %s is not one", ErrNotAllowed, r.ID, r.Requester, user)
	}
	return nil
}

// Accept returns r accepted by user at now, and the override that gives
// them the span: it replaces the requester only, so that where the
// requester was not on call (a part of the span outside their shifts)
// nothing changes.
func Accept(r Request, user string, now time.Time) (Request, schedule.Override, error) {
	if err := MayAccept(r, user, now); err != nil {
		return r, schedule.Override{}, err
	}
	at := now.UTC()
	r.Status, r.AcceptedBy, r.AcceptedAt = Accepted, user, &at
	o := schedule.Override{User: user, Replaces: r.Requester, Start: r.Start, End: r.End}
	return r, o, nil
}

// Cancel returns r withdrawn by actor at now; it must still be open.
func Cancel(r Request, actor string, now time.Time) (Request, error) {
	if st := r.StatusAt(now); st != Open {
		return r, fmt.Errorf("%w: request %d is %s", ErrClosed, r.ID, st)
	}
	at := now.UTC()
	r.Status, r.CancelledAt, r.CancelledBy = Cancelled, &at, actor
	return r, nil
}

// Notice is what a cover notification says.
type Notice struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
}

// span writes a request's span in loc, the reader's zone.
func span(r Request, loc *time.Location) string {
	const layout = "Mon 2006-01-02 15:04"
	return fmt.Sprintf("%s to %s %s", r.Start.In(loc).Format(layout), r.End.In(loc).Format(layout), r.End.In(loc).Format("MST"))
}

// AskNotice tells a candidate of request r, its span in their zone loc.
func AskNotice(r Request, loc *time.Location) Notice {
	n := Notice{
		Title:   fmt.Sprintf("Cover request: %s asks for cover on %s", r.Requester, r.Schedule),
		Summary: fmt.Sprintf("%s asks someone to take over their shifts on %s from %s; the first to accept gets them.", r.Requester, r.Schedule, span(r, loc)),
	}
	if r.Message != "" {
		n.Summary += " " + r.Requester + " says: " + r.Message
	}
	return n
}

// AcceptedNotice tells the requester and the acceptor that the swap is
// made, its span in the reader's zone loc.
func AcceptedNotice(r Request, loc *time.Location) Notice {
	return Notice{
		Title:   fmt.Sprintf("Cover accepted: %s covers for %s on %s", r.AcceptedBy, r.Requester, r.Schedule),
		Summary: fmt.Sprintf("%s takes over %s's shifts on %s from %s (override %s).", r.AcceptedBy, r.Requester, r.Schedule, span(r, loc), r.OverrideID),
	}
}
