package notify

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Slack action ids: a Slack app whose interactivity Request URL is Vigil's
// /api/v1/integrations/slack/actions acts on these buttons; each button's
// value is the incident id.
const (
	SlackActionAcknowledge = "vigil_ack"
	SlackActionResolve     = "vigil_resolve"
)

// Slack Block Kit limits the message respects.
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackTextMax    = 4000
)

// Slack is the Slack channel, type "slack": it posts a Block Kit message to
// the contact method's incoming webhook URL:
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
type Slack struct {
	// Client sends the requests (nil: one with a 10s timeout).
	Client *http.Client
}

// NewSlack returns the Slack channel sending with client.
func NewSlack(client *http.Client) Channel { return &Slack{Client: client} }

// Type implements Channel.
func (s *Slack) Type() string { return "slack" }

// Send implements Channel.
func (s *Slack) Send(ctx context.Context, to Destination, m Message) error {
	return postJSON(ctx, s.Client, "slack webhook", to.WebhookURL, SlackPayload(m))
}

// SlackMessage is a Slack message: fallback text and Block Kit blocks. It
// is also the shape of the replacement message answered to an interaction.
type SlackMessage struct {
	Text            string       `json:"text"`
	Blocks          []SlackBlock `json:"blocks,omitempty"`
	ReplaceOriginal bool         `json:"replace_original,omitempty"`
}

// SlackBlock is one Block Kit block; only the fields of its type are set.
type SlackBlock struct {
	Type     string         `json:"type"`
	BlockID  string         `json:"block_id,omitempty"`
	Text     *SlackText     `json:"text,omitempty"`
	Fields   []SlackText    `json:"fields,omitempty"`
	Elements []SlackElement `json:"elements,omitempty"`
}

// SlackText is a plain_text or mrkdwn text object.
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// SlackElement is a button (in an actions block) or a text (in a context
// block).
type SlackElement struct {
	Type     string `json:"type"`
	Text     any    `json:"text,omitempty"` // *SlackText for buttons, string for mrkdwn elements
	ActionID string `json:"action_id,omitempty"`
	Value    string `json:"value,omitempty"`
	URL      string `json:"url,omitempty"`
	Style    string `json:"style,omitempty"`
}

// SlackPayload builds the message the Slack channel posts.
func SlackPayload(m Message) SlackMessage {
	head := headline(m)
	if m.Kind == KindTest {
		head = "Test notification from Vigil"
	}
	msg := SlackMessage{Text: cut(head, slackTextMax)}
	msg.Blocks = append(msg.Blocks, SlackBlock{Type: "header", Text: &SlackText{Type: "plain_text", Text: cut(head, slackHeaderMax)}})

	section := SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: cut(slackEscape(orDash(m.Summary)), slackSectionMax)}}
	for _, f := range [][2]string{{"Status", m.Status}, {"Urgency", m.Urgency}, {"Service", m.Service}, {"Severity", m.Severity}} {
		if f[1] != "" {
			section.Fields = append(section.Fields, SlackText{Type: "mrkdwn", Text: cut("*"+f[0]+"*\n"+slackEscape(oneLine(f[1])), 2000)})
		}
	}
	if m.MoreAlerts > 0 {
		section.Fields = append(section.Fields, SlackText{Type: "mrkdwn", Text: fmt.Sprintf("*More alerts*\n%d", m.MoreAlerts)})
	}
	msg.Blocks = append(msg.Blocks, section)

	id := strconv.FormatInt(m.IncidentID, 10)
	var buttons []SlackElement
	if canAcknowledge(m) {
		buttons = append(buttons, SlackElement{Type: "button", Text: &SlackText{Type: "plain_text", Text: "Acknowledge"},
			ActionID: SlackActionAcknowledge, Value: id, URL: m.AcknowledgeURL, Style: "primary"})
	}
	if canResolve(m) {
		buttons = append(buttons, SlackElement{Type: "button", Text: &SlackText{Type: "plain_text", Text: "Resolve"},
			ActionID: SlackActionResolve, Value: id, URL: m.ResolveURL, Style: "danger"})
	}
	if len(buttons) > 0 {
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "actions", BlockID: "vigil_incident_" + id, Elements: buttons})
	}
	if m.IncidentURL != "" {
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "context", Elements: []SlackElement{
			{Type: "mrkdwn", Text: "<" + slackEscape(m.IncidentURL) + "|Open in Vigil>"},
		}})
	}
	return msg
}

// slackEscaper escapes the three characters mrkdwn gives meaning to. A
// Replacer is safe for concurrent use, and costly to build.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(s) }

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
