package notify

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// MattermostActionsPath is where Mattermost sends button presses.
const MattermostActionsPath = "/api/v1/integrations/mattermost/actions"

// Mattermost is the Mattermost channel, type "mattermost": it posts a
// message attachment to the contact method's incoming webhook URL, with two
// interactive buttons that call Vigil back:
//
//	{
//	  "username": "Vigil",
//	  "text": "[SEV2] #12 checkout: Checkout latency high",
//	  "attachments": [{
//	    "fallback": "[SEV2] #12 checkout: Checkout latency high",
//	    "color": "#d0021b",
//	    "title": "[SEV2] #12 checkout: Checkout latency high",
//	    "title_link": "https://vigil.example.com/incidents/12",
//	    "text": "SEV2 on Checkout (checkout)",
//	    "fields": [{"short": true, "title": "Status", "value": "triggered"}, ...],
//	    "actions": [
//	      {"id": "ack", "name": "Acknowledge", "style": "primary", "integration": {
//	        "url": "https://vigil.example.com/api/v1/integrations/mattermost/actions",
//	        "context": {"incident_id": 12, "verb": "acknowledge", "user": "alice", "notification": 7, "token": "<callback token>"}}},
//	      {"id": "resolve", "name": "Resolve", "style": "danger", "integration": {...}}
//	    ]
//	  }]
//	}
//
// The token in the context is the notification's CallbackToken: Vigil
// acts only on a context it made. Without a public URL and token the
// attachment links to the signed links' confirmation pages instead.
type Mattermost struct {
	// Client sends the requests (nil: one with a 10s timeout).
	Client *http.Client
}

// NewMattermost returns the Mattermost channel sending with client.
func NewMattermost(client *http.Client) Channel { return &Mattermost{Client: client} }

// Type implements Channel.
func (mm *Mattermost) Type() string { return "mattermost" }

// Send implements Channel.
func (mm *Mattermost) Send(ctx context.Context, to Destination, m Message) error {
	return postJSON(ctx, mm.Client, "mattermost webhook", to.WebhookURL, MattermostPayload(m))
}

// MattermostMessage is an incoming webhook post.
type MattermostMessage struct {
	Username    string                 `json:"username,omitempty"`
	Text        string                 `json:"text"`
	Attachments []MattermostAttachment `json:"attachments,omitempty"`
}

// MattermostAttachment is a message attachment.
type MattermostAttachment struct {
	Fallback  string             `json:"fallback"`
	Color     string             `json:"color,omitempty"`
	Title     string             `json:"title"`
	TitleLink string             `json:"title_link,omitempty"`
	Text      string             `json:"text"`
	Fields    []MattermostField  `json:"fields,omitempty"`
	Actions   []MattermostAction `json:"actions,omitempty"`
}

// MattermostField is a short title/value pair.
type MattermostField struct {
	Short bool   `json:"short"`
	Title string `json:"title"`
	Value string `json:"value"`
}

// MattermostAction is an interactive button.
type MattermostAction struct {
	ID          string                `json:"id"`
	Name        string                `json:"name"`
	Style       string                `json:"style,omitempty"`
	Integration MattermostIntegration `json:"integration"`
}

// MattermostIntegration says where a button press goes and what it carries.
type MattermostIntegration struct {
	URL     string            `json:"url"`
	Context MattermostContext `json:"context"`
}

// MattermostContext is what Vigil puts in a button and reads back from the
// press.
type MattermostContext struct {
	IncidentID     int64  `json:"incident_id"`
	Verb           string `json:"verb"`
	User           string `json:"user"`
	NotificationID int64  `json:"notification"`
	Token          string `json:"token"`
}

// MattermostPayload builds the message the Mattermost channel posts.
func MattermostPayload(m Message) MattermostMessage {
	head := headline(m)
	if m.Kind == KindTest {
		head = "Test notification from Vigil"
	}
	att := MattermostAttachment{Fallback: head, Title: head, TitleLink: m.IncidentURL, Text: orDash(m.Summary), Color: "#e8a317"}
	if m.Urgency == "high" {
		att.Color = "#d0021b"
	}
	for _, f := range [][2]string{{"Status", m.Status}, {"Severity", m.Severity}, {"Urgency", m.Urgency}, {"Service", m.Service}} {
		if f[1] != "" {
			att.Fields = append(att.Fields, MattermostField{Short: true, Title: f[0], Value: oneLine(f[1])})
		}
	}
	if m.MoreAlerts > 0 {
		att.Fields = append(att.Fields, MattermostField{Short: true, Title: "More alerts", Value: fmt.Sprint(m.MoreAlerts)})
	}
	interactive := m.PublicURL != "" && m.CallbackToken != ""
	action := func(id, name, style, verb string) MattermostAction {
		return MattermostAction{ID: id, Name: name, Style: style, Integration: MattermostIntegration{
			URL: strings.TrimRight(m.PublicURL, "/") + MattermostActionsPath,
			Context: MattermostContext{IncidentID: m.IncidentID, Verb: verb, User: m.UserID,
				NotificationID: m.NotificationID, Token: m.CallbackToken},
		}}
	}
	var links []string
	if canAcknowledge(m) {
		if interactive {
			att.Actions = append(att.Actions, action("ack", "Acknowledge", "primary", "acknowledge"))
		} else if m.AcknowledgeURL != "" {
			links = append(links, "[Acknowledge]("+m.AcknowledgeURL+")")
		}
	}
	if canResolve(m) {
		if interactive {
			att.Actions = append(att.Actions, action("resolve", "Resolve", "danger", "resolve"))
		} else if m.ResolveURL != "" {
			links = append(links, "[Resolve]("+m.ResolveURL+")")
		}
	}
	if len(links) > 0 {
		att.Text += "\n\n" + strings.Join(links, " · ")
	}
	return MattermostMessage{Username: "Vigil", Text: head, Attachments: []MattermostAttachment{att}}
}
