package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// go test -run '^$' -bench 'Payload|Signature|ParseSMSReply|ParseSlackAction|Send' -benchmem ./internal/notify/

func BenchmarkPayloads(b *testing.B) {
	m := channelMessage()
	for _, bb := range []struct {
		name  string
		build func() any
	}{
		{"slack", func() any { return SlackPayload(m) }},
		{"teams", func() any { return TeamsPayload(m) }},
		{"mattermost", func() any { return MattermostPayload(m) }},
		{"ntfy", func() any { return NtfyHeaders(m) }},
		{"sms", func() any { return SMSBody(m) }},
		{"voice", func() any { return VoiceTwiML(m) }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(bb.build()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyTwilioSignature(b *testing.B) {
	params := url.Values{"From": {"+4915100000001"}, "To": {"+15550000000"}, "Body": {"ack 12"}, "MessageSid": {"SM0123456789"}, "AccountSid": {"AC123"}}
	full := "https://vigil.example.com/api/v1/twilio/sms"
	sig := TwilioSignature("token", full, params)
	b.ReportAllocs()
	for b.Loop() {
		if !VerifyTwilioSignature("token", full, params, sig) {
			b.Fatal("signature does not verify")
		}
	}
}

func BenchmarkVerifySlackSignature(b *testing.B) {
	now := time.Unix(1531420618, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifySlackSignature(slackDocSecret, slackDocTS, []byte(slackDocBody), slackDocSig, now, SlackMaxAge); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSMSReply(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSMSReply("Ack #12."); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSlackAction(b *testing.B) {
	payload := slackPayload(b, blockActions("vigil_ack", "12"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSlackAction(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend measures one delivery to a local receiver, HTTP included.
func BenchmarkSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }))
	defer srv.Close()
	acct := func() (TwilioAccount, error) {
		return TwilioAccount{AccountSID: "AC1", AuthToken: "t", From: "+15550000000", BaseURL: srv.URL}, nil
	}
	m := channelMessage()
	for _, bb := range []struct {
		ch Channel
		to Destination
	}{
		{NewSlack(srv.Client()), Destination{WebhookURL: srv.URL + "/s"}},
		{NewNtfy(srv.Client(), func() (NtfyServer, error) { return NtfyServer{URL: srv.URL}, nil }), Destination{Topic: "t"}},
		{NewSMS(srv.Client(), acct), Destination{Number: "+4915100000001"}},
	} {
		b.Run(bb.ch.Type(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bb.ch.Send(context.Background(), bb.to, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
