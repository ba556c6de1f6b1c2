package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

// ErrBadCallback is returned for a callback whose token does not match.
var ErrBadCallback = errors.New("callback token does not match")

// reportsDelivery are the contact methods whose provider reports what
// became of a message (Twilio's status callbacks): only their outcomes
// are read again, for a report that came while the send was recorded.
var reportsDelivery = map[string]bool{catalog.MethodSMS: true, catalog.MethodVoice: true}

// Provider delivery states, as Twilio reports them for messages
// (MessageStatus) and calls (CallStatus).
var (
	deliveredStates = map[string]bool{"delivered": true, "read": true, "completed": true, "in-progress": true, "answered": true}
	failedStates    = map[string]bool{"failed": true, "undelivered": true, "canceled": true, "busy": true, "no-answer": true}
)

// DeliveryReport applies what the provider says became of a notification
// it accepted (a Twilio status callback): delivered marks it delivered;
// failed, undelivered, busy, no-answer and canceled fail it and fail over
// to the user's next contact method; other states are noted. token must be
// the notification's CallbackToken. detail (an error code) goes into the
// notification's error.
func (d *Dispatcher) DeliveryReport(ctx context.Context, notificationID int64, token, state, detail string) error {
	state = strings.ToLower(strings.TrimSpace(state))
	if state == "" || len(state) > 32 || strings.Trim(state, "abcdefghijklmnopqrstuvwxyz-_") != "" {
		return fmt.Errorf("%w: delivery state %q", ErrInvalid, truncateText(state, 40))
	}
	return d.deliveryUpdate(ctx, notificationID, func(n notify.Notification) error {
		if !notify.CheckCallbackToken(d.callbackKey, token, n.ID, n.IncidentID, n.UserID) {
			return ErrBadCallback
		}
		return nil
	}, state, detail)
}

// DeliveryFailed fails a notification that a provider accepted and then
// could not deliver, and fails over to the user's next contact method.
func (d *Dispatcher) DeliveryFailed(ctx context.Context, notificationID int64, reason string) error {
	return d.deliveryUpdate(ctx, notificationID, func(notify.Notification) error { return nil }, "failed", reason)
}

func (d *Dispatcher) deliveryUpdate(ctx context.Context, notificationID int64, check func(notify.Notification) error, state, detail string) error {
	snap := d.org.Snapshot()
	now := d.now().UTC()
	failedOver := false
	err := d.store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.GetNotification(notificationID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: notification %d", ErrNotFound, notificationID)
		}
		if err != nil {
			return err
		}
		if err := check(n); err != nil {
			return err
		}
		if final(n.ProviderStatus) && !final(state) {
			return nil // a late report of an earlier state
		}
		if n.ProviderStatus == state {
			return nil // a repeated report
		}
		n.ProviderStatus = state
		switch {
		case deliveredStates[state]:
			if n.DeliveredAt == nil {
				n.DeliveredAt = &now
			}
			return tx.UpdateNotification(&n)
		case !failedStates[state]:
			return tx.UpdateNotification(&n)
		}
		// Still being recorded by the dispatcher, which reads the report
		// when it does (withProviderReport).
		if n.Status != notify.StatusSent {
			return tx.UpdateNotification(&n)
		}
		n.Status = notify.StatusFailed
		n.LastError = d.failureReason(snap, n, providerError(state, detail))
		if err := tx.UpdateNotification(&n); err != nil {
			return err
		}
		d.metrics.failed.Inc()
		d.logFailure("notification not delivered, the provider reports", n, n.LastError, false)
		if n.IncidentID == 0 {
			return nil
		}
		msg := fmt.Sprintf("notification to %s via %s (%s) not delivered: %s", n.UserID, n.MethodType, n.ContactMethod, n.LastError)
		if next := d.failover(ctx, tx, snap, n, now); next != "" {
			msg += "; failing over to " + next
			failedOver = true
		}
		return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: n.IncidentID, At: now, Kind: incident.EntryNotified, Actor: "system",
			Channel: n.MethodType, Message: msg})
	})
	if failedOver {
		wake(d.wakeDispatch)
	}
	return err
}

// withProviderReport folds a delivery report that arrived while the
// dispatcher was still recording the send into its outcome: a failure the
// provider reported turns the send into a permanent failure.
func withProviderReport(tx store.Tx, r outcome) outcome {
	if r.cancelled != "" || r.err != nil || r.n.ID == 0 || !reportsDelivery[r.n.MethodType] {
		return r
	}
	cur, err := tx.GetNotification(r.n.ID)
	if err != nil || cur.ProviderStatus == "" {
		return r
	}
	r.n.ProviderStatus, r.n.DeliveredAt = cur.ProviderStatus, cur.DeliveredAt
	if failedStates[cur.ProviderStatus] {
		r.err = &notify.PermanentError{Err: errors.New(providerError(cur.ProviderStatus, ""))}
	}
	return r
}

func final(state string) bool { return deliveredStates[state] || failedStates[state] }

func providerError(state, detail string) string {
	msg := "provider reported " + state
	if detail = strings.TrimSpace(detail); detail != "" {
		msg += " (" + truncateText(detail, 200) + ")"
	}
	return msg
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
