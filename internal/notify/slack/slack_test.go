package slack

import (
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

// The page as Block Kit: a header, the escaped summary with its fields,
// both buttons with their signed links, and the link to the incident.
func TestSlackPostsBlockKit(t *testing.T) {
	m := notifytest.Interactive()
	m.Summary = "p99 <over> 2s & rising"
	_, body := notifytest.SendJSON(t, New, "/services/T0/B0/secret", m)
	at := notifytest.At
	if got := at(t, body, "text"); got != "[SEV2] #12 checkout: Checkout latency high" {
		t.Errorf("text = %q", got)
	}
	var types []string
	for _, b := range at(t, body, "blocks").([]any) {
		types = append(types, at(t, b, "type").(string))
	}
	if got := strings.Join(types, ","); got != "header,section,actions,context" {
		t.Fatalf("block types %s, want header,section,actions,context", got)
	}
	if got := at(t, body, "blocks", 0, "text", "type"); got != "plain_text" {
		t.Errorf("header text type %v", got)
	}
	if got := at(t, body, "blocks", 1, "text", "text"); got != "p99 &lt;over&gt; 2s &amp; rising" {
		t.Errorf("section text %q: mrkdwn must be escaped", got)
	}
	if got := at(t, body, "blocks", 1, "fields", 0, "text"); got != "*Status*\ntriggered" {
		t.Errorf("first field %q", got)
	}
	if got := at(t, body, "blocks", 2, "block_id"); got != "vigil_incident_12" {
		t.Errorf("actions block_id %v", got)
	}
	buttons := []struct{ actionID, label, url, style string }{
		{"vigil_ack", "Acknowledge", "https://vigil.example.com/a/ACK.TOKEN", "primary"},
		{"vigil_resolve", "Resolve", "https://vigil.example.com/a/RES.TOKEN", "danger"},
	}
	for i, want := range buttons {
		b := at(t, body, "blocks", 2, "elements", i)
		if at(t, b, "type") != "button" || at(t, b, "action_id") != want.actionID || at(t, b, "value") != "12" ||
			at(t, b, "url") != want.url || at(t, b, "style") != want.style || at(t, b, "text", "text") != want.label {
			t.Errorf("button %d = %v, want %+v", i, b, want)
		}
	}
	if got := at(t, body, "blocks", 3, "elements", 0, "text"); got != "<https://vigil.example.com/incidents/12|Open in Vigil>" {
		t.Errorf("context %q", got)
	}
}

func TestSlackButtonsFollowStatus(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*notify.Message)
		actions string
	}{
		{"triggered", func(*notify.Message) {}, "vigil_ack,vigil_resolve"},
		{"acknowledged", func(m *notify.Message) { m.Kind, m.Status = notify.KindUpdate, "acknowledged" }, "vigil_resolve"},
		{"resolved", func(m *notify.Message) { m.Kind, m.Status = notify.KindUpdate, "resolved" }, ""},
		{"test", func(m *notify.Message) { *m = notify.Message{Kind: notify.KindTest} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := notifytest.Interactive()
			tt.edit(&m)
			var ids []string
			for _, b := range Payload(m).Blocks {
				for _, e := range b.Elements {
					if e.ActionID != "" {
						ids = append(ids, e.ActionID)
					}
				}
			}
			if got := strings.Join(ids, ","); got != tt.actions {
				t.Errorf("action ids %q, want %q", got, tt.actions)
			}
		})
	}
}

var target = notifytest.WebhookTarget(New, "/services/T0/B0/SLACKSECRET?token=SECRET", "SLACKSECRET", "SECRET")

func TestKit(t *testing.T) { notifytest.Run(t, target) }

func BenchmarkPayload(b *testing.B) {
	notifytest.BenchmarkPayload(b, func(m notify.Message) any { return Payload(m) })
}

func BenchmarkSend(b *testing.B) { notifytest.BenchmarkSend(b, target) }
