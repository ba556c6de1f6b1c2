package mattermost

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

func TestMattermostWithoutCallbacksLinks(t *testing.T) {
	m := notifytest.Interactive()
	m.CallbackToken = ""
	att := Payload(m).Attachments[0]
	if len(att.Actions) != 0 {
		t.Errorf("actions %v without a callback token", att.Actions)
	}
	want := "p99 over 2s for 10m\n\n[Acknowledge](https://vigil.example.com/a/ACK.TOKEN) · [Resolve](https://vigil.example.com/a/RES.TOKEN)"
	if att.Text != want {
		t.Errorf("text %q, want %q", att.Text, want)
	}
}

// Buttons whose context carries what Vigil needs to act on a press.
func TestMattermostPostsInteractiveActions(t *testing.T) {
	_, body := notifytest.SendJSON(t, New, "/hooks/xyz", notifytest.Interactive())
	at := notifytest.At
	att := at(t, body, "attachments", 0)
	if at(t, att, "title") != "[SEV2] #12 checkout: Checkout latency high" || at(t, att, "title_link") != "https://vigil.example.com/incidents/12" ||
		at(t, att, "color") != "#d0021b" {
		t.Errorf("attachment %v", att)
	}
	for i, want := range []struct{ id, name, verb string }{{"ack", "Acknowledge", "acknowledge"}, {"resolve", "Resolve", "resolve"}} {
		a := at(t, att, "actions", i)
		if at(t, a, "id") != want.id || at(t, a, "name") != want.name {
			t.Errorf("action %d = %v", i, a)
		}
		if got := at(t, a, "integration", "url"); got != "https://vigil.example.com/api/v1/integrations/mattermost/actions" {
			t.Errorf("action %d url %v", i, got)
		}
		ctx := at(t, a, "integration", "context")
		if at(t, ctx, "incident_id") != 12.0 || at(t, ctx, "verb") != want.verb || at(t, ctx, "user") != "alice" ||
			at(t, ctx, "notification") != 7.0 || at(t, ctx, "token") != "TOKEN" {
			t.Errorf("action %d context %v", i, ctx)
		}
	}
}

var target = notifytest.WebhookTarget(New, "/hooks/HOOKSECRET?token=SECRET", "HOOKSECRET", "SECRET")

func TestKit(t *testing.T) { notifytest.Run(t, target) }

func BenchmarkPayload(b *testing.B) {
	notifytest.BenchmarkPayload(b, func(m notify.Message) any { return Payload(m) })
}

func BenchmarkSend(b *testing.B) { notifytest.BenchmarkSend(b, target) }
