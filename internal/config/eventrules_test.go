package config

import (
	"slices"
	"strings"
	"testing"
)

// eventRulesBase is a minimal org with services for the rules to name.
const eventRulesBase = `teams:
  - {id: platform, kind: global-irt, time_zone: UTC, members: []}
services:
  - {id: ledger-db, owner: platform}
  - {id: platform-catchall, owner: platform}
`

func TestEventRules(t *testing.T) {
	l := LoadBytes("org.yaml", []byte(eventRulesBase+`org:
  integrations:
    - {type: alertmanager, key: am-org}
    - {type: pagerduty, key: "0123456789abcdef0123456789abcdef"}
  event_rules:
    - match: {labels: {env: staging}}
      suppress: true
    - match: {labels: {team: payments}, labels_re: {alertname: "^Ledger"}}
      service: ledger-db
    - match: {labels: {service: "*"}}
      service: "{{labels.service}}"
      severity: "{{labels.severity}}"
  unrouted_service: platform-catchall
`))
	if len(l.Problems) != 0 {
		t.Fatalf("problems: %v", l.Problems)
	}
	o := l.Bundle.Org
	if len(o.Integrations) != 2 || o.Integrations[0].Key != "am-org" || len(o.EventRules) != 3 || o.UnroutedService != "platform-catchall" {
		t.Fatalf("org = %+v", o)
	}
	r := o.EventRules[1]
	if r.Service != "ledger-db" || r.Match.Labels["team"] != "payments" || r.Match.LabelsRe["alertname"] != "^Ledger" || !o.EventRules[0].Suppress {
		t.Errorf("rules = %+v", o.EventRules)
	}
}

func TestEventRulesProblems(t *testing.T) {
	l := LoadBytes("org.yaml", []byte(eventRulesBase+`  - {id: unrouted, owner: platform, integrations: [{type: alertmanager, key: am-org}]}
org:
  integrations:
    - {type: heartbeat, key: hb-org, interval: 5m}
    - {type: alertmanager, key: am-org}
  event_rules:
    - match: {labels: {env: staging}, labels_re: {alertname: "(x"}}
      suppress: true
      service: ledger-db
    - match: {labels: {"a b": "*"}}
      service: ledger-dv
      severity: urgent
    - match: {lables: {x: y}}
      service: "{{labels.service"
    - match: {}
  unrouted_service: nowhere
`))
	var got []string
	for _, p := range l.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`org.yaml:6:78: services[2].integrations[0].key: integration key "am-org" is already used by org.integrations; keys are unique across all services`,
		`org.yaml:9:14: org.integrations[0].type: invalid type "heartbeat": use pagerduty, alertmanager, grafana or generic`,
		`org.yaml:12:51: org.event_rules[0].match.labels_re.alertname: invalid regular expression "(x": error parsing regexp: missing closing ): ` + "`(x`",
		`org.yaml:14:16: org.event_rules[0].service: a rule that suppresses routes nowhere: drop service or suppress`,
		`org.yaml:15:24: org.event_rules[1].match.labels.a b: label name "a b": use letters, digits, '_', '-' and '.'`,
		`org.yaml:16:16: org.event_rules[1].service: unknown service "ledger-dv" (did you mean "ledger-db"?)`,
		`org.yaml:17:17: org.event_rules[1].severity: invalid severity "urgent": use critical, error, warning or info`,
		`org.yaml:18:15: org.event_rules[2].match.lables: unknown field "lables" (did you mean "labels"?)`,
		`org.yaml:19:16: org.event_rules[2].service: "{{labels.service": "{{" is not closed by "}}"`,
		`org.yaml:20:7: org.event_rules[3].service: required: the service the rule routes to (a service id or a template such as "{{labels.service}}"), or suppress: true`,
		`org.yaml:21:21: org.unrouted_service: unknown service "nowhere"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A service named as the built-in catch-all is refused only when it would
// take the unrouted events unasked.
func TestEventRulesReservedService(t *testing.T) {
	for _, c := range []struct{ org, want string }{
		{"org:\n  integrations: [{type: alertmanager, key: am-org}]\n", `org.yaml:6:10: services[2].id: service id "unrouted" is where events no rule routes go when org.unrouted_service is not set; name this service org.unrouted_service, or choose another id`},
		{"org:\n  integrations: [{type: alertmanager, key: am-org}]\n  unrouted_service: unrouted\n", ""},
		{"", ""},
	} {
		l := LoadBytes("org.yaml", []byte(eventRulesBase+"  - {id: unrouted, owner: platform}\n"+c.org))
		var got []string
		for _, p := range l.Problems {
			got = append(got, p.String())
		}
		if strings.Join(got, "\n") != c.want {
			t.Errorf("%q: problems %q, want %q", c.org, got, c.want)
		}
	}
}

func TestEventWebhooksProblems(t *testing.T) {
	l := LoadBytes("org.yaml", []byte(eventRulesBase+`org:
  event_webhooks:
    - {id: chat, url: "https://chat.example.com/hook", secret_env: CHAT_SECRET, events: [incident.major, incident.note]}
    - {id: chat, url: "ftp://x", team: paymnts, events: [incident.opened]}
    - {url: "https://tickets.example.com/hook"}
`))
	var got []string
	for _, p := range l.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`org.yaml:9:12: org.event_webhooks[1].id: each event webhook needs an id of its own`,
		`org.yaml:9:23: org.event_webhooks[1].url: invalid URL "ftp://x": use an absolute http or https URL`,
		`org.yaml:9:40: org.event_webhooks[1].team: unknown team "paymnts"`,
		`org.yaml:9:58: org.event_webhooks[1].events[0]: unknown event "incident.opened": use incident.triggered, incident.acknowledged, incident.resolved, incident.escalated, incident.major or incident.note`,
		`org.yaml:10:7: org.event_webhooks[2].id: each event webhook needs an id of its own`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
