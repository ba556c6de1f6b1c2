package notify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// TestNotificationJSON keeps the whole JSON of an outbox row, which the
// API lists under "notifications": a field renamed or dropped shows here.
func TestNotificationJSON(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	claimed, sent, delivered := at.Add(time.Minute), at.Add(2*time.Second), at.Add(5*time.Second)
	n := Notification{
		ID: 42, IncidentID: 12, Kind: KindPage, UserID: "alice", ContactMethod: "alice-sms", MethodType: "sms",
		RuleIndex: 1, Step: 2, Round: 1, TimeZone: "Europe/Berlin", IdempotencyKey: "n-42-1",
		Status: StatusSent, DueAt: at, Attempts: 2, ClaimedUntil: &claimed, LastError: "twilio sms POST to https://api.twilio.com: HTTP 503: busy",
		SentAt: &sent, ProviderStatus: "delivered", DeliveredAt: &delivered, CreatedAt: at,
		Body: json.RawMessage(`{"title":"Checkout latency high"}`),
		More: 3, MoreServices: []string{"payments"},
	}
	got, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	vigiltest.Golden(t, "notification", append(got, '\n'))

	pending, err := json.MarshalIndent(Notification{ID: 43, Kind: KindTest, UserID: "bob", ContactMethod: "bob-mail", MethodType: "email",
		RuleIndex: -1, Status: StatusPending, DueAt: at, CreatedAt: at}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	vigiltest.Golden(t, "notification-pending", append(pending, '\n'))
}
