package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/store"
)

// newPostmortem is a draft of incident id, owned by team, with one action
// item per due minute given.
func newPostmortem(id int64, team string, status postmortem.Status, dues ...int) *postmortem.Postmortem {
	p := &postmortem.Postmortem{
		ID: id, IncidentID: id, Title: fmt.Sprintf("incident %d", id), Status: status, Version: 1, OwnerTeam: team,
		Sections:        postmortem.Sections{Summary: "It broke.", ContributingFactors: "- a missing alert"},
		RequiredBecause: []string{"severity SEV2"}, Required: true, Due: ptr(at(60 * 24)),
		Facts:     postmortem.Facts{Severity: "SEV2", DetectedAt: at(0), Teams: []string{team}},
		CreatedAt: at(1), CreatedBy: "user:alice", UpdatedAt: at(1), UpdatedBy: "user:alice",
		ActionItems: []postmortem.ActionItem{},
	}
	for i, due := range dues {
		p.ActionItems = append(p.ActionItems, postmortem.ActionItem{
			Title: fmt.Sprintf("item %d.%d", id, i+1), OwnerTeam: team, Due: at(due), Status: postmortem.ItemOpen,
			CreatedAt: at(1), UpdatedAt: at(1),
		})
	}
	return p
}

func itemTitle(it postmortem.ActionItem) string { return it.Title }

func testPostmortemRoundTrip(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.GetPostmortem(ctx, 12); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetPostmortem of nothing: %v, want ErrNotFound", err)
	}
	p := newPostmortem(12, "payments", postmortem.StatusDraft, 30, 60)
	p.ActionItems[1].URL = "https://tracker.example.com/T-1"
	p.ActionItems[1].RemindedAt = ptr(at(61))
	p.CreatedAt = p.CreatedAt.Add(123 * time.Nanosecond) // below the microsecond both keep
	insertAll(t, s, store.Tx.InsertPostmortem, p)
	if p.ActionItems[0].ID == 0 || p.ActionItems[1].ID <= p.ActionItems[0].ID {
		t.Fatalf("item IDs %d, %d: want them set, in order", p.ActionItems[0].ID, p.ActionItems[1].ID)
	}
	want := *p
	want.CreatedAt = at(1)
	want.ActionItems = append([]postmortem.ActionItem(nil), p.ActionItems...)
	for i := range want.ActionItems {
		want.ActionItems[i].IncidentID = 12
	}
	readBack(t, s, 12, want, s.GetPostmortem, store.Tx.GetPostmortem)

	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.InsertPostmortem(newPostmortem(12, "other", postmortem.StatusDraft, 5))
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second post-mortem of incident 12: %v, want ErrConflict", err)
	}
	got, _ := s.GetPostmortem(ctx, 12)
	assertSame(t, "post-mortem after a refused second one", got, want)
	if items, _ := s.ListActionItems(ctx, store.ActionItemQuery{}); len(items) != 2 {
		t.Errorf("%d action items stored, want the first post-mortem's 2", len(items))
	}
}

func testPostmortemVersions(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	insertAll(t, s, store.Tx.InsertPostmortem, newPostmortem(1, "payments", postmortem.StatusDraft, 10, 20, 30), newPostmortem(2, "data", postmortem.StatusDraft, 40))
	stored, _ := s.GetPostmortem(ctx, 1)
	other, _ := s.GetPostmortem(ctx, 2)

	// An edit on version 1: item 1 done, item 2 removed, a new one added.
	edit := stored
	edit.Version, edit.Status, edit.Summary, edit.UpdatedAt = 2, postmortem.StatusInReview, "Reviewed.", at(100)
	edit.ActionItems = []postmortem.ActionItem{stored.ActionItems[0], stored.ActionItems[2],
		{Title: "item 1.4", OwnerTeam: "data", Due: at(50), Status: postmortem.ItemOpen, CreatedAt: at(100), UpdatedAt: at(100)}}
	edit.ActionItems[0].Status, edit.ActionItems[0].UpdatedAt = postmortem.ItemDone, at(100)
	update(t, s, func(tx store.Tx) error { return tx.UpdatePostmortem(&edit, 1) })
	if edit.ActionItems[2].ID <= other.ActionItems[0].ID {
		t.Errorf("the new item got ID %d", edit.ActionItems[2].ID)
	}
	got, _ := s.GetPostmortem(ctx, 1)
	if got.Version != 2 || got.Status != postmortem.StatusInReview || got.Summary != "Reviewed." ||
		labels(got.ActionItems, itemTitle) != "item 1.1 item 1.3 item 1.4" || got.ActionItems[0].Status != postmortem.ItemDone || got.ActionItems[2].IncidentID != 1 {
		t.Fatalf("after the edit: version %d %s %q, items %s", got.Version, got.Status, got.Summary, labels(got.ActionItems, itemTitle))
	}

	// A concurrent edit made on version 1 is refused, and changes nothing.
	stale := stored
	stale.Version, stale.Summary = 2, "Lost?"
	stale.ActionItems = nil
	err := s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePostmortem(&stale, 1) })
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "version 2, not 1") {
		t.Fatalf("a stale edit: %v, want ErrConflict saying the versions", err)
	}
	after, _ := s.GetPostmortem(ctx, 1)
	assertSame(t, "after a stale edit", after, got)

	// An item of another post-mortem cannot be taken over; nothing is written.
	steal := got
	steal.Version = 3
	steal.ActionItems = append(append([]postmortem.ActionItem(nil), got.ActionItems...), other.ActionItems[0])
	err = s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePostmortem(&steal, 2) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("taking incident 2's item: %v, want ErrNotFound", err)
	}
	after, _ = s.GetPostmortem(ctx, 1)
	assertSame(t, "after a refused edit", after, got)
	if o, _ := s.GetPostmortem(ctx, 2); o.ActionItems[0].IncidentID != 2 {
		t.Errorf("incident 2's item moved to %d", o.ActionItems[0].IncidentID)
	}

	missing := newPostmortem(9, "data", postmortem.StatusDraft)
	missing.Version = 2
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePostmortem(missing, 1) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a post-mortem that does not exist: %v, want ErrNotFound", err)
	}
}

func testListPostmortems(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	insertAll(t, s, store.Tx.InsertPostmortem,
		newPostmortem(1, "payments", postmortem.StatusPublished, 10),
		newPostmortem(2, "data", postmortem.StatusDraft),
		newPostmortem(3, "payments", postmortem.StatusInReview, 20, 30),
		newPostmortem(4, "payments", postmortem.StatusDraft, 40))
	title := func(p postmortem.Postmortem) string {
		return fmt.Sprintf("%d:%d", p.IncidentID, len(p.ActionItems))
	}
	for _, c := range []struct {
		q    store.PostmortemQuery
		want string
	}{
		{store.PostmortemQuery{}, "4:1 3:2 2:0 1:1"},
		{store.PostmortemQuery{Team: "payments"}, "4:1 3:2 1:1"},
		{store.PostmortemQuery{Statuses: []string{"draft", "in_review"}}, "4:1 3:2 2:0"},
		{store.PostmortemQuery{Team: "payments", BeforeID: 4, Limit: 1}, "3:2"},
		{store.PostmortemQuery{Team: "nobody"}, ""},
		{store.PostmortemQuery{Team: "pay\x00"}, "error"},
	} {
		if got, err := listed(s.ListPostmortems, c.q, title); got != c.want {
			t.Errorf("ListPostmortems(%+v) = %q (%v), want %q", c.q, got, err, c.want)
		}
	}
}

// listed returns the labels of what list returns for q, or "error" and
// the error when it fails.
func listed[Q, T any](list func(context.Context, Q) ([]T, error), q Q, label func(T) string) (string, error) {
	items, err := list(context.Background(), q)
	if err != nil {
		return "error", err
	}
	return labels(items, label), nil
}

func testListActionItems(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	a, b := newPostmortem(1, "payments", postmortem.StatusPublished, 30, 10), newPostmortem(2, "data", postmortem.StatusDraft, 20, 50)
	b.ActionItems[1].Status = postmortem.ItemDone
	insertAll(t, s, store.Tx.InsertPostmortem, a, b)
	for _, c := range []struct {
		q    store.ActionItemQuery
		want string
	}{
		{store.ActionItemQuery{}, "item 2.2 item 2.1 item 1.2 item 1.1"},
		{store.ActionItemQuery{Statuses: []string{"open"}}, "item 2.1 item 1.2 item 1.1"},
		{store.ActionItemQuery{Team: "payments"}, "item 1.2 item 1.1"},
		{store.ActionItemQuery{IncidentID: 2}, "item 2.2 item 2.1"},
		{store.ActionItemQuery{ID: b.ActionItems[0].ID}, "item 2.1"},
		{store.ActionItemQuery{DueBefore: at(30)}, "item 2.1 item 1.2"},
		{store.ActionItemQuery{DueFrom: at(30)}, "item 2.2 item 1.1"},
		{store.ActionItemQuery{Limit: 2, BeforeID: b.ActionItems[0].ID}, "item 1.2 item 1.1"},
		{store.ActionItemQuery{Statuses: []string{"\xff"}}, "error"},
	} {
		if got, err := listed(s.ListActionItems, c.q, itemTitle); got != c.want {
			t.Errorf("ListActionItems(%+v) = %q (%v), want %q", c.q, got, err, c.want)
		}
	}
	overdue, err := store.OverdueActionItems(ctx, s, at(31), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(overdue, itemTitle); got != "item 1.2 item 2.1 item 1.1" || !overdue[0].Overdue {
		t.Errorf("overdue at minute 31: %q, want the most overdue first, each marked", got)
	}
	if overdue, _ := store.OverdueActionItems(ctx, s, at(31), "data"); labels(overdue, itemTitle) != "item 2.1" {
		t.Errorf("overdue items of data: %q", labels(overdue, itemTitle))
	}
	// The risks report reads every open item, soonest due first, with the
	// service its incident opened on (none for an incident not stored).
	insertAll(t, s, store.Tx.InsertIncident, newIncident("i1", "checkout", t0))
	open, err := s.ReportActionItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := labels(open, func(it report.ActionItem) string {
		return fmt.Sprintf("%s:%s:%d:%s", it.ID, it.Title, it.Incident, it.Service)
	})
	want := fmt.Sprintf("%d:item 1.2:1:checkout %d:item 2.1:2: %d:item 1.1:1:checkout", a.ActionItems[1].ID, b.ActionItems[0].ID, a.ActionItems[0].ID)
	if got != want || !open[0].Due.Equal(at(10)) || open[0].OwnerTeam != "payments" {
		t.Errorf("ReportActionItems = %q, want %q", got, want)
	}
}

func testRemindableActionItems(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	p := newPostmortem(1, "payments", postmortem.StatusPublished, 10, 20, 30, 40)
	p.ActionItems[1].Status = postmortem.ItemWontDo
	p.ActionItems[2].RemindedAt = ptr(at(35))
	insertAll(t, s, store.Tx.InsertPostmortem, p)
	take := func(now int, after int64, limit int) string {
		var got []postmortem.ActionItem
		update(t, s, func(tx store.Tx) error {
			var err error
			got, err = tx.RemindableActionItems(at(now), after, limit)
			return err
		})
		return labels(got, itemTitle)
	}
	if got := take(10, 0, 10); got != "" {
		t.Errorf("due at minute 10, asked at 10: %q, want nothing (not yet past due)", got)
	}
	if got := take(50, 0, 10); got != "item 1.1 item 1.4" {
		t.Errorf("at minute 50: %q, want the open, not yet reminded ones", got)
	}
	if got := take(50, p.ActionItems[0].ID, 10); got != "item 1.4" {
		t.Errorf("after item 1: %q", got)
	}
	if got := take(50, 0, 1); got != "item 1.1" {
		t.Errorf("limit 1: %q", got)
	}
	update(t, s, func(tx store.Tx) error { return tx.MarkReminded(p.ActionItems[0].ID, at(50)) })
	if got := take(60, 0, 10); got != "item 1.4" {
		t.Errorf("after reminding item 1: %q", got)
	}
	stored, _ := s.GetPostmortem(context.Background(), 1)
	if r := stored.ActionItems[0].RemindedAt; r == nil || !r.Equal(at(50)) {
		t.Errorf("reminded at %v", r)
	}
	if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.MarkReminded(999, at(50)) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reminding an unknown item: %v", err)
	}
}

func testPostmortemRejected(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	for _, c := range []struct {
		name   string
		mangle func(p *postmortem.Postmortem)
	}{
		{"NUL in the owner team", func(p *postmortem.Postmortem) { p.OwnerTeam = "pay\x00" }},
		{"no status", func(p *postmortem.Postmortem) { p.Status = "" }},
		{"no incident", func(p *postmortem.Postmortem) { p.IncidentID = 0 }},
		{"invalid UTF-8 in a section", func(p *postmortem.Postmortem) { p.Summary = "\xff" }},
		{"invalid UTF-8 in an item's title", func(p *postmortem.Postmortem) { p.ActionItems[0].Title = "a\xc3(" }},
		{"an item without a title", func(p *postmortem.Postmortem) { p.ActionItems[0].Title = "" }},
		{"an item without a due time", func(p *postmortem.Postmortem) { p.ActionItems[0].Due = time.Time{} }},
		{"NUL in an item's URL", func(p *postmortem.Postmortem) { p.ActionItems[0].URL = "https://x\x00" }},
	} {
		p := newPostmortem(1, "payments", postmortem.StatusDraft, 10)
		c.mangle(p)
		if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.InsertPostmortem(p) }); err == nil {
			t.Errorf("%s: stored", c.name)
		}
	}
	if ps, _ := s.ListPostmortems(context.Background(), store.PostmortemQuery{}); len(ps) != 0 {
		t.Errorf("%d post-mortems stored from refused input", len(ps))
	}
}

// testPostmortemConcurrentEdits: editors who read the same version and
// write at once lose nothing silently: one wins, the others are refused.
func testPostmortemConcurrentEdits(t *testing.T, newStore func(t *testing.T) store.Store) {
	const editors = 4
	s := newStore(t)
	insertAll(t, s, store.Tx.InsertPostmortem, newPostmortem(1, "payments", postmortem.StatusDraft, 10))
	var wg sync.WaitGroup
	errs := make([]error, editors)
	for e := range editors {
		wg.Go(func() {
			errs[e] = s.Update(context.Background(), func(tx store.Tx) error {
				p, err := tx.GetPostmortem(1)
				if err != nil {
					return err
				}
				if p.Version != 1 {
					return fmt.Errorf("read at version %d: %w", p.Version, store.ErrConflict)
				}
				p.Version, p.Summary = 2, fmt.Sprintf("editor %d", e)
				return tx.UpdatePostmortem(&p, 1)
			})
		})
	}
	wg.Wait()
	won := 0
	for e, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("editor %d: %v", e, err)
		}
	}
	p, _ := s.GetPostmortem(context.Background(), 1)
	if won != 1 || p.Version != 2 || !strings.HasPrefix(p.Summary, "editor ") {
		t.Errorf("%d editors won, version %d, summary %q: want exactly one", won, p.Version, p.Summary)
	}
}
