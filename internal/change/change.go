// Package change holds change events — deploys, config changes, flag flips —
// that incidents show beside their alerts and that rank suspects.
package change

import (
	"encoding/json"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
)

// Link is a hyperlink attached to a change, shaped as an alert's.
type Link = alert.Link

// Event is one change to a service.
type Event struct {
	ID             int64           `json:"id"`
	Service        string          `json:"service"`
	IntegrationKey string          `json:"integration_key,omitempty"`
	Summary        string          `json:"summary"`
	Source         string          `json:"source,omitempty"`
	At             time.Time       `json:"timestamp"`
	ReceivedAt     time.Time       `json:"received_at"`
	Details        json.RawMessage `json:"custom_details,omitempty"`
	Links          []Link          `json:"links,omitempty"`
}
