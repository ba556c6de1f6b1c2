package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Reminders tells the owner team of each overdue action item, once, in
// the team's business hours: a low-urgency notice to whoever is on call
// for the team (every member when nobody is), on each one's first contact
// method, never a page.
type Reminders struct{ *env }

const (
	// remindBatch is how many remindable items one transaction reads.
	remindBatch = 100
	// pollRemind is how often reminders are looked for: an item that
	// fell due at night waits for the morning, a minute more or less.
	pollRemind = 30 * time.Second
)

// RunOnce reminds the owners of the items overdue now whose team is in
// its business hours, and reports how many items it reminded of. Each
// item is marked reminded in the transaction that queues its notices, so
// that neither a second replica (PostgreSQL skips the items another
// transaction holds) nor a restart reminds twice.
func (r *Reminders) RunOnce(ctx context.Context) (int, error) {
	now := r.now().UTC()
	snap := r.org.Snapshot()
	total := 0
	var after int64
	for range 1000 { // at most 100,000 items a round
		var page, reminded int
		var last int64
		err := r.store.Update(ctx, func(tx store.Tx) error {
			page, reminded, last = 0, 0, after
			items, err := tx.RemindableActionItems(now, after, remindBatch)
			if err != nil {
				return err
			}
			page = len(items)
			for _, it := range items {
				last = it.ID
				cal := snap.TeamCalendar(it.OwnerTeam)
				if !postmortem.ShouldRemind(it, now, cal) {
					continue // outside the team's business hours: later
				}
				if err := r.remind(tx, snap, it, cal.Location, now); err != nil {
					return fmt.Errorf("action item %d: %w", it.ID, err)
				}
				reminded++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("remind of overdue action items: %w", err)
		}
		total += reminded
		after = last
		if page < remindBatch {
			break
		}
	}
	if total > 0 {
		wake(r.wakeDispatch)
	}
	return total, nil
}

// remind queues the notices of one overdue item, marks it reminded and
// says so on the incident's timeline.
func (r *Reminders) remind(tx store.Tx, snap *org.Snapshot, it postmortem.ActionItem, loc *time.Location, now time.Time) error {
	body, err := json.Marshal(postmortem.ReminderOf(it, loc))
	if err != nil {
		return err
	}
	var recipients []string
	if team := snap.Team(it.OwnerTeam); team != nil {
		recipients = r.oncall.TeamOnCall(snap, team, now)
		if len(recipients) == 0 {
			recipients = team.Members
		}
	}
	// The due time is part of the key: an item given a later due time
	// that passes too is reminded again.
	run := fmt.Sprintf("item%d-due%d", it.ID, it.Due.Unix())
	var names []string
	for _, user := range recipients {
		ns := pageNotifications(snap, it.IncidentID, user, notify.KindReminder, run, 0, 0, now)
		if len(ns) == 0 {
			continue
		}
		ns[0].Body = body // once, on the first method: a reminder chases nobody
		if err := tx.InsertNotifications(ns[0]); err != nil {
			return err
		}
		names = append(names, user)
	}
	if err := tx.MarkReminded(it.ID, now); err != nil {
		return err
	}
	msg := fmt.Sprintf("action item %d (%s) is overdue: team %s reminded (%s)", it.ID, it.Title, it.OwnerTeam, strings.Join(names, ", "))
	if len(names) == 0 {
		msg = fmt.Sprintf("action item %d (%s) is overdue, and team %s has nobody to remind", it.ID, it.Title, it.OwnerTeam)
	}
	return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: it.IncidentID, At: now, Kind: incident.EntryPostmortem, Actor: "system", Message: msg})
}

// reminderMessage words a reminder's notification from its body: about
// the post-mortem, with no acknowledge or resolve link, as it is no page.
func reminderMessage(n notify.Notification, base string) notify.Message {
	var rem postmortem.Reminder
	_ = json.Unmarshal(n.Body, &rem) // written by remind; an unreadable one still goes, untitled
	if rem.Title == "" {
		rem.Title = "Overdue action item"
	}
	b := NoticeBody{Title: rem.Title, Summary: rem.Summary}
	if n.IncidentID != 0 {
		b.Path = fmt.Sprintf("/postmortems/%d", n.IncidentID)
	}
	return textMessage(n, b, base)
}
