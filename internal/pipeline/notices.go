package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// What a notice tells: someone else acted on an incident.
const (
	NoticeAcknowledged = "acknowledged"
	NoticeResolved     = "resolved"
	NoticeReassigned   = "reassigned"
	NoticeEscalated    = "escalated"
)

// notice is what a KindNotice notification says, fixed when it is queued.
type notice struct {
	Event string `json:"event"`
	By    string `json:"by"`   // who acted, an actor name ("user:alice", "system")
	Text  string `json:"text"` // the one line the person reads
}

// pagedUsers lists the people an incident paged, in the order they were
// paged.
func pagedUsers(inc *incident.Incident) []string {
	var users []string
	for _, r := range inc.Responders {
		if r.User != "" && !contains(users, r.User) {
			users = append(users, r.User)
		}
	}
	return users
}

// tellOthers queues one notice for each of users except the one who acted
// (by) and those who opted out, on their first contact method that is not
// a phone call. Notices go through the outbox like pages, so that a storm's
// notices to one person batch as its pages do.
func tellOthers(tx store.Tx, snap *org.Snapshot, inc *incident.Incident, users []string, n notice, now time.Time) error {
	actor, _ := strings.CutPrefix(n.By, "user:")
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("notice: %w", err)
	}
	var out []*notify.Notification
	for _, id := range users {
		u := snap.User(id)
		if id == actor || u == nil || !u.WantsActionNotices() {
			continue
		}
		cm := noticeMethod(u)
		if cm == nil {
			continue
		}
		out = append(out, &notify.Notification{
			IncidentID: inc.ID, Kind: notify.KindNotice, UserID: u.ID,
			ContactMethod: cm.ID, MethodType: cm.Type, RuleIndex: -1, TimeZone: u.TimeZone,
			IdempotencyKey: fmt.Sprintf("vigil-%d-notice-%s-%d-%s", inc.ID, n.Event, now.UnixNano(), u.ID),
			Status:         notify.StatusPending, DueAt: now, CreatedAt: now, Body: body,
		})
	}
	if len(out) == 0 {
		return nil
	}
	return tx.InsertNotifications(out...)
}

// noticeMethod is the user's first contact method that does not ring a
// phone: a notice is never a page.
func noticeMethod(u *catalog.User) *catalog.ContactMethod {
	for i := range u.ContactMethods {
		if u.ContactMethods[i].Type != catalog.MethodVoice {
			return &u.ContactMethods[i]
		}
	}
	return nil
}

// actorName is how a notice names who acted.
func actorName(by string) string {
	if id, ok := strings.CutPrefix(by, "user:"); ok {
		return id
	}
	if by == "" {
		return "system"
	}
	return by
}

// without is xs less every element of ys.
func without(xs, ys []string) []string {
	var out []string
	for _, x := range xs {
		if !contains(ys, x) {
			out = append(out, x)
		}
	}
	return out
}

// noticeMessage is what a notice says: one line, low urgency, a link to
// the incident and none to act on it. A notice that stands for others (a
// storm) says how many.
func noticeMessage(n notify.Notification, inc incident.Incident, base string) notify.Message {
	var body notice
	if err := json.Unmarshal(n.Body, &body); err != nil || body.Text == "" {
		body.Text = fmt.Sprintf("Incident #%d is %s: %s", inc.ID, inc.Status, inc.Title)
	}
	m := notify.Message{
		IdempotencyKey: n.IdempotencyKey, Kind: n.Kind, IncidentID: inc.ID,
		Title: body.Text, Summary: body.Text, Service: inc.Service, Severity: string(inc.Severity),
		Urgency: "low", Status: string(inc.Status), NotificationID: n.ID, UserID: n.UserID,
	}
	m.MoreAlerts = n.More
	m.Summary += andMore(n, "updates")
	if inc.ID != 0 {
		m.IncidentURL = fmt.Sprintf("%s/incidents/%d", base, inc.ID)
	}
	return m
}
