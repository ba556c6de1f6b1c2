// Package swap runs cover requests (shift swaps): it checks a request
// against the schedule as served, stores it with a notice to each
// candidate for their business hours, and on acceptance stores the
// override, the acceptance, both audit entries and the notices to both
// people in one transaction, so that of two people accepting at once
// exactly one gets the shifts.
package swap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-oncall/vigil/internal/cover"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// AuditKind is the audit log's kind for cover requests.
const AuditKind = "cover_request"

// Store is what cover requests need of the database.
type Store interface {
	store.Pipeline
	store.CoverRequests
}

// Options configures Swaps.
type Options struct {
	Store Store
	Org   *org.Manager
	// Engine compiles a schedule of a snapshot as it is served (with the
	// overrides made through the API).
	Engine func(snap *org.Snapshot, schedule string) (*schedule.Engine, error)
	Now    func() time.Time
}

// Swaps makes, accepts and cancels cover requests.
type Swaps struct {
	store  Store
	org    *org.Manager
	engine func(*org.Snapshot, string) (*schedule.Engine, error)
	now    func() time.Time
}

// New returns Swaps on o.
func New(o Options) *Swaps {
	return &Swaps{store: o.Store, org: o.Org, engine: o.Engine, now: o.Now}
}

// ErrNotFound is returned for an unknown request, schedule or user.
var ErrNotFound = errors.New("not found")

// Request stores a new request made by actor, and a notice to each
// candidate at the start of their next business hours.
func (s *Swaps) Request(ctx context.Context, r cover.Request, actor string) (cover.Request, error) {
	snap := s.org.Snapshot()
	now := s.now().UTC()
	sch := snap.Schedule(r.Schedule)
	if sch == nil {
		return r, fmt.Errorf("schedule %.64q: %w", r.Schedule, ErrNotFound)
	}
	if snap.User(r.Requester) == nil {
		return r, fmt.Errorf("user %.64q: %w", r.Requester, ErrNotFound)
	}
	e, err := s.engine(snap, r.Schedule)
	if err != nil {
		return r, fmt.Errorf("compile schedule %s: %w", r.Schedule, err)
	}
	if _, err := cover.Check(r, e, now); err != nil {
		return r, err
	}
	r.ID, r.Status, r.CreatedAt, r.CreatedBy = 0, cover.Open, now, actor
	r.AcceptedBy, r.AcceptedAt, r.OverrideID, r.CancelledAt, r.CancelledBy = "", nil, "", nil, ""
	r.Candidates = cover.Candidates(snap.Bundle.Users, snap.Teams(), sch, r.Requester, r.Open)
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.InsertCoverRequest(&r); err != nil {
			return err
		}
		for _, c := range r.Candidates {
			if err := s.notice(tx, snap, r, c, notify.KindCoverRequest, "ask", cover.AskNotice, now); err != nil {
				return err
			}
		}
		return tx.Audit(auditEntry(r, now, actor, "cover.request", nil, fmt.Sprintf("%s asks for cover on %s from %s to %s; %d candidates told",
			r.Requester, r.Schedule, r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339), len(r.Candidates))))
	})
	if err != nil {
		return r, fmt.Errorf("store the cover request: %w", err)
	}
	return r, nil
}

// notice queues what a cover notification says to user, for their next
// business hours, its span in their own zone.
func (s *Swaps) notice(tx store.Tx, snap *org.Snapshot, r cover.Request, user, kind, what string, say func(cover.Request, *time.Location) cover.Notice, now time.Time) error {
	loc := zoneOf(snap, user)
	due := snap.Hours().NextBusiness(now, loc)
	text := say(r, loc)
	n, err := pipeline.Notice(snap, user, kind, fmt.Sprintf("cover-%d-%s-%s", r.ID, what, user), due, now, pipeline.NoticeBody{
		Title: text.Title, Summary: text.Summary, Path: fmt.Sprintf("/schedules/%s?cover=%d", url.PathEscape(r.Schedule), r.ID),
	})
	if err != nil || n == nil {
		return err
	}
	return tx.InsertNotifications(n)
}

func zoneOf(snap *org.Snapshot, user string) *time.Location {
	if u := snap.User(user); u != nil && u.TimeZone != "" {
		if loc, err := time.LoadLocation(u.TimeZone); err == nil {
			return loc
		}
	}
	return time.UTC
}

func auditEntry(r cover.Request, now time.Time, actor, action string, before *cover.Request, details string) store.AuditEntry {
	e := store.AuditEntry{At: now, Actor: actor, Action: action, Kind: AuditKind, ObjID: strconv.FormatInt(r.ID, 10), Details: details}
	e.After, _ = json.Marshal(r)
	if before != nil {
		e.Before, _ = json.Marshal(before)
	}
	return e
}

// Accept gives request id's span to user through an override that
// replaces the requester; actor is who asked (user, or an admin for
// them). cover.ErrClosed when it was accepted (by anyone) or withdrawn
// first.
func (s *Swaps) Accept(ctx context.Context, id int64, user, actor string) (cover.Request, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return r, err
	}
	snap := s.org.Snapshot()
	if snap.User(user) == nil {
		return r, fmt.Errorf("user %.64q: %w", user, ErrNotFound)
	}
	now := s.now().UTC()
	accepted, o, err := cover.Accept(r, user, now)
	if err != nil {
		return r, err
	}
	if accepted.OverrideID, err = org.NewOverrideID(); err != nil {
		return r, err
	}
	write := func(ctx context.Context, changes []store.Change, audit []store.AuditEntry) error {
		return s.store.Update(ctx, func(tx store.Tx) error {
			if err := tx.UpdateCoverRequest(&accepted, cover.Open); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("%w: request %d was accepted or withdrawn first", cover.ErrClosed, id)
				}
				return err
			}
			if err := tx.ApplyChanges(changes, audit); err != nil {
				return err
			}
			if _, err := tx.CancelNoticesByKey(notify.KindCoverRequest, fmt.Sprintf("cover-%d-", id)); err != nil {
				return err
			}
			for _, who := range []string{accepted.Requester, accepted.AcceptedBy} {
				if err := s.notice(tx, snap, accepted, who, notify.KindCoverAccepted, "accepted", cover.AcceptedNotice, now); err != nil {
					return err
				}
			}
			return tx.Audit(auditEntry(accepted, now, actor, "cover.accept", &r, fmt.Sprintf("%s covers for %s on %s from %s to %s (override %s)",
				accepted.AcceptedBy, accepted.Requester, accepted.Schedule, accepted.Start.Format(time.RFC3339), accepted.End.Format(time.RFC3339), accepted.OverrideID)))
		})
	}
	_, err = s.org.AddScheduleOverrideVia(ctx, org.ScheduleOverride{
		ID: accepted.OverrideID, Schedule: r.Schedule, User: o.User, Replaces: o.Replaces, Start: o.Start, End: o.End,
	}, actor, write)
	if err != nil {
		return r, err
	}
	return accepted, nil
}

// Cancel withdraws request id; allowed checks that actor may.
func (s *Swaps) Cancel(ctx context.Context, id int64, actor string, allowed func(cover.Request) error) (cover.Request, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return r, err
	}
	if err := allowed(r); err != nil {
		return r, err
	}
	now := s.now().UTC()
	cancelled, err := cover.Cancel(r, actor, now)
	if err != nil {
		return r, err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.UpdateCoverRequest(&cancelled, cover.Open); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: request %d was accepted or withdrawn first", cover.ErrClosed, id)
			}
			return err
		}
		if _, err := tx.CancelNoticesByKey(notify.KindCoverRequest, fmt.Sprintf("cover-%d-", id)); err != nil {
			return err
		}
		return tx.Audit(auditEntry(cancelled, now, actor, "cover.cancel", &r, "withdrawn"))
	})
	if err != nil {
		return r, err
	}
	return cancelled, nil
}

// Get returns one request, its status as of now.
func (s *Swaps) Get(ctx context.Context, id int64) (cover.Request, error) {
	r, err := s.store.GetCoverRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, fmt.Errorf("cover request %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	r.Status = r.StatusAt(s.now())
	return r, nil
}

// List returns requests, newest first, each with its status as of now:
// asking for expired ones asks for stored open ones whose span ended. next
// is the BeforeID of the next page, 0 on the last.
func (s *Swaps) List(ctx context.Context, q store.CoverRequestQuery) (rs []cover.Request, next int64, err error) {
	want := slices.Clone(q.Statuses)
	if slices.Contains(want, string(cover.Expired)) && !slices.Contains(want, string(cover.Open)) {
		q.Statuses = append(slices.DeleteFunc(slices.Clone(want), func(s string) bool { return s == string(cover.Expired) }), string(cover.Open))
	}
	rs, err = s.store.ListCoverRequests(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	if len(rs) > 0 && len(rs) == q.Limit {
		next = rs[len(rs)-1].ID
	}
	now := s.now()
	out := rs[:0]
	for _, r := range rs {
		r.Status = r.StatusAt(now)
		if len(want) == 0 || slices.Contains(want, string(r.Status)) {
			out = append(out, r)
		}
	}
	return out, next, nil
}
