package mattermost

import (
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/notify"
)

func TestParseAction(t *testing.T) {
	good := `{"user_id":"u1","user_name":"alice","channel_id":"c1","post_id":"p1","trigger_id":"t1",` +
		`"context":{"incident_id":12,"verb":"acknowledge","user":"alice","notification":7,"token":"TOKEN"}}`
	got, err := ParseAction([]byte(good))
	want := ActionRequest{UserID: "u1", UserName: "alice", ChannelID: "c1", PostID: "p1", TriggerID: "t1",
		Context: Context{IncidentID: 12, Verb: "acknowledge", User: "alice", NotificationID: 7, Token: "TOKEN"}}
	if err != nil || got != want {
		t.Fatalf("ParseAction = %+v, %v; want %+v", got, err, want)
	}
	bad := []string{
		``,
		`{`,
		`[]`,
		`{"context":{"incident_id":12,"verb":"delete","token":"T"}}`,
		`{"context":{"incident_id":0,"verb":"resolve","token":"T"}}`,
		`{"context":{"incident_id":-1,"verb":"resolve","token":"T"}}`,
		`{"context":{"incident_id":12,"verb":"resolve","token":""}}`,
		`{"context":{"incident_id":"12","verb":"resolve","token":"T"}}`,
		`{"context":{"incident_id":1e400,"verb":"resolve","token":"T"}}`,
		`{"context":{"incident_id":12,"verb":"resolve","token":"T"}} {}`,
		`{"context":{"incident_id":12,"verb":"resolve","token":"T","notification":-5}}`,
		`{"user_name":"` + strings.Repeat("a", MaxActionRequest) + `"}`,
	}
	for _, b := range bad {
		if got, err := ParseAction([]byte(b)); err == nil {
			t.Errorf("ParseAction(%.60q) = %+v, want an error", b, got)
		}
	}
}

func FuzzParseAction(f *testing.F) {
	f.Add([]byte(`{"user_id":"u1","context":{"incident_id":12,"verb":"acknowledge","notification":7,"token":"T"}}`))
	f.Add([]byte(`{"context":{"incident_id":-1,"verb":"resolve","token":"T"}}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseAction(body)
		if err != nil {
			return
		}
		c := req.Context
		if c.Verb != notify.VerbAcknowledge && c.Verb != notify.VerbResolve || c.IncidentID <= 0 || c.NotificationID < 0 || c.Token == "" || len(body) > MaxActionRequest {
			t.Fatalf("accepted %q as %+v", body, req)
		}
	})
}

func TestActorAndNonce(t *testing.T) {
	tests := []struct {
		req                  ActionRequest
		wantActor, wantNonce string
	}{
		{ActionRequest{UserID: "u1", UserName: "alice", TriggerID: "t1", Context: Context{User: "alice"}}, "user:alice", "mattermost:t1"},
		{ActionRequest{UserID: "u2", UserName: "bob", Context: Context{User: "alice"}}, "mattermost:bob", ""},
		{ActionRequest{UserID: "u2", Context: Context{User: "alice"}}, "mattermost:u2", ""},
	}
	for _, tt := range tests {
		if got := tt.req.Actor(); got != tt.wantActor {
			t.Errorf("Actor of %+v = %q, want %q", tt.req, got, tt.wantActor)
		}
		if got := tt.req.Nonce(); got != tt.wantNonce {
			t.Errorf("Nonce of %+v = %q, want %q", tt.req, got, tt.wantNonce)
		}
	}
}

func TestReply(t *testing.T) {
	acted := Reply("Incident #12 acknowledged", "user:alice")
	if acted.EphemeralText != "" || acted.Update == nil || acted.Update.Message != "Incident #12 acknowledged by @alice" || acted.Update.Props == nil {
		t.Errorf("Reply after acting = %+v", acted)
	}
	if got := Reply("Incident #12 acknowledged", "mattermost:bob"); got.Update == nil || got.Update.Message != "Incident #12 acknowledged by @bob" {
		t.Errorf("Reply for a Mattermost name = %+v", got)
	}
	refused := Reply("Incident #12 is already resolved", "")
	if refused.Update != nil || refused.EphemeralText != "Incident #12 is already resolved" {
		t.Errorf("Reply without acting = %+v", refused)
	}
}
