package pipeline

import (
	"context"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

// pagingTx notes whether a transaction queued a notification that is due
// at once, so that whoever queued it need not say so.
type pagingTx struct {
	store.Tx
	dueNow bool
}

func (t *pagingTx) InsertNotifications(ns ...*notify.Notification) error {
	if err := t.Tx.InsertNotifications(ns...); err != nil {
		return err
	}
	for _, n := range ns {
		// ID 0: queued before under the same idempotency key.
		if n.ID != 0 && !n.DueAt.After(n.CreatedAt) {
			t.dueNow = true
		}
	}
	return nil
}

// QueueNotifications cannot tell a row whose key was taken: a wake for
// one that was not queued after all costs the dispatcher an empty claim.
func (t *pagingTx) QueueNotifications(ns ...*notify.Notification) error {
	if err := t.Tx.QueueNotifications(ns...); err != nil {
		return err
	}
	for _, n := range ns {
		if !n.DueAt.After(n.CreatedAt) {
			t.dueNow = true
		}
	}
	return nil
}

// update runs fn in one transaction and, once it has committed, wakes the
// dispatcher when fn queued a notification due at once: the page goes out
// without waiting for the dispatcher's next poll.
func (e *env) update(ctx context.Context, fn func(tx store.Tx) error) error {
	dueNow := false
	err := e.store.Update(ctx, func(tx store.Tx) error {
		ptx := &pagingTx{Tx: tx}
		err := fn(ptx)
		dueNow = ptx.dueNow
		return err
	})
	if err == nil && dueNow {
		wake(e.wakeDispatch)
	}
	return err
}
