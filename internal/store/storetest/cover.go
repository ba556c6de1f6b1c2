package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/vigil-oncall/vigil/internal/cover"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

func newCoverRequest(schedule, requester string, open bool) *cover.Request {
	return &cover.Request{Schedule: schedule, Requester: requester, Start: at(60), End: at(120), Open: open, Message: "dentist",
		Status: cover.Open, Candidates: []string{"bob", "carol"}, CreatedAt: at(1), CreatedBy: "user:" + requester}
}

func testCoverRequests(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.GetCoverRequest(ctx, 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetCoverRequest of nothing: %v, want ErrNotFound", err)
	}
	a, b, c := newCoverRequest("primary", "alice", false), newCoverRequest("primary", "bob", true), newCoverRequest("backup", "carol", false)
	insertAll(t, s, store.Tx.InsertCoverRequest, a, b, c)
	if a.ID == 0 || b.ID <= a.ID || c.ID <= b.ID {
		t.Fatalf("ids %d, %d, %d: want them set, increasing", a.ID, b.ID, c.ID)
	}
	got, err := s.GetCoverRequest(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "stored request", got, *a)

	accepted := *a
	accepted.Status, accepted.AcceptedBy, accepted.AcceptedAt, accepted.OverrideID = cover.Accepted, "bob", ptr(at(5)), "ovr-1"
	update(t, s, func(tx store.Tx) error { return tx.UpdateCoverRequest(&accepted, cover.Open) })
	got, _ = s.GetCoverRequest(ctx, a.ID)
	assertSame(t, "accepted request", got, accepted)
	again := accepted
	again.AcceptedBy = "carol"
	err = s.Update(ctx, func(tx store.Tx) error { return tx.UpdateCoverRequest(&again, cover.Open) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("accepting an accepted request: %v, want ErrConflict", err)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		return tx.UpdateCoverRequest(&cover.Request{ID: 999, Schedule: "x", Requester: "y", Status: cover.Accepted, Start: at(1), End: at(2), CreatedAt: at(1)}, cover.Open)
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("updating a request that does not exist: %v, want ErrNotFound", err)
	}

	ids := func(q store.CoverRequestQuery) string {
		rs, err := s.ListCoverRequests(ctx, q)
		if err != nil {
			t.Fatalf("ListCoverRequests(%+v): %v", q, err)
		}
		out := ""
		for _, r := range rs {
			out += fmt.Sprintf("%d ", r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    store.CoverRequestQuery
		want string
	}{
		{"all, newest first", store.CoverRequestQuery{}, fmt.Sprintf("%d %d %d ", c.ID, b.ID, a.ID)},
		{"one schedule", store.CoverRequestQuery{Schedule: "primary"}, fmt.Sprintf("%d %d ", b.ID, a.ID)},
		{"open ones", store.CoverRequestQuery{Statuses: []string{"open"}}, fmt.Sprintf("%d %d ", c.ID, b.ID)},
		{"made or accepted by bob", store.CoverRequestQuery{User: "bob"}, fmt.Sprintf("%d %d ", b.ID, a.ID)},
		{"paged", store.CoverRequestQuery{BeforeID: c.ID, Limit: 1}, fmt.Sprintf("%d ", b.ID)},
	} {
		if got := ids(tc.q); got != tc.want {
			t.Errorf("%s: ids %q, want %q", tc.name, got, tc.want)
		}
	}

	bad := newCoverRequest("primary", "al\xffice", false)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.InsertCoverRequest(bad) }); err == nil {
		t.Error("a requester that is not UTF-8 was stored")
	}
	if _, err := s.ListCoverRequests(ctx, store.CoverRequestQuery{User: "\xff"}); err == nil {
		t.Error("a user filter that is not UTF-8 was taken")
	}
}

// Two people accepting one request at once: exactly one wins, and only
// the winner's override and audit entry are written.
func testCoverRequestRace(t *testing.T, newStore func(t *testing.T) store.Store) {
	const acceptors = 6
	s := newStore(t)
	ctx := context.Background()
	r := newCoverRequest("primary", "alice", true)
	insertAll(t, s, store.Tx.InsertCoverRequest, r)
	before, err := s.ConfigVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, acceptors)
	start := make(chan struct{})
	for i := range acceptors {
		wg.Go(func() {
			<-start
			errs[i] = s.Update(ctx, func(tx store.Tx) error {
				who := fmt.Sprintf("user-%d", i)
				mine := *r
				mine.Status, mine.AcceptedBy, mine.OverrideID = cover.Accepted, who, "ovr-"+who
				if err := tx.UpdateCoverRequest(&mine, cover.Open); err != nil {
					return err
				}
				o := object("schedule_override", mine.OverrideID, fmt.Sprintf(`{"user":%q}`, who))
				return tx.ApplyChanges(put(o), []store.AuditEntry{{At: at(2), Actor: "user:" + who, Action: "cover.accept", Kind: "cover_request", ObjID: "1"}})
			})
		})
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("acceptors %d and %d both won", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("acceptor %d: %v, want ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("nobody won")
	}
	got, _ := s.GetCoverRequest(ctx, r.ID)
	overrides, _ := s.ListObjects(ctx, "schedule_override")
	audit, _ := s.ListAudit(ctx, store.AuditQuery{Kind: "cover_request", Limit: 100})
	after, _ := s.ConfigVersion(ctx)
	winner := fmt.Sprintf("user-%d", won)
	if got.AcceptedBy != winner || len(overrides) != 1 || overrides[0].ID != "ovr-"+winner || len(audit) != 1 || audit[0].Actor != "user:"+winner || after != before+1 {
		t.Errorf("after the race: accepted by %q, overrides %v, %d audit entries, config version %d -> %d; want only %s's, one bump",
			got.AcceptedBy, overrides, len(audit), before, after, winner)
	}
}

// The pending notices of one request are cancelled, and nothing else.
func testCancelNoticesByKey(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	notice := func(key, kind string, incident int64, status string) *notify.Notification {
		return &notify.Notification{IncidentID: incident, Kind: kind, UserID: "bob", ContactMethod: "bob-hook", MethodType: "webhook", RuleIndex: -1,
			IdempotencyKey: key, Status: status, DueAt: at(1), CreatedAt: at(1)}
	}
	ns := []*notify.Notification{
		notice("cover-1-ask-bob", "cover_request", 0, notify.StatusPending),
		notice("cover-1-ask-carol", "cover_request", 0, notify.StatusPending),
		notice("cover-1-ask-dana", "cover_request", 0, notify.StatusSent),
		notice("cover-12-ask-bob", "cover_request", 0, notify.StatusPending),
		notice("cover-1-accepted-bob", "cover_accepted", 0, notify.StatusPending),
		notice("cover-1-ask-erin", "cover_request", 7, notify.StatusPending),
	}
	insertAll(t, s, func(tx store.Tx, n *notify.Notification) error { return tx.InsertNotifications(n) }, ns...)
	var n int
	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.CancelNoticesByKey("cover_request", "cover-1-")
		return err
	})
	if n != 2 {
		t.Errorf("cancelled %d notices, want 2", n)
	}
	want := []string{notify.StatusCancelled, notify.StatusCancelled, notify.StatusSent, notify.StatusPending, notify.StatusPending, notify.StatusPending}
	update(t, s, func(tx store.Tx) error {
		for i, x := range ns {
			got, err := tx.GetNotification(x.ID)
			if err != nil {
				return err
			}
			if got.Status != want[i] {
				t.Errorf("%s: status %s, want %s", x.IdempotencyKey, got.Status, want[i])
			}
		}
		return nil
	})
}
