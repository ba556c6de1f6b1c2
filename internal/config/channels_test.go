package config

import (
	"slices"
	"strings"
	"testing"
)

func TestChannelSettings(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"valid", `
org:
  providers:
    twilio: {account_sid: AC0, from: "+15550000000", auth_token_env: VIGIL_TWILIO_TOKEN}
    slack: {signing_secret_env: VIGIL_SLACK_SECRET, bot_token_env: VIGIL_SLACK_BOT, api_url: "https://slack.example.com/api"}
users:
  - id: u1
    time_zone: UTC
    contact_methods:
      - {id: a, type: sms, number: "+4915100000001", verify: true}
      - {id: b, type: voice, number: "+4915100000001", verify: false}
`, nil},
		{"slack provider", `
org:
  providers:
    slack: {bot_token_env: "2BOT", api_url: "slack.com/api"}
`, []string{
			`t.yaml:3:12: org.providers.slack.signing_secret_env: missing required field "signing_secret_env"`,
			`t.yaml:3:28: org.providers.slack.bot_token_env: invalid environment variable name "2BOT": use letters, digits and '_', at most 256 characters`,
			`t.yaml:3:45: org.providers.slack.api_url: invalid URL "slack.com/api": use an absolute http or https URL`,
		}},
		{"slack secret name", `
org:
  providers:
    slack: {signing_secret_env: "MY-SECRET"}
`, []string{
			`t.yaml:3:33: org.providers.slack.signing_secret_env: invalid environment variable name "MY-SECRET": use letters, digits and '_', at most 256 characters`,
		}},
		{"verify on a method that has no number", `
users:
  - id: u1
    time_zone: UTC
    contact_methods:
      - {id: a, type: webhook, url: "https://example.com/hook", verify: true}
`, []string{
			`t.yaml:5:73: users[0].contact_methods[0].verify: verify applies to sms and voice contact methods only`,
		}},
		{"verify is a boolean", `
users:
  - id: u1
    time_zone: UTC
    contact_methods:
      - {id: a, type: webhook, url: "https://example.com/hook", verify: sometimes}
`, []string{
			`t.yaml:5:73: users[0].contact_methods[0].verify: expected true or false, got "sometimes"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemStrings(tt.yaml, false)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
