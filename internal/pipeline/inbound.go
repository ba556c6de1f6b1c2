package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/phone"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Errors of inbound requests (SMS replies, key presses, chat buttons).
var (
	ErrReplayed = errors.New("this request was already handled")
)

// ActOnce acknowledges or resolves an incident for an inbound request
// (verb is notify.VerbAcknowledge or notify.VerbResolve). A non-empty
// nonce, such as the provider's message id, is recorded in the same
// transaction, so that a replayed request acts no second time
// (ErrReplayed).
func (ib *Inbound) ActOnce(ctx context.Context, nonce string, incidentID int64, verb string, by Actor) (incident.Incident, error) {
	if verb != notify.VerbAcknowledge && verb != notify.VerbResolve {
		return incident.Incident{}, fmt.Errorf("%w: verb %q", ErrInvalid, verb)
	}
	now := ib.now().UTC()
	var out incident.Incident
	err := ib.store.Update(ctx, func(tx store.Tx) error {
		if nonce != "" {
			first, err := tx.UseOnce("inbound:"+nonce, now)
			if err != nil {
				return err
			}
			if !first {
				return ErrReplayed
			}
		}
		inc, err := tx.GetIncident(incidentID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: incident %d", ErrNotFound, incidentID)
		}
		if err != nil {
			return err
		}
		if verb == notify.VerbAcknowledge {
			err = ib.flow.acknowledge(tx, &inc, by.Name, by.Channel, now)
		} else {
			err = ib.flow.resolve(tx, &inc, by.Name, by.Channel, "", now)
		}
		out = inc
		return err
	})
	return out, err
}

// CheckCallback reports whether token is the callback token of this
// notification, incident and user (see notify.CallbackToken).
func (ib *Inbound) CheckCallback(token string, notificationID, incidentID int64, userID string) bool {
	return notify.CheckCallbackToken(ib.callbackKey, token, notificationID, incidentID, userID)
}

// inboundLookback is how many of a user's latest notifications are looked
// through for the incident a bare "ack" means.
const inboundLookback = 200

// LatestOpenIncident returns the newest open incident the user was
// notified about (a reply without an incident number means it).
func (ib *Inbound) LatestOpenIncident(ctx context.Context, userID string) (incident.Incident, error) {
	ns, err := ib.store.ListNotifications(ctx, store.NotificationQuery{UserID: userID, Limit: inboundLookback})
	if err != nil {
		return incident.Incident{}, fmt.Errorf("notifications of %s: %w", userID, err)
	}
	seen := map[int64]bool{}
	for _, n := range ns {
		if n.IncidentID == 0 || n.Kind == notify.KindTest || seen[n.IncidentID] {
			continue
		}
		seen[n.IncidentID] = true
		inc, err := ib.store.GetIncident(ctx, n.IncidentID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return incident.Incident{}, err
		}
		if inc.Status != alert.StatusResolved {
			return inc, nil
		}
	}
	return incident.Incident{}, fmt.Errorf("%w: no open incident was sent to %s", ErrNotFound, userID)
}

// SendTest queues a test notification to one of a user's contact methods,
// due now, and returns it.
func (d *Dispatcher) SendTest(ctx context.Context, userID, contactMethod string, by Actor) (notify.Notification, error) {
	snap := d.org.Snapshot()
	u, cm, err := phone.Lookup(snap, userID, contactMethod)
	if err != nil {
		return notify.Notification{}, err
	}
	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return notify.Notification{}, fmt.Errorf("test notification key: %w", err)
	}
	now := d.now().UTC()
	n := notify.Notification{
		Kind: notify.KindTest, UserID: u.ID, ContactMethod: cm.ID, MethodType: cm.Type, RuleIndex: -1,
		TimeZone: u.TimeZone, IdempotencyKey: "test-" + u.ID + "-" + cm.ID + "-" + hex.EncodeToString(suffix[:]),
		Status: notify.StatusPending, DueAt: now, CreatedAt: now,
	}
	err = d.update(ctx, func(tx store.Tx) error {
		if err := tx.InsertNotifications(&n); err != nil {
			return err
		}
		if n.ID == 0 {
			return fmt.Errorf("test notification %s was queued before", n.IdempotencyKey)
		}
		return tx.Audit(store.AuditEntry{At: now, Actor: by.Name, Action: "contact_method.test", Kind: store.KindUser, ObjID: u.ID,
			Details: fmt.Sprintf("test notification %d to %s contact method %s", n.ID, cm.Type, cm.ID)})
	})
	if err != nil {
		return notify.Notification{}, err
	}
	return n, nil
}
