package api

import (
	"strings"
	"testing"
)

// TestContactMethodsShowOnlyToTheirOwnerAndAdmins: a phone number or a
// chat webhook URL (a credential) is shown in full only to admins and to
// its user; everyone else sees its type and a masked value, in the user
// endpoints and in the exported configuration.
func TestContactMethodsShowOnlyToTheirOwnerAndAdmins(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	const (
		aliceNumber = "+4915100000001"
		aliceHook   = "https://hooks.slack.com/services/T000/B000/ALICESECRET"
		ginaHook    = "https://example.webhook.office.com/webhookb2/GINASECRET"
		ginaMail    = "gina.private@example.com"
	)
	providers := map[string]any{"providers": map[string]any{
		"twilio": map[string]any{"account_sid": "AC00000000000000000000000000000000", "auth_token_env": "TWILIO_TOKEN", "from": "+15550000000"},
		"smtp":   map[string]any{"host": "127.0.0.1", "port": 1025, "from": "vigil@example.com"},
	}}
	if code := f.call("PUT", "/api/v1/org", adminSecret, providers, nil); code != 200 {
		t.Fatalf("put org = %d", code)
	}
	for _, u := range []map[string]any{
		{"id": "alice", "name": "Alice", "time_zone": "Europe/Berlin", "contact_methods": []any{
			map[string]any{"id": "alice-sms", "type": "sms", "number": aliceNumber},
			map[string]any{"id": "alice-slack", "type": "slack", "webhook_url": aliceHook},
		}},
		{"id": "gina", "name": "Gina", "time_zone": "America/New_York", "contact_methods": []any{
			map[string]any{"id": "gina-teams", "type": "teams", "webhook_url": ginaHook},
			map[string]any{"id": "gina-mail", "type": "email", "address": ginaMail},
		}},
	} {
		if code := f.call("PUT", "/api/v1/users/"+u["id"].(string), adminSecret, u, nil); code != 200 {
			t.Fatalf("put %s = %d", u["id"], code)
		}
	}
	alice := []string{aliceNumber, "ALICESECRET"}
	gina := []string{"GINASECRET", ginaMail}
	masked := []string{`"number":"+***01"`, `"webhook_url":"https://hooks.slack.com/***"`, `"type":"teams"`, `"address":"g***@example.com"`}
	callers := []struct {
		name, token    string
		sees, seesNot  []string
		seesMaskedOnly bool
	}{
		{"viewer", f.viewer, nil, append(alice, gina...), true},
		{"alice", "user-token-of-alice", alice, gina, false},
		{"gina", "user-token-of-gina", gina, alice, false},
		{"admin", adminSecret, append(alice, gina...), nil, false},
	}
	for _, c := range callers {
		for _, path := range []string{"/api/v1/users", "/api/v1/users/alice", "/api/v1/users/gina", "/api/v1/config"} {
			var body []byte
			if code := f.call("GET", path, c.token, nil, (*rawBody)(&body)); code != 200 {
				t.Fatalf("%s: GET %s = %d", c.name, path, code)
			}
			for _, secret := range c.seesNot {
				if strings.Contains(string(body), secret) {
					t.Errorf("%s: GET %s shows %q", c.name, path, secret)
				}
			}
			for _, secret := range c.sees {
				if strings.Contains(path, "/users/") && !strings.Contains(path, ownerOf(secret, alice)) {
					continue // the other user's page
				}
				if !strings.Contains(string(body), secret) {
					t.Errorf("%s: GET %s does not show %q", c.name, path, secret)
				}
			}
			if c.seesMaskedOnly && path == "/api/v1/users" {
				for _, m := range masked {
					if !strings.Contains(string(body), m) {
						t.Errorf("%s: GET %s lacks the masked %s:\n%s", c.name, path, m, body)
					}
				}
			}
		}
	}
}

// ownerOf names the user whose secret it is: alice's are listed in alice.
func ownerOf(secret string, alice []string) string {
	for _, s := range alice {
		if s == secret {
			return "alice"
		}
	}
	return "gina"
}

// rawBody takes an answer's bytes as they are.
type rawBody []byte

func (b *rawBody) UnmarshalJSON(data []byte) error {
	*b = append((*b)[:0], data...)
	return nil
}
