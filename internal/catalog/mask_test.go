package catalog

import "testing"

func TestContactMethodMasked(t *testing.T) {
	tests := []struct {
		name string
		in   ContactMethod
		want ContactMethod
	}{
		{"sms", ContactMethod{ID: "a-sms", Type: MethodSMS, Number: "+4915100000001", Verify: true},
			ContactMethod{ID: "a-sms", Type: MethodSMS, Number: "+***01", Verify: true}},
		{"voice without a plus", ContactMethod{ID: "v", Type: MethodVoice, Number: "015100000042"},
			ContactMethod{ID: "v", Type: MethodVoice, Number: "***42"}},
		{"a number too short to keep digits", ContactMethod{ID: "v", Type: MethodVoice, Number: "112"},
			ContactMethod{ID: "v", Type: MethodVoice, Number: "***"}},
		{"email", ContactMethod{ID: "m", Type: MethodEmail, Address: "alice@example.com"},
			ContactMethod{ID: "m", Type: MethodEmail, Address: "a***@example.com"}},
		{"not an email address", ContactMethod{ID: "m", Type: MethodEmail, Address: "alice"},
			ContactMethod{ID: "m", Type: MethodEmail, Address: "***"}},
		{"slack", ContactMethod{ID: "s", Type: MethodSlack, WebhookURL: "https://hooks.slack.com/services/T000/B000/XXXXXXXX"},
			ContactMethod{ID: "s", Type: MethodSlack, WebhookURL: "https://hooks.slack.com/***"}},
		{"webhook with user info and query", ContactMethod{ID: "w", Type: MethodWebhook, URL: "http://bot:hunter2@127.0.0.1:9000/alice?token=abc", SecretEnv: "HOOK_SECRET"},
			ContactMethod{ID: "w", Type: MethodWebhook, URL: "http://127.0.0.1:9000/***", SecretEnv: "HOOK_SECRET"}},
		{"a URL that does not parse", ContactMethod{ID: "w", Type: MethodTeams, WebhookURL: "http://[::1"},
			ContactMethod{ID: "w", Type: MethodTeams, WebhookURL: "***"}},
		{"ntfy", ContactMethod{ID: "n", Type: MethodNtfy, Topic: "alice-pager-x7", URL: "https://ntfy.example.com"},
			ContactMethod{ID: "n", Type: MethodNtfy, Topic: "***", URL: "https://ntfy.example.com/***"}},
		{"nothing to mask", ContactMethod{ID: "n", Type: MethodNtfy},
			ContactMethod{ID: "n", Type: MethodNtfy}},
	}
	for _, tt := range tests {
		if got := tt.in.Masked(); got != tt.want {
			t.Errorf("%s: Masked() = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestUserMaskedContactsLeavesTheOriginal(t *testing.T) {
	u := User{ID: "alice", ContactMethods: []ContactMethod{{ID: "a-sms", Type: MethodSMS, Number: "+4915100000001"}}}
	m := u.MaskedContacts()
	if m.ContactMethods[0].Number != "+***01" {
		t.Errorf("masked number %q", m.ContactMethods[0].Number)
	}
	if u.ContactMethods[0].Number != "+4915100000001" {
		t.Errorf("masking changed the user it was given: %q", u.ContactMethods[0].Number)
	}
}
