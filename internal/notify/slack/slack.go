// Package slack is the Slack channel, type "slack": a Block Kit message to
// an incoming webhook, and the interactivity requests of a Slack app whose
// buttons call Vigil back.
package slack

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// Action ids: a Slack app whose interactivity Request URL is Vigil's
// /api/v1/integrations/slack/actions acts on these buttons; each button's
// value is the incident id.
const (
	ActionAcknowledge = "vigil_ack"
	ActionResolve     = "vigil_resolve"
)

// Block Kit limits the message respects.
const (
	headerMax  = 150
	sectionMax = 3000
	textMax    = 4000
	fieldMax   = 2000
)

// New returns the Slack channel, sending with client (nil: one with a 10s
// timeout). It posts a Block Kit message to the contact method's incoming
// webhook URL:
//
//	{
//	  "text": "[SEV2] #12 checkout: Checkout latency high",
//	  "blocks": [
//	    {"type": "header", "text": {"type": "plain_text", "text": "[SEV2] #12 checkout: Checkout latency high"}},
//	    {"type": "section", "text": {"type": "mrkdwn", "text": "SEV2 on Checkout (checkout)"},
//	     "fields": [{"type": "mrkdwn", "text": "*Status*\ntriggered"}, ...]},
//	    {"type": "actions", "block_id": "vigil_incident_12", "elements": [
//	      {"type": "button", "action_id": "vigil_ack", "value": "12", "style": "primary",
//	       "text": {"type": "plain_text", "text": "Acknowledge"}, "url": "<signed link>"},
//	      {"type": "button", "action_id": "vigil_resolve", "value": "12", "style": "danger",
//	       "text": {"type": "plain_text", "text": "Resolve"}, "url": "<signed link>"}]},
//	    {"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://vigil.example.com/incidents/12|Open in Vigil>"}]}
//	  ]
//	}
//
// A plain incoming webhook cannot route button presses to Vigil, so each
// button also opens its signed link (a confirmation page); a Slack app
// that sends its interactivity to Vigil acts on the action id at once.
func New(client *http.Client) notify.Channel {
	return &provider.JSONWebhook{Kind: "slack", What: "slack webhook", Client: client, Payload: func(m notify.Message) any { return Payload(m) }}
}

// Message is a Slack message: fallback text and Block Kit blocks. It is
// also the shape of the replacement message answered to an interaction.
type Message struct {
	Text            string  `json:"text"`
	Blocks          []Block `json:"blocks,omitempty"`
	ReplaceOriginal bool    `json:"replace_original,omitempty"`
}

// Block is one Block Kit block; only the fields of its type are set.
type Block struct {
	Type     string    `json:"type"`
	BlockID  string    `json:"block_id,omitempty"`
	Text     *Text     `json:"text,omitempty"`
	Fields   []Text    `json:"fields,omitempty"`
	Elements []Element `json:"elements,omitempty"`
}

// Text is a plain_text or mrkdwn text object.
type Text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Element is a button (in an actions block) or a text (in a context
// block).
type Element struct {
	Type     string `json:"type"`
	Text     any    `json:"text,omitempty"` // *Text for buttons, string for mrkdwn elements
	ActionID string `json:"action_id,omitempty"`
	Value    string `json:"value,omitempty"`
	URL      string `json:"url,omitempty"`
	Style    string `json:"style,omitempty"`
}

// Payload builds the message the Slack channel posts.
func Payload(m notify.Message) Message {
	head := provider.Headline(m)
	msg := Message{Text: provider.Cut(head, textMax)}
	msg.Blocks = append(msg.Blocks, Block{Type: "header", Text: &Text{Type: "plain_text", Text: provider.Cut(head, headerMax)}})

	section := Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: provider.Cut(escape(provider.OrDash(m.Summary)), sectionMax)}}
	for _, f := range provider.Facts(m, "Status", "Urgency", "Service", "Severity") {
		section.Fields = append(section.Fields, Text{Type: "mrkdwn", Text: provider.Cut("*"+f[0]+"*\n"+escape(f[1]), fieldMax)})
	}
	if m.MoreAlerts > 0 {
		section.Fields = append(section.Fields, Text{Type: "mrkdwn", Text: fmt.Sprintf("*More alerts*\n%d", m.MoreAlerts)})
	}
	msg.Blocks = append(msg.Blocks, section)

	id := strconv.FormatInt(m.IncidentID, 10)
	var buttons []Element
	if provider.CanAcknowledge(m) {
		buttons = append(buttons, Element{Type: "button", Text: &Text{Type: "plain_text", Text: "Acknowledge"},
			ActionID: ActionAcknowledge, Value: id, URL: m.AcknowledgeURL, Style: "primary"})
	}
	if provider.CanResolve(m) {
		buttons = append(buttons, Element{Type: "button", Text: &Text{Type: "plain_text", Text: "Resolve"},
			ActionID: ActionResolve, Value: id, URL: m.ResolveURL, Style: "danger"})
	}
	if len(buttons) > 0 {
		msg.Blocks = append(msg.Blocks, Block{Type: "actions", BlockID: "vigil_incident_" + id, Elements: buttons})
	}
	if m.IncidentURL != "" {
		msg.Blocks = append(msg.Blocks, Block{Type: "context", Elements: []Element{
			{Type: "mrkdwn", Text: "<" + escape(m.IncidentURL) + "|Open in Vigil>"},
		}})
	}
	return msg
}

// escaper escapes the three characters mrkdwn gives meaning to. A Replacer
// is safe for concurrent use, and costly to build.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }
