// Package teams is the Microsoft Teams channel, type "teams": an Adaptive
// Card posted to a Teams workflow or incoming webhook.
package teams

import (
	"net/http"
	"strconv"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// New returns the Teams channel, sending with client (nil: one with a 10s
// timeout). It posts an Adaptive Card to a Teams workflow ("Post to a
// channel when a webhook request is received") or incoming webhook URL:
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
func New(client *http.Client) notify.Channel {
	return &provider.JSONWebhook{Kind: "teams", What: "teams webhook", Client: client, Payload: func(m notify.Message) any { return Payload(m) }}
}

// Message is the envelope Teams webhooks take.
type Message struct {
	Type        string       `json:"type"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment carries one Adaptive Card.
type Attachment struct {
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

// Payload builds the message the Teams channel posts.
func Payload(m notify.Message) Message {
	title := CardElement{Type: "TextBlock", Text: provider.Headline(m), Weight: "Bolder", Size: "Medium", Wrap: true}
	if m.Urgency == "high" && m.Kind != notify.KindTest {
		title.Color = "Attention"
	}
	card := AdaptiveCard{
		Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
		Type:    "AdaptiveCard",
		Version: "1.4",
		Body:    []CardElement{title, {Type: "TextBlock", Text: provider.OrDash(m.Summary), Wrap: true}},
		MSTeams: map[string]any{"width": "Full"},
	}
	var facts []CardFact
	if m.IncidentID != 0 {
		facts = append(facts, CardFact{Title: "Incident", Value: "#" + strconv.FormatInt(m.IncidentID, 10)})
	}
	for _, f := range provider.Facts(m, "Status", "Severity", "Urgency", "Service") {
		facts = append(facts, CardFact{Title: f[0], Value: f[1]})
	}
	if m.MoreAlerts > 0 {
		facts = append(facts, CardFact{Title: "More alerts", Value: strconv.Itoa(m.MoreAlerts)})
	}
	if len(facts) > 0 {
		card.Body = append(card.Body, CardElement{Type: "FactSet", Facts: facts})
	}
	if provider.CanAcknowledge(m) && m.AcknowledgeURL != "" {
		card.Actions = append(card.Actions, CardAction{Type: "Action.OpenUrl", Title: "Acknowledge", URL: m.AcknowledgeURL})
	}
	if provider.CanResolve(m) && m.ResolveURL != "" {
		card.Actions = append(card.Actions, CardAction{Type: "Action.OpenUrl", Title: "Resolve", URL: m.ResolveURL})
	}
	if m.IncidentURL != "" {
		card.Actions = append(card.Actions, CardAction{Type: "Action.OpenUrl", Title: "Open in Vigil", URL: m.IncidentURL})
	}
	return Message{Type: "message", Attachments: []Attachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
}
