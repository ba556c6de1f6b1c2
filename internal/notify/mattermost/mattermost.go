// Package mattermost is the Mattermost channel, type "mattermost": a
// message attachment posted to an incoming webhook, whose buttons call
// Vigil back.
package mattermost

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// ActionsPath is where Mattermost sends button presses.
const ActionsPath = "/api/v1/integrations/mattermost/actions"

// New returns the Mattermost channel, sending with client (nil: one with a
// 10s timeout). It posts a message attachment to the contact method's
// incoming webhook URL, with two interactive buttons that call Vigil back:
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
// The token in the context is the notification's notify.CallbackToken:
// Vigil acts only on a context it made. Without a public URL and token the
// attachment links to the signed links' confirmation pages instead.
func New(client *http.Client) notify.Channel {
	return &provider.JSONWebhook{Kind: "mattermost", What: "mattermost webhook", Client: client, Payload: func(m notify.Message) any { return Payload(m) }}
}

// Message is an incoming webhook post.
type Message struct {
	Username    string       `json:"username,omitempty"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a message attachment.
type Attachment struct {
	Fallback  string   `json:"fallback"`
	Color     string   `json:"color,omitempty"`
	Title     string   `json:"title"`
	TitleLink string   `json:"title_link,omitempty"`
	Text      string   `json:"text"`
	Fields    []Field  `json:"fields,omitempty"`
	Actions   []Action `json:"actions,omitempty"`
}

// Field is a short title/value pair.
type Field struct {
	Short bool   `json:"short"`
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action is an interactive button.
type Action struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Style       string      `json:"style,omitempty"`
	Integration Integration `json:"integration"`
}

// Integration says where a button press goes and what it carries.
type Integration struct {
	URL     string  `json:"url"`
	Context Context `json:"context"`
}

// Context is what Vigil puts in a button and reads back from the press.
type Context struct {
	IncidentID     int64  `json:"incident_id"`
	Verb           string `json:"verb"`
	User           string `json:"user"`
	NotificationID int64  `json:"notification"`
	Token          string `json:"token"`
}

// Payload builds the message the Mattermost channel posts.
func Payload(m notify.Message) Message {
	head := provider.Headline(m)
	att := Attachment{Fallback: head, Title: head, TitleLink: m.IncidentURL, Text: provider.OrDash(m.Summary), Color: "#e8a317"}
	if m.Urgency == "high" {
		att.Color = "#d0021b"
	}
	for _, f := range provider.Facts(m, "Status", "Severity", "Urgency", "Service") {
		att.Fields = append(att.Fields, Field{Short: true, Title: f[0], Value: f[1]})
	}
	if m.MoreAlerts > 0 {
		att.Fields = append(att.Fields, Field{Short: true, Title: "More alerts", Value: fmt.Sprint(m.MoreAlerts)})
	}
	interactive := m.PublicURL != "" && m.CallbackToken != ""
	action := func(id, name, style, verb string) Action {
		return Action{ID: id, Name: name, Style: style, Integration: Integration{
			URL: strings.TrimRight(m.PublicURL, "/") + ActionsPath,
			Context: Context{IncidentID: m.IncidentID, Verb: verb, User: m.UserID,
				NotificationID: m.NotificationID, Token: m.CallbackToken},
		}}
	}
	var links []string
	if provider.CanAcknowledge(m) {
		if interactive {
			att.Actions = append(att.Actions, action("ack", "Acknowledge", "primary", notify.VerbAcknowledge))
		} else if m.AcknowledgeURL != "" {
			links = append(links, "[Acknowledge]("+m.AcknowledgeURL+")")
		}
	}
	if provider.CanResolve(m) {
		if interactive {
			att.Actions = append(att.Actions, action("resolve", "Resolve", "danger", notify.VerbResolve))
		} else if m.ResolveURL != "" {
			links = append(links, "[Resolve]("+m.ResolveURL+")")
		}
	}
	if len(links) > 0 {
		att.Text += "\n\n" + strings.Join(links, " · ")
	}
	return Message{Username: "Vigil", Text: head, Attachments: []Attachment{att}}
}
