package notify

import (
	"context"
	"net/http"
	"strconv"
)

// Teams is the Microsoft Teams channel, type "teams": it posts an Adaptive
// Card to a Teams workflow ("Post to a channel when a webhook request is
// received") or incoming webhook URL:
//
//	{
//	  "type": "message",
//	  "attachments": [{
//	    "contentType": "application/vnd.microsoft.card.adaptive",
//	    "content": {
//	      "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
//	      "type": "AdaptiveCard", "version": "1.4",
//	      "body": [
//	        {"type": "TextBlock", "text": "[SEV2] #12 checkout: Checkout latency high", "weight": "Bolder", "size": "Medium", "wrap": true},
//	        {"type": "TextBlock", "text": "SEV2 on Checkout (checkout)", "wrap": true},
//	        {"type": "FactSet", "facts": [{"title": "Status", "value": "triggered"}, ...]}
//	      ],
//	      "actions": [
//	        {"type": "Action.OpenUrl", "title": "Acknowledge", "url": "<signed link>"},
//	        {"type": "Action.OpenUrl", "title": "Resolve", "url": "<signed link>"},
//	        {"type": "Action.OpenUrl", "title": "Open in Vigil", "url": "https://vigil.example.com/incidents/12"}
//	      ]
//	    }
//	  }]
//	}
//
// The buttons open the signed links' confirmation pages, where one more
// press acts: Teams cannot call back to Vigil without a bot.
type Teams struct {
	// Client sends the requests (nil: one with a 10s timeout).
	Client *http.Client
}

// NewTeams returns the Teams channel sending with client.
func NewTeams(client *http.Client) Channel { return &Teams{Client: client} }

// Type implements Channel.
func (t *Teams) Type() string { return "teams" }

// Send implements Channel.
func (t *Teams) Send(ctx context.Context, to Destination, m Message) error {
	return postJSON(ctx, t.Client, "teams webhook", to.WebhookURL, TeamsPayload(m))
}

// TeamsMessage is the envelope Teams webhooks take.
type TeamsMessage struct {
	Type        string            `json:"type"`
	Attachments []TeamsAttachment `json:"attachments"`
}

// TeamsAttachment carries one Adaptive Card.
type TeamsAttachment struct {
	ContentType string       `json:"contentType"`
	Content     AdaptiveCard `json:"content"`
}

// AdaptiveCard is the part of the Adaptive Card schema Vigil uses.
type AdaptiveCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	Body    []CardElement  `json:"body"`
	Actions []CardAction   `json:"actions,omitempty"`
	MSTeams map[string]any `json:"msteams,omitempty"`
}

// CardElement is a TextBlock or a FactSet.
type CardElement struct {
	Type   string     `json:"type"`
	Text   string     `json:"text,omitempty"`
	Weight string     `json:"weight,omitempty"`
	Size   string     `json:"size,omitempty"`
	Color  string     `json:"color,omitempty"`
	Wrap   bool       `json:"wrap,omitempty"`
	Facts  []CardFact `json:"facts,omitempty"`
}

// CardFact is one title/value row of a FactSet.
type CardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// CardAction is an Action.OpenUrl button.
type CardAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// TeamsPayload builds the message the Teams channel posts.
func TeamsPayload(m Message) TeamsMessage {
	head := headline(m)
	if m.Kind == KindTest {
		head = "Test notification from Vigil"
	}
	title := CardElement{Type: "TextBlock", Text: head, Weight: "Bolder", Size: "Medium", Wrap: true}
	if m.Urgency == "high" && m.Kind != KindTest {
		title.Color = "Attention"
	}
	card := AdaptiveCard{
		Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
		Type:    "AdaptiveCard",
		Version: "1.4",
		Body:    []CardElement{title, {Type: "TextBlock", Text: orDash(m.Summary), Wrap: true}},
		MSTeams: map[string]any{"width": "Full"},
	}
	var facts []CardFact
	if m.IncidentID != 0 {
		facts = append(facts, CardFact{Title: "Incident", Value: "#" + strconv.FormatInt(m.IncidentID, 10)})
	}
	for _, f := range [][2]string{{"Status", m.Status}, {"Severity", m.Severity}, {"Urgency", m.Urgency}, {"Service", m.Service}} {
		if f[1] != "" {
			facts = append(facts, CardFact{Title: f[0], Value: oneLine(f[1])})
		}
	}
	if m.MoreAlerts > 0 {
		facts = append(facts, CardFact{Title: "More alerts", Value: strconv.Itoa(m.MoreAlerts)})
	}
	if len(facts) > 0 {
		card.Body = append(card.Body, CardElement{Type: "FactSet", Facts: facts})
	}
	if canAcknowledge(m) && m.AcknowledgeURL != "" {
		card.Actions = append(card.Actions, CardAction{Type: "Action.OpenUrl", Title: "Acknowledge", URL: m.AcknowledgeURL})
	}
	if canResolve(m) && m.ResolveURL != "" {
		card.Actions = append(card.Actions, CardAction{Type: "Action.OpenUrl", Title: "Resolve", URL: m.ResolveURL})
	}
	if m.IncidentURL != "" {
		card.Actions = append(card.Actions, CardAction{Type: "Action.OpenUrl", Title: "Open in Vigil", URL: m.IncidentURL})
	}
	return TeamsMessage{Type: "message", Attachments: []TeamsAttachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
}
