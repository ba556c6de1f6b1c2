package pipeline

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
)

// NoticeBody is what a notice about no incident says (a cover request,
// a swap made): its headline, a sentence, and the path of the page it
// links to under the public URL.
type NoticeBody struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Path    string `json:"path"`
}

// Notice makes the outbox row of one notice to a person: once, on the
// method a page would reach first, as a low-urgency notice goes, due at
// due and keyed key. Nil when the person has no contact method.
func Notice(snap *org.Snapshot, userID, kind, key string, due, now time.Time, body NoticeBody) (*notify.Notification, error) {
	ns := pageNotifications(snap, 0, userID, kind, "notice", 0, 0, due)
	if len(ns) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode notice %s: %w", key, err)
	}
	n := ns[0]
	n.IdempotencyKey, n.DueAt, n.CreatedAt, n.Body = key, due, now, b
	return n, nil
}

// noticeOf reads the body of a notice about no incident.
func noticeOf(n notify.Notification) (NoticeBody, bool) {
	var b NoticeBody
	if n.IncidentID != 0 || len(n.Body) == 0 || json.Unmarshal(n.Body, &b) != nil || b.Title == "" {
		return NoticeBody{}, false
	}
	return b, true
}

// textMessage words a notice about no incident: no acknowledge or
// resolve link, as it is no page, and a link to the page it is about.
func textMessage(n notify.Notification, b NoticeBody, base string) notify.Message {
	m := notify.Message{
		IdempotencyKey: n.IdempotencyKey, Kind: n.Kind, Title: b.Title, Summary: b.Summary,
		Urgency: string(incident.UrgencyLow), NotificationID: n.ID, UserID: n.UserID,
	}
	if b.Path != "" {
		m.IncidentURL = base + b.Path
	}
	return m
}
