package pipeline

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// DefaultNotificationLimits is the least time between two messages to one
// person through one kind of contact method, unless org
// notification_limits says otherwise. Phones are the strictest: during a
// storm a person gets one SMS a minute that says how many more alerts it
// stands for, not forty.
var DefaultNotificationLimits = map[string]time.Duration{
	catalog.MethodSMS:        time.Minute,
	catalog.MethodVoice:      3 * time.Minute,
	catalog.MethodEmail:      time.Minute,
	catalog.MethodSlack:      10 * time.Second,
	catalog.MethodTeams:      10 * time.Second,
	catalog.MethodMattermost: 10 * time.Second,
	catalog.MethodNtfy:       10 * time.Second,
}

func notificationLimit(snap *org.Snapshot, methodType string) time.Duration {
	if d, ok := snap.Bundle.Org.NotificationLimits[methodType]; ok {
		return d.Std()
	}
	return DefaultNotificationLimits[methodType]
}

// groupByRecipient groups claimed notifications by person and contact
// method, each group by lane (critical first), then oldest first: the
// message that stands for a storm's batch is the page that matters.
// Notices of others' actions group apart, so that a page never goes out as
// one of them.
func groupByRecipient(ns []notify.Notification) [][]notify.Notification {
	index := map[[3]string]int{}
	var groups [][]notify.Notification
	for _, n := range ns {
		k := [3]string{n.UserID, n.ContactMethod}
		if n.Kind == notify.KindNotice {
			k[2] = n.Kind
		}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], n)
	}
	for _, g := range groups {
		sort.SliceStable(g, func(i, j int) bool {
			if g[i].Lane != g[j].Lane {
				return g[i].Lane > g[j].Lane
			}
			return g[i].DueAt.Before(g[j].DueAt)
		})
	}
	return groups
}

// sendGroup delivers the notifications due for one person through one
// contact method: those no longer needed are cancelled; within the
// method's limit after the last message they wait; otherwise one message
// goes out for the first, saying how many more it stands for.
func (d *Dispatcher) sendGroup(ctx context.Context, snap *org.Snapshot, group []notify.Notification, now time.Time) []outcome {
	var out []outcome
	var live []notify.Notification
	// Each incident is read once for the group: the read decides whether a
	// page is still needed and then fills the message.
	incidents := map[int64]loadedIncident{}
	services := map[int64]string{}
	for _, n := range group {
		if n.IncidentID != 0 {
			l, ok := incidents[n.IncidentID]
			if !ok {
				l.inc, l.err = d.store.GetIncident(ctx, n.IncidentID)
				incidents[n.IncidentID] = l
			}
			if l.err == nil && (n.Kind == notify.KindPage || n.Kind == notify.KindLowUrgency) {
				if l.inc.Status != alert.StatusTriggered {
					out = append(out, outcome{n: n, cancelled: "incident " + string(l.inc.Status), at: now})
					continue
				}
			}
			if l.err == nil && n.Kind != notify.KindUpdate && n.Kind != notify.KindTest {
				services[n.ID] = l.inc.Service
			}
		}
		live = append(live, n)
	}
	if len(live) == 0 {
		return out
	}
	// A test and an event for a webhook always go as themselves.
	if limit := notificationLimit(snap, live[0].MethodType); limit > 0 && live[0].Kind != notify.KindTest && live[0].Kind != notify.KindEvent {
		if last := d.lastSent(ctx, live[0]); !last.IsZero() && now.Before(last.Add(limit)) {
			for _, n := range live {
				out = append(out, outcome{n: n, deferUntil: last.Add(limit)})
			}
			return out
		}
		if len(live) > 1 {
			first := live[0]
			seen := map[string]bool{}
			for _, n := range live[1:] {
				if s := services[n.ID]; s != "" && !seen[s] {
					seen[s] = true
					first.MoreServices = append(first.MoreServices, s)
				}
			}
			sort.Strings(first.MoreServices)
			first.More = len(live) - 1
			res := d.send(ctx, snap, first, incidents[first.IncidentID])
			out = append(out, res)
			for _, n := range live[1:] {
				if res.err == nil && res.cancelled == "" {
					out = append(out, outcome{n: n, batchedInto: first.ID, at: res.at})
				} else {
					// The batch did not go out: each tries again on its own.
					out = append(out, outcome{n: n, deferUntil: now.Add(time.Second)})
				}
			}
			return out
		}
	}
	// No limit for this method: each goes as itself, at once.
	sent := make([]outcome, len(live))
	var wg sync.WaitGroup
	for i, n := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent[i] = d.send(ctx, snap, n, incidents[n.IncidentID])
		}()
	}
	wg.Wait()
	return append(out, sent...)
}

// lastSent is when a message last went to the person of next through its
// contact method, or zero. A notice of others' actions never holds back a
// page: only notices wait for notices.
func (d *Dispatcher) lastSent(ctx context.Context, next notify.Notification) time.Time {
	ns, err := d.store.ListNotifications(ctx, store.NotificationQuery{UserID: next.UserID, Statuses: []string{notify.StatusSent}, Limit: 50})
	if err != nil {
		d.log.Warn("notification limits: list sent", "user", next.UserID, "err", err)
		return time.Time{}
	}
	var last time.Time
	for _, n := range ns {
		if n.Kind == notify.KindNotice && next.Kind != notify.KindNotice {
			continue
		}
		if n.ContactMethod == next.ContactMethod && n.SentAt != nil && n.SentAt.After(last) {
			last = *n.SentAt
		}
	}
	return last
}
