package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

const (
	// dispatchBatch is how many notifications one dispatch round sends
	// concurrently.
	dispatchBatch = 128
	// defaultClaimLease is how long a claimed notification is ours unless
	// Options.ClaimLease says otherwise; a dispatcher that dies leaves it
	// to be claimed again after this. The dispatcher renews its claims
	// while it sends (every third of the lease), so a slow send keeps its
	// claim and the lease can be shorter than the send timeout: a replica
	// that dies strands its pages for at most this long.
	defaultClaimLease = 10 * time.Second
	// sendTimeout bounds one delivery attempt.
	sendTimeout = 10 * time.Second
	// linkLifetime is how long acknowledge/resolve links work.
	linkLifetime = 24 * time.Hour
)

// outcome of one delivery attempt.
type outcome struct {
	n         notify.Notification
	cancelled string // why it is no longer needed, when it is not
	err       error
	at        time.Time
	// deferUntil postpones a notification that came too soon after the
	// last message to the same person and method.
	deferUntil time.Time
	// batchedInto is the notification whose message stood for this one.
	batchedInto int64
}

// DispatchDue sends the notifications that are due, and reports how many
// it handled.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	now := d.now().UTC()
	var claimed []notify.Notification
	err := d.store.Update(ctx, func(tx store.Tx) error {
		var err error
		claimed, err = tx.ClaimNotifications(now, d.claimLease, dispatchBatch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("claim notifications: %w", err)
	}
	if len(claimed) == 0 {
		return 0, nil
	}
	snap := d.org.Snapshot()
	groups := groupByRecipient(claimed)
	parts := make([][]outcome, len(groups))
	release := d.holdClaims(ctx, claimed)
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i] = d.sendGroup(ctx, snap, g, now)
		}()
	}
	wg.Wait()
	release()
	var results []outcome
	for _, part := range parts {
		results = append(results, part...)
	}
	err = d.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
		for _, r := range results {
			if err := d.record(ctx, tx, snap, r); err != nil {
				return fmt.Errorf("notification %d: %w", r.n.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record deliveries: %w", err)
	}
	return len(claimed), nil
}

// holdClaims renews the claims on ns every third of the lease until
// release is called (once the sends are done, before their outcomes are
// recorded): the claims of a live dispatcher never end mid-send, those of
// a dead one end within a lease.
func (d *Dispatcher) holdClaims(ctx context.Context, ns []notify.Notification) (release func()) {
	ids := make([]int64, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { // owner: RunOnce, through release
		defer close(done)
		t := time.NewTicker(d.claimLease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := d.now().UTC()
			err := d.store.Update(ctx, func(tx store.Tx) error {
				_, err := tx.RenewClaims(ids, now, now.Add(d.claimLease))
				return err
			})
			if err != nil && ctx.Err() == nil {
				d.log.Warn("renew notification claims", "notifications", len(ids), "err", err)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// loadedIncident is the incident a notification is about, as sendGroup
// read it (or why it could not).
type loadedIncident struct {
	inc incident.Incident
	err error
}

// send delivers one notification that sendGroup found still needed; l is
// its incident (zero when the notification is about none).
func (d *Dispatcher) send(ctx context.Context, snap *org.Snapshot, n notify.Notification, l loadedIncident) outcome {
	if n.Kind == notify.KindEvent {
		return d.sendEvent(ctx, snap, n)
	}
	out := outcome{n: n}
	inc := l.inc
	if n.IncidentID != 0 && l.err != nil {
		out.err, out.at = fmt.Errorf("load incident: %w", l.err), d.now().UTC()
		return out
	}
	u := snap.User(n.UserID)
	if u == nil {
		out.err, out.at = &notify.PermanentError{Err: fmt.Errorf("user %s no longer exists", n.UserID)}, d.now().UTC()
		return out
	}
	cm := u.ContactMethod(n.ContactMethod)
	if cm == nil {
		out.err, out.at = &notify.PermanentError{Err: fmt.Errorf("contact method %s no longer exists", n.ContactMethod)}, d.now().UTC()
		return out
	}
	ch := d.channels[cm.Type]
	if ch == nil {
		out.err, out.at = &notify.PermanentError{Err: fmt.Errorf("no channel delivers %s contact methods yet", cm.Type)}, d.now().UTC()
		return out
	}
	if err := d.phones.Check(ctx, snap, u, cm); err != nil {
		out.err, out.at = err, d.now().UTC()
		return out
	}
	msg := d.message(snap, n, inc)
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	out.err = ch.Send(ctx, destination(u, cm, d.getenv), msg)
	out.at = d.now().UTC()
	return out
}

func destination(u *catalog.User, cm *catalog.ContactMethod, getenv func(string) string) notify.Destination {
	d := notify.Destination{
		UserID: u.ID, UserName: u.Name, Type: cm.Type,
		URL: cm.URL, Address: cm.Address, Number: cm.Number, WebhookURL: cm.WebhookURL, Topic: cm.Topic,
	}
	if cm.SecretEnv != "" {
		d.Secret = getenv(cm.SecretEnv)
	}
	return d
}

// message says what the notification is about, with signed action links.
func (d *Dispatcher) message(snap *org.Snapshot, n notify.Notification, inc incident.Incident) notify.Message {
	base := strings.TrimRight(d.publicURL, "/")
	if n.Kind == notify.KindReminder {
		return reminderMessage(n, base)
	}
	if n.Kind == notify.KindNotice {
		return noticeMessage(n, inc, base)
	}
	if b, ok := noticeOf(n); ok {
		return textMessage(n, b, base)
	}
	m := notify.Message{
		IdempotencyKey: n.IdempotencyKey, Kind: n.Kind, IncidentID: inc.ID,
		Title: inc.Title, Service: inc.Service, Severity: string(inc.Severity), Urgency: string(inc.Urgency), Status: string(inc.Status),
		NotificationID: n.ID, UserID: n.UserID,
	}
	if svc := snap.Service(inc.Service); svc != nil && svc.Name != "" {
		m.Summary = fmt.Sprintf("%s on %s (%s)", inc.Severity, svc.Name, svc.ID)
	} else {
		m.Summary = fmt.Sprintf("%s on %s", inc.Severity, inc.Service)
	}
	if n.Kind == notify.KindUpdate {
		var u updateMessage
		if json.Unmarshal(n.Body, &u) == nil && u.Message != "" {
			m.Title = "Update: " + inc.Title
			m.Summary = u.Message
		}
	}
	m.MoreAlerts = n.More
	m.Summary += andMore(n, "alerts")
	if n.Kind == notify.KindTest {
		m.Title = "Test notification from Vigil"
		m.Summary = "This is a test of contact method " + n.ContactMethod
	}
	if base != "" && len(d.callbackKey) > 0 {
		m.PublicURL = base
		m.CallbackToken = notify.CallbackToken(d.callbackKey, n.ID, inc.ID, n.UserID)
	}
	if inc.ID != 0 {
		m.IncidentURL = fmt.Sprintf("%s/incidents/%d", base, inc.ID)
		if d.signer != nil {
			sign := func(verb string) string {
				a, err := d.signer.NewAction(inc.ID, verb, n.UserID, n.ID, linkLifetime)
				if err != nil {
					d.log.Error("sign action link", "err", err)
					return ""
				}
				return base + "/a/" + d.signer.Sign(a)
			}
			m.AcknowledgeURL = sign(links.VerbAcknowledge)
			m.ResolveURL = sign(links.VerbResolve)
		}
	}
	return m
}

// andMore says how many more a message stands for (a storm), and on
// which services; "" when it stands for itself alone.
func andMore(n notify.Notification, what string) string {
	if n.More == 0 {
		return ""
	}
	s := fmt.Sprintf(" — and %d more %s", n.More, what)
	if len(n.MoreServices) > 0 {
		s += " on " + strings.Join(n.MoreServices, ", ")
	}
	return s
}

// record stores the outcome of one attempt: sent, cancelled, retried later
// or failed (then the user's next method is tried at once).
func (d *Dispatcher) record(ctx context.Context, tx store.Tx, snap *org.Snapshot, r outcome) error {
	r = withProviderReport(tx, r)
	n := r.n
	n.ClaimedUntil = nil
	n.More, n.MoreServices = 0, nil
	if !r.deferUntil.IsZero() {
		n.Status, n.DueAt = notify.StatusPending, r.deferUntil
		return tx.UpdateNotification(&n)
	}
	if r.batchedInto != 0 {
		n.Status, n.SentAt, n.LastError = notify.StatusSent, &r.at, fmt.Sprintf("batched into notification %d", r.batchedInto)
		attempt := &notify.Attempt{NotificationID: n.ID, IncidentID: n.IncidentID, UserID: n.UserID, MethodType: n.MethodType,
			ContactMethod: n.ContactMethod, At: r.at, TimeZone: n.TimeZone, Outcome: "batched"}
		return storeAttempt(tx, &n, attempt, func() string {
			return fmt.Sprintf("notified %s via %s (%s), batched with other alerts into one message", n.UserID, n.MethodType, n.ContactMethod)
		})
	}
	if r.cancelled != "" {
		n.Status = notify.StatusCancelled
		n.LastError = r.cancelled
		d.metrics.cancelled.Inc()
		return tx.UpdateNotification(&n)
	}
	n.Attempts++
	attempt := &notify.Attempt{NotificationID: n.ID, IncidentID: n.IncidentID, UserID: n.UserID, MethodType: n.MethodType,
		ContactMethod: n.ContactMethod, At: r.at, TimeZone: n.TimeZone}
	if r.err == nil {
		n.Status, n.SentAt, n.LastError = notify.StatusSent, &r.at, ""
		attempt.Outcome = "sent"
		d.metrics.sent.Inc()
		return storeAttempt(tx, &n, attempt, func() string {
			return fmt.Sprintf("notified %s via %s (%s)", n.UserID, n.MethodType, n.ContactMethod)
		})
	}
	d.metrics.failed.Inc()
	n.LastError = d.failureReason(snap, n, r.err.Error())
	attempt.Error = n.LastError
	delay, retry := notify.NextAttempt(n.Attempts, r.err, nil)
	d.logFailure("notification attempt failed", n, n.LastError, retry)
	if retry {
		n.Status = notify.StatusPending
		n.DueAt = r.at.Add(delay)
		attempt.Outcome = "retry"
		return storeAttempt(tx, &n, attempt, nil)
	}
	n.Status = notify.StatusFailed
	attempt.Outcome = "failed"
	return storeAttempt(tx, &n, attempt, func() string {
		msg := fmt.Sprintf("notification to %s via %s (%s) failed after %d attempt(s): %s", n.UserID, n.MethodType, n.ContactMethod, n.Attempts, n.LastError)
		if next := d.failover(ctx, tx, snap, n, r.at); next != "" {
			msg += "; failing over to " + next
		}
		return msg
	})
}

// storeAttempt writes an attempt and its notification and, when the
// notification is about an incident, the timeline entry message gives:
// message runs only then, after the writes (a failover reads them), and
// nil means no entry.
func storeAttempt(tx store.Tx, n *notify.Notification, attempt *notify.Attempt, message func() string) error {
	if err := tx.QueueAttempt(attempt, n.Kind); err != nil {
		return err
	}
	if err := tx.UpdateNotification(n); err != nil {
		return err
	}
	if n.IncidentID == 0 || message == nil || n.Kind == notify.KindEvent {
		return nil
	}
	return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: n.IncidentID, At: attempt.At, Kind: incident.EntryNotified, Actor: "system", Channel: n.MethodType, Message: message()})
}

// failover moves a failed page on to the user's next contact method (in
// the order of the notification rules, then of the contact methods): a page
// already queued for that method by a later rule is sent at once; a method
// that already reached the person ends the failover; otherwise a new page
// is queued, due now. It returns the method's id, or "" when there is none.
func (d *Dispatcher) failover(ctx context.Context, tx store.Tx, snap *org.Snapshot, failed notify.Notification, now time.Time) string {
	if failed.Kind != notify.KindPage {
		return ""
	}
	u := snap.User(failed.UserID)
	if u == nil {
		return ""
	}
	order := make([]string, 0, len(u.ContactMethods))
	seen := map[string]bool{}
	for _, r := range u.NotificationRules {
		if !seen[r.ContactMethod] && u.ContactMethod(r.ContactMethod) != nil {
			seen[r.ContactMethod] = true
			order = append(order, r.ContactMethod)
		}
	}
	for _, cm := range u.ContactMethods {
		if !seen[cm.ID] {
			seen[cm.ID] = true
			order = append(order, cm.ID)
		}
	}
	pos := -1
	for i, id := range order {
		if id == failed.ContactMethod {
			pos = i
		}
	}
	if pos < 0 {
		return ""
	}
	existing, err := d.store.ListNotifications(ctx, store.NotificationQuery{IncidentID: failed.IncidentID, UserID: u.ID, Limit: 1000})
	if err != nil {
		d.log.Error("failover: list notifications", "err", err)
		return ""
	}
	for _, next := range order[pos+1:] {
		state := ""
		for _, n := range existing {
			if n.ContactMethod == next && n.Kind == failed.Kind && n.Step == failed.Step && n.Round == failed.Round && n.ID != failed.ID {
				if state == "" || n.Status == notify.StatusPending || n.Status == notify.StatusSent {
					state = n.Status
					if n.Status == notify.StatusPending {
						pending, err := tx.GetNotification(n.ID)
						if err == nil && pending.Status == notify.StatusPending {
							pending.DueAt = now
							if tx.UpdateNotification(&pending) == nil {
								wake(d.wakeDispatch)
								return next
							}
						}
					}
				}
			}
		}
		switch state {
		case notify.StatusSent, notify.StatusSending:
			return "" // that method already reached the person
		case notify.StatusFailed, notify.StatusCancelled:
			continue
		}
		cm := u.ContactMethod(next)
		n := &notify.Notification{
			IncidentID: failed.IncidentID, Kind: failed.Kind, UserID: u.ID,
			ContactMethod: cm.ID, MethodType: cm.Type, RuleIndex: -1,
			Step: failed.Step, Round: failed.Round, TimeZone: u.TimeZone,
			IdempotencyKey: failed.IdempotencyKey + "-failover-" + cm.ID,
			Status:         notify.StatusPending, DueAt: now, CreatedAt: now,
		}
		if err := tx.InsertNotifications(n); err != nil || n.ID == 0 {
			return "" // failed over to it before (the same key)
		}
		wake(d.wakeDispatch)
		return cm.ID
	}
	return ""
}
