package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/store"
)

// batchTx reads once per processing transaction what each event of a
// storm would otherwise read again: which of the batch's alerts are open
// (in a storm, most are new), the changes that rank a new incident's
// suspects (every incident of a batch is opened at the batch's now, so the
// query is the same for a service) and its service's maintenance windows.
// What the transaction writes of any of them forgets what was read of it.
type batchTx struct {
	store.Tx
	// absent are the alerts, by integration and dedup key, known to have
	// no open alert.
	absent      map[[2]string]bool
	changes     map[string][]change.Event
	maintenance map[string][]store.MaintenanceWindow
}

func newBatchTx(tx store.Tx) *batchTx {
	return &batchTx{Tx: tx, absent: map[[2]string]bool{}, changes: map[string][]change.Event{}, maintenance: map[string][]store.MaintenanceWindow{}}
}

// readOpenAlerts learns, in one read per integration, which of the alert
// events (decoded, as decodeAlerts returns them) have no open alert yet.
func (t *batchTx) readOpenAlerts(events []store.InboxEvent, decoded []*ingest.Event) error {
	byKey := map[string][]string{}
	for i, ev := range events {
		if e := decoded[i]; e != nil && e.DedupKey != "" {
			byKey[ev.IntegrationKey] = append(byKey[ev.IntegrationKey], e.DedupKey)
		}
	}
	for key, dedupKeys := range byKey {
		open, err := t.Tx.OpenDedupKeys(key, dedupKeys)
		if err != nil {
			return err
		}
		for _, k := range dedupKeys {
			t.absent[[2]string{key, k}] = true
		}
		for _, k := range open {
			delete(t.absent, [2]string{key, k})
		}
	}
	// Each alert not open yet is a new alert and, but for grouping, a
	// new incident.
	t.Tx.ExpectRows(len(t.absent), len(t.absent))
	return nil
}

func (t *batchTx) OpenAlert(integrationKey, dedupKey string) (alert.Alert, error) {
	if t.absent[[2]string{integrationKey, dedupKey}] {
		return alert.Alert{}, fmt.Errorf("open alert %q/%q: %w", integrationKey, dedupKey, store.ErrNotFound)
	}
	return t.Tx.OpenAlert(integrationKey, dedupKey)
}

func (t *batchTx) InsertAlert(a *alert.Alert) error {
	delete(t.absent, [2]string{a.IntegrationKey, a.DedupKey})
	return t.Tx.InsertAlert(a)
}

func (t *batchTx) QueueAlert(a *alert.Alert) error {
	delete(t.absent, [2]string{a.IntegrationKey, a.DedupKey})
	return t.Tx.QueueAlert(a)
}

// ListChanges answers a query asked before in this transaction from what
// it read then. Callers only read the slice.
func (t *batchTx) ListChanges(q store.ChangeQuery) ([]change.Event, error) {
	return remember(t.changes, changeQueryKey(q), func() ([]change.Event, error) { return t.Tx.ListChanges(q) })
}

// remember answers from m what read answered before for key.
func remember[V any](m map[string]V, key string, read func() (V, error)) (V, error) {
	if v, ok := m[key]; ok {
		return v, nil
	}
	v, err := read()
	if err == nil {
		m[key] = v
	}
	return v, err
}

func (t *batchTx) InsertChange(c *change.Event) error {
	clear(t.changes)
	return t.Tx.InsertChange(c)
}

func changeQueryKey(q store.ChangeQuery) string {
	var b strings.Builder
	for _, s := range q.Services {
		b.WriteString(s)
		b.WriteByte(0)
	}
	for _, n := range []int64{q.Since.UnixNano(), q.Until.UnixNano(), q.BeforeID, int64(q.Limit)} {
		b.WriteString(strconv.FormatInt(n, 36))
		b.WriteByte(0)
	}
	return b.String()
}

func (t *batchTx) ActiveMaintenance(service string, at time.Time) ([]store.MaintenanceWindow, error) {
	key := service + "\x00" + strconv.FormatInt(at.UnixNano(), 36)
	return remember(t.maintenance, key, func() ([]store.MaintenanceWindow, error) { return t.Tx.ActiveMaintenance(service, at) })
}

func (t *batchTx) InsertMaintenance(w *store.MaintenanceWindow) error {
	clear(t.maintenance)
	return t.Tx.InsertMaintenance(w)
}

func (t *batchTx) DeleteMaintenance(id int64) error {
	clear(t.maintenance)
	return t.Tx.DeleteMaintenance(id)
}
