package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
)

// Inbox event kinds.
const (
	InboxAlert     = "alert"     // a normalised alert event (trigger, acknowledge, resolve)
	InboxChange    = "change"    // a change event
	InboxHeartbeat = "heartbeat" // a heartbeat beat
	// InboxEventRule is an event of an org-wide integration that no rule
	// routed to a service (suppressed, or unrouted): kept in the audit
	// log, and unrouted triggers open alerts on the service that takes
	// them.
	InboxEventRule = "event_rule"
)

// InboxEvent is an accepted ingest event, durably stored before the sender
// is answered and processed afterwards, in ID order.
type InboxEvent struct {
	ID             int64           `json:"id"`
	ReceivedAt     time.Time       `json:"received_at"`
	Kind           string          `json:"kind"`
	IntegrationKey string          `json:"integration_key"`
	Service        string          `json:"service"`
	Payload        json.RawMessage `json:"payload"`
	// Lane is the event's processing lane (alert.Lane): TakeInbox takes
	// the events of higher lanes first. DedupKey names the alert an alert
	// event is about: an event is never taken ahead of an earlier one
	// about the same alert, so that a trigger and its resolve apply in
	// order whatever their lanes.
	Lane     int    `json:"lane,omitempty"`
	DedupKey string `json:"dedup_key,omitempty"`
}

// IncidentHead is what correlation weighs of an open incident to place an
// alert against it: its services, the one it opened on first, and when it
// opened. Reading only these of a hundred candidates for every new alert
// costs a fraction of reading them whole.
type IncidentHead struct {
	ID        int64     `json:"id"`
	Services  []string  `json:"services"`
	CreatedAt time.Time `json:"created_at"`
}

// Heartbeat is the state of one heartbeat monitor.
type Heartbeat struct {
	Key        string        `json:"key"`
	Service    string        `json:"service"`
	Interval   time.Duration `json:"interval"`
	LastBeatAt time.Time     `json:"last_beat_at"`
	// Alerting is true while a "no heartbeat" alert is open.
	Alerting bool `json:"alerting"`
}

// MaintenanceWindow suppresses paging for a service between Start and End.
type MaintenanceWindow struct {
	ID        int64     `json:"id"`
	Service   string    `json:"service"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Reason    string    `json:"reason,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// AlertQuery filters alerts. Empty fields do not filter. Results are
// ordered by ID descending (newest first); BeforeID pages.
type AlertQuery struct {
	Service    string
	Statuses   []alert.Status
	DedupKey   string
	IncidentID int64
	// From and To bound when the alerts opened, [From, To); zero bounds
	// do not filter.
	From, To time.Time
	BeforeID int64
	Limit    int
}

// IncidentQuery filters incidents, newest first; BeforeID pages.
type IncidentQuery struct {
	Service  string // incidents with an alert on this service
	Statuses []alert.Status
	BeforeID int64
	Limit    int
}

// NotificationQuery filters notifications, newest first.
type NotificationQuery struct {
	IncidentID int64
	UserID     string
	Statuses   []string
	BeforeID   int64
	Limit      int
}

// ChangeQuery filters change events by service and time, newest first.
type ChangeQuery struct {
	Services []string
	Since    time.Time // inclusive; zero: no bound
	Until    time.Time // exclusive; zero: no bound
	BeforeID int64
	Limit    int
}

// Pipeline is the alert pipeline's persistence: the ingest inbox, alerts,
// incidents and their timelines, escalation state and the notification
// outbox. Writes that must be atomic go through Update.
type Pipeline interface {
	// AppendInbox stores events in one transaction and sets their IDs;
	// when it returns nil the events are durable.
	AppendInbox(ctx context.Context, events []InboxEvent) error
	// Update runs fn in one write transaction, committed when fn returns
	// nil and rolled back otherwise. fn must not do network I/O.
	Update(ctx context.Context, fn func(Tx) error) error

	GetAlert(ctx context.Context, id int64) (alert.Alert, error)
	ListAlerts(ctx context.Context, q AlertQuery) ([]alert.Alert, error)
	GetIncident(ctx context.Context, id int64) (incident.Incident, error)
	ListIncidents(ctx context.Context, q IncidentQuery) ([]incident.Incident, error)
	// Timeline lists an incident's entries oldest first (by At, then ID).
	Timeline(ctx context.Context, incidentID int64) ([]incident.TimelineEntry, error)
	// Timelines is Timeline for many incidents in one query (a page of
	// the incident list): each incident's entries by its id, an incident
	// without entries absent.
	Timelines(ctx context.Context, incidentIDs []int64) (map[int64][]incident.TimelineEntry, error)
	ListNotifications(ctx context.Context, q NotificationQuery) ([]notify.Notification, error)
	// ListAttempts returns a notification's attempts, oldest first.
	ListAttempts(ctx context.Context, notificationID int64) ([]notify.Attempt, error)
	ListChanges(ctx context.Context, q ChangeQuery) ([]change.Event, error)
	GetChange(ctx context.Context, id int64) (change.Event, error)
	// ListMaintenance returns the windows of a service ("": of every
	// service) by start time.
	ListMaintenance(ctx context.Context, service string) ([]MaintenanceWindow, error)
	// InboxBacklog counts events not yet processed.
	InboxBacklog(ctx context.Context) (int, error)
	// Secret returns the named server secret (such as the key that signs
	// action links), creating it from generate on first use, so that every
	// replica shares it.
	Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)
	// PhoneVerifications returns a user's verification states, by contact
	// method id.
	PhoneVerifications(ctx context.Context, userID string) ([]PhoneVerification, error)

	// ListServedShifts returns recorded shifts, oldest first (by start,
	// then ID).
	ListServedShifts(ctx context.Context, q ServedShiftQuery) ([]ServedShift, error)
	// ServedUntil reports how far a schedule's served shifts are recorded,
	// or ErrNotFound when they never were.
	ServedUntil(ctx context.Context, schedule string) (time.Time, error)

	Operations
}

// Tx is one write transaction of the pipeline. On PostgreSQL the rows it
// returns from Get*/Due*/Claim* are locked until the transaction ends, and
// Due*/Claim*/TakeInbox skip rows locked by other replicas, so that each
// piece of work is done by exactly one replica.
type Tx interface {
	// TakeInbox returns up to limit unprocessed events and removes them
	// from the inbox (as part of this transaction): first those of the
	// highest lanes that no earlier event about the same alert waits
	// ahead of, by lane and then oldest first; then the rest, oldest
	// first.
	TakeInbox(limit int) ([]InboxEvent, error)

	// OpenAlert returns the open (not resolved) alert with this key, or
	// ErrNotFound.
	OpenAlert(integrationKey, dedupKey string) (alert.Alert, error)
	// OpenDedupKeys returns those of dedupKeys that have an open alert of
	// the integration: one read for a batch of events instead of one each.
	OpenDedupKeys(integrationKey string, dedupKeys []string) ([]string, error)
	GetAlert(id int64) (alert.Alert, error)
	// InsertAlert stores a new alert and sets its ID.
	InsertAlert(a *alert.Alert) error
	// QueueAlert is InsertAlert for a writer that holds processing's
	// lock and has looked for the open alert of the key: it sets the ID
	// at once and stores the alert by the time the transaction commits,
	// many to a statement, so a taken key fails the commit, not the call.
	QueueAlert(a *alert.Alert) error
	UpdateAlert(a *alert.Alert) error
	// AlertsOfIncident returns an incident's alerts, oldest first.
	AlertsOfIncident(incidentID int64) ([]alert.Alert, error)
	// QuietAlerts returns open alerts of the given integration whose last
	// event is before cutoff (auto-resolve candidates).
	QuietAlerts(integrationKey string, cutoff time.Time, limit int) ([]alert.Alert, error)

	GetIncident(id int64) (incident.Incident, error)
	// OpenIncidentByGroup returns the newest open incident of the service
	// with this group key created at or after since, or ErrNotFound.
	OpenIncidentByGroup(service, groupKey string, since time.Time) (incident.Incident, error)
	// OpenIncidentHeads returns what correlation weighs of the open
	// incidents created at or after since that page (high urgency, or
	// major): its candidates, newest first.
	OpenIncidentHeads(since time.Time, limit int) ([]IncidentHead, error)
	// AlertingServices returns, sorted, the services with an alert created
	// at or after since (correlation's evidence that a service fails).
	AlertingServices(since time.Time) ([]string, error)
	// InsertIncident stores a new incident and sets its ID.
	InsertIncident(i *incident.Incident) error
	// QueueIncident is InsertIncident with the write deferred as
	// QueueAlert defers it; updating the incident before then changes
	// what will be written.
	QueueIncident(i *incident.Incident) error
	// ExpectRows says how many incidents and alerts the transaction will
	// queue at most, so that a backend that takes ids from a sequence
	// takes them at once.
	ExpectRows(incidents, alerts int)
	UpdateIncident(i *incident.Incident) error
	// AppendTimeline stores entries and sets their IDs.
	AppendTimeline(entries ...*incident.TimelineEntry) error
	// QueueTimeline stores entries by the time the transaction commits,
	// in order with the entries appended, and leaves their IDs unset: a
	// transaction that writes many is cheaper for it.
	QueueTimeline(entries ...*incident.TimelineEntry) error

	// PutEscalation creates or replaces an incident's escalation state.
	PutEscalation(s escalation.State) error
	GetEscalation(incidentID int64) (escalation.State, error)
	// DueEscalations returns states not Done with NextAt <= now, oldest first,
	// of incidents that exist. On PostgreSQL it locks each incident with its
	// state, skipping states whose incident another transaction holds.
	DueEscalations(now time.Time, limit int) ([]escalation.State, error)

	// InsertNotifications stores new outbox rows and sets their IDs. A row
	// whose IdempotencyKey is already stored is skipped (its ID stays 0),
	// so that the same page is never queued twice.
	InsertNotifications(ns ...*notify.Notification) error
	// QueueNotifications stores new outbox rows by the time the
	// transaction commits, as QueueTimeline does its entries: a row whose
	// key is taken is skipped, and IDs stay unset.
	QueueNotifications(ns ...*notify.Notification) error
	GetNotification(id int64) (notify.Notification, error)
	// ClaimNotifications returns up to limit notifications that are pending
	// with DueAt <= now, or sending with ClaimedUntil < now (a dispatcher
	// died), oldest DueAt first; it marks them sending with ClaimedUntil =
	// now+lease.
	ClaimNotifications(now time.Time, lease time.Duration, limit int) ([]notify.Notification, error)
	// RenewClaims moves the lease of the given notifications to until
	// where the claim still holds at now (sending, ClaimedUntil >= now),
	// and reports how many it renewed: a dispatcher renews its claims
	// while it sends, so that the lease can be short and the claims of a
	// dispatcher that died end soon after it.
	RenewClaims(ids []int64, now, until time.Time) (int, error)
	UpdateNotification(n *notify.Notification) error
	// CancelNotifications cancels an incident's pending notifications of
	// the given kinds (all kinds when none) and reports how many.
	CancelNotifications(incidentID int64, kinds ...string) (int, error)
	InsertAttempt(a *notify.Attempt) error
	// QueueAttempt is InsertAttempt for a writer that knows the kind of
	// the attempt's notification: the attempt (and the interruption a
	// page makes) is written by the commit, and its ID stays unset.
	QueueAttempt(a *notify.Attempt, kind string) error

	// InsertChange stores a change event and sets its ID.
	InsertChange(c *change.Event) error
	// ListChanges is Pipeline.ListChanges within the transaction: it sees
	// the change events the transaction wrote.
	ListChanges(q ChangeQuery) ([]change.Event, error)

	// Heartbeats.
	GetHeartbeat(key string) (Heartbeat, error)
	PutHeartbeat(h Heartbeat) error
	// OverdueHeartbeats returns heartbeats not alerting whose LastBeatAt +
	// Interval is before now.
	OverdueHeartbeats(now time.Time, limit int) ([]Heartbeat, error)

	// Maintenance windows.
	InsertMaintenance(w *MaintenanceWindow) error
	DeleteMaintenance(id int64) error
	// ActiveMaintenance returns the windows of the service covering at.
	ActiveMaintenance(service string, at time.Time) ([]MaintenanceWindow, error)

	// UseOnce records a single-use nonce (signed links); false when it was
	// used before.
	UseOnce(nonce string, at time.Time) (bool, error)

	// Audit appends audit entries in this transaction.
	Audit(entries ...AuditEntry) error

	// GetPhoneVerification returns the verification state of one contact
	// method, or ErrNotFound.
	GetPhoneVerification(userID, contactMethod string) (PhoneVerification, error)
	// PutPhoneVerification creates or replaces it.
	PutPhoneVerification(v PhoneVerification) error

	// LockServedUntil returns how far a schedule's served shifts are
	// recorded, first storing start when nothing is recorded for it yet.
	// On PostgreSQL the schedule's record stays locked until the
	// transaction ends, so that replicas recording at once append each
	// stretch of time once.
	LockServedUntil(schedule string, start time.Time) (time.Time, error)
	// SetServedUntil moves a schedule's record forward to until; it never
	// moves it back.
	SetServedUntil(schedule string, until time.Time) error
	// AdvanceServedUntil moves the record of every schedule not in keep
	// forward to until. A schedule that is no longer configured is served
	// by nobody: configured again, it records from then on, not from when
	// it went.
	AdvanceServedUntil(until time.Time, keep []string) error
	// LastServedShift returns a schedule's latest recorded shift, or
	// ErrNotFound.
	LastServedShift(schedule string) (ServedShift, error)
	// InsertServedShifts stores new shifts and sets their IDs.
	InsertServedShifts(shifts ...*ServedShift) error
	// ExtendServedShift moves the end of a recorded shift to end.
	ExtendServedShift(id int64, end time.Time) error

	OperationTx
	PostmortemTx
	CoverTx
}
