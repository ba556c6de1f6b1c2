package teams

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

// The page as an Adaptive Card in the envelope Teams takes, the webhook
// URL's query kept.
func TestTeamsPostsAdaptiveCard(t *testing.T) {
	r, body := notifytest.SendJSON(t, New, "/workflows/abc/triggers/manual/paths/invoke?sig=s3cret", notifytest.Interactive())
	at := notifytest.At
	if r.Query != "sig=s3cret" {
		t.Errorf("query %q: the webhook URL's query must be kept", r.Query)
	}
	if at(t, body, "type") != "message" {
		t.Errorf("type %v, want message", at(t, body, "type"))
	}
	att := at(t, body, "attachments", 0)
	if at(t, att, "contentType") != "application/vnd.microsoft.card.adaptive" {
		t.Errorf("contentType %v", at(t, att, "contentType"))
	}
	card := at(t, att, "content")
	if at(t, card, "type") != "AdaptiveCard" || at(t, card, "version") != "1.4" || at(t, card, "$schema") != "http://adaptivecards.io/schemas/adaptive-card.json" {
		t.Errorf("card header %v %v %v", at(t, card, "type"), at(t, card, "version"), at(t, card, "$schema"))
	}
	if got := at(t, card, "body", 0, "text"); got != "[SEV2] #12 checkout: Checkout latency high" {
		t.Errorf("title %q", got)
	}
	if got := at(t, card, "body", 2, "facts", 0); at(t, got, "title") != "Incident" || at(t, got, "value") != "#12" {
		t.Errorf("first fact %v", got)
	}
	want := [][2]string{
		{"Acknowledge", "https://vigil.example.com/a/ACK.TOKEN"},
		{"Resolve", "https://vigil.example.com/a/RES.TOKEN"},
		{"Open in Vigil", "https://vigil.example.com/incidents/12"},
	}
	actions := at(t, card, "actions").([]any)
	if len(actions) != len(want) {
		t.Fatalf("actions %v, want %d", actions, len(want))
	}
	for i, w := range want {
		a := actions[i]
		if at(t, a, "type") != "Action.OpenUrl" || at(t, a, "title") != w[0] || at(t, a, "url") != w[1] {
			t.Errorf("action %d = %v, want Action.OpenUrl %v", i, a, w)
		}
	}
}

var target = notifytest.WebhookTarget(New, "/workflows/WORKFLOWSECRET/triggers/manual/paths/invoke?sig=SECRET", "WORKFLOWSECRET", "SECRET")

func TestKit(t *testing.T) { notifytest.Run(t, target) }

func BenchmarkPayload(b *testing.B) {
	notifytest.BenchmarkPayload(b, func(m notify.Message) any { return Payload(m) })
}

func BenchmarkSend(b *testing.B) { notifytest.BenchmarkSend(b, target) }
