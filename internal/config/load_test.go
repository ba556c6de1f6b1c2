package config

import (
	"slices"
	"strings"
	"testing"
)

// base is a small valid configuration that snippets refer to. Loaded as a
// document after a snippet, its lines start after the snippet's and a "---".
const base = `org:
  providers:
    smtp: {host: 127.0.0.1, port: 1025, from: vigil@example.com}
    twilio: {account_sid: AC0, from: "+15550000000"}
    ntfy: {url: "http://127.0.0.1:8090"}
users:
  - id: base-user
    time_zone: UTC
    contact_methods: [{id: base-hook, type: webhook, url: "http://127.0.0.1:9000/base"}]
    notification_rules: [{contact_method: base-hook, delay: 0m}]
teams:
  - {id: base-team, kind: dev, members: [base-user], schedule: base-schedule, escalation_policy: base-policy}
  - {id: base-irt, kind: global-irt, members: [base-user], escalation_policy: base-policy}
schedules:
  - id: base-schedule
    time_zone: UTC
    layers: [{id: l1, users: [base-user], rotation: {every: 1w}, start: "2026-01-05T09:00:00Z"}]
escalation_policies:
  - {id: base-policy, steps: [{targets: [{schedule: base-schedule}], escalate_after: 10m}]}
services:
  - {id: base-service, owner: base-team}
`

// problemStrings loads a snippet as "t.yaml", followed by base when asked.
func problemStrings(snippet string, withBase bool) []string {
	data := strings.TrimPrefix(snippet, "\n")
	if withBase {
		data += "---\n" + base
	}
	l := LoadBytes("t.yaml", []byte(data))
	out := make([]string, len(l.Problems))
	for i, p := range l.Problems {
		out[i] = p.String()
	}
	return out
}

func TestBaseIsValid(t *testing.T) {
	if got := problemStrings("", true); len(got) != 0 {
		t.Fatalf("base has problems:\n%s", strings.Join(got, "\n"))
	}
}

const idRule = ": use lowercase letters, digits and '-', starting with a letter or digit, at most 64 characters"

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		withBase bool
		want     []string
	}{
		{
			name: "unknown keys, with a suggestion when one is close",
			yaml: `
colour: blue
service:
  - {id: x}
escalation_policies:
  - id: p1
    steps:
      - targets: [{user: base-user}]
        escalate_afer: 10m
`,
			withBase: true,
			want: []string{
				`t.yaml:1:1: colour: unknown field "colour"`,
				`t.yaml:2:1: service: unknown field "service" (did you mean "services"?)`,
				// The misspelt key is the one problem: escalate_after's
				// absence is not reported a second time.
				`t.yaml:8:9: escalation_policies[0].steps[0].escalate_afer: unknown field "escalate_afer" (did you mean "escalate_after"?)`,
			},
		},
		{
			name: "a misspelt required key is reported once, a missing one still is",
			yaml: `
users:
  - {id: u1, tmie_zone: Europe/Berlin}
  - {id: u2, time_zone: Europe/Berlin, tmie_zone: x}
  - {time_zone: UTC}
`,
			want: []string{
				`t.yaml:2:14: users[0].tmie_zone: unknown field "tmie_zone" (did you mean "time_zone"?)`,
				`t.yaml:3:40: users[1].tmie_zone: unknown field "tmie_zone" (did you mean "time_zone"?)`,
				`t.yaml:4:5: users[2].id: missing required field "id"`,
			},
		},
		{
			name: "unknown keys in nested org mappings",
			yaml: `
org:
  night_hour: {start: "22:00", end: "08:00"}
  providers:
    smtp: {host: h, port: 25, from: a@b.example, startls: true}
`,
			want: []string{
				`t.yaml:2:3: org.night_hour: unknown field "night_hour" (did you mean "night_hours"?)`,
				`t.yaml:4:50: org.providers.smtp.startls: unknown field "startls" (did you mean "starttls"?)`,
			},
		},
		{
			name: "wrong YAML types",
			yaml: `
users:
  - id: u1
    time_zone: UTC
    contact_methods: webhook
teams: {id: t}
services:
  - id: s1
    owner: base-team
    revenue_critical: "yes"
    integrations:
      - {type: generic, key: g1, rate_limit: fast, mapping: [a]}
escalation_policies:
  - {id: p1, repeat: many, steps: [{targets: [{user: base-user}], escalate_after: 10m}]}
schedules:
  - id: s1
    time_zone: UTC
    layers:
      - {id: l1, users: base-user, rotation: {every: 1d}, start: 2026-01-05}
`,
			withBase: true,
			want: []string{
				`t.yaml:4:22: users[0].contact_methods: expected a list, got "webhook"`,
				`t.yaml:5:8: teams: expected a list, got a mapping`,
				`t.yaml:9:23: services[0].revenue_critical: expected true or false, got "yes"`,
				`t.yaml:11:46: services[0].integrations[0].rate_limit: expected a number, got "fast"`,
				`t.yaml:11:61: services[0].integrations[0].mapping: expected a mapping, got a list`,
				`t.yaml:13:22: escalation_policies[0].repeat: expected a whole number, got "many"`,
				`t.yaml:18:25: schedules[0].layers[0].users: expected a list, got "base-user"`,
				`t.yaml:18:66: schedules[0].layers[0].start: expected an RFC 3339 timestamp such as "2026-01-05T09:00:00+01:00", got "2026-01-05"`,
			},
		},
		{
			name: "missing required fields",
			yaml: `
users:
  - id: u1
  - {name: Nobody, time_zone: UTC}
teams:
  - id: t1
    members: [base-user]
services:
  - id: s1
schedules:
  - id: s2
    time_zone: UTC
    layers:
      - id: l1
        rotation: {every: 1d}
escalation_policies:
  - id: p1
  - id: p2
    steps:
      - escalate_after: 5m
`,
			withBase: true,
			want: []string{
				`t.yaml:2:5: users[0].time_zone: missing required field "time_zone"`,
				`t.yaml:3:5: users[1].id: missing required field "id"`,
				`t.yaml:5:5: teams[0].kind: missing required field "kind"`,
				`t.yaml:8:5: services[0].owner: missing required field "owner"`,
				`t.yaml:13:9: schedules[0].layers[0].users: missing required field "users"`,
				`t.yaml:13:9: schedules[0].layers[0].start: missing required field "start"`,
				`t.yaml:16:5: escalation_policies[0].steps: missing required field "steps"`,
				`t.yaml:19:9: escalation_policies[1].steps[0].targets: missing required field "targets"`,
			},
		},
		{
			name: "malformed ids",
			yaml: "users:\n" +
				"  - {id: Alice, time_zone: UTC}\n" +
				"  - {id: -bob, time_zone: UTC}\n" +
				"  - {id: carol_1, time_zone: UTC}\n" +
				"  - {id: " + strings.Repeat("a", 65) + ", time_zone: UTC}\n" +
				"  - {id: " + strings.Repeat("b", 64) + ", time_zone: UTC}\n",
			want: []string{
				`t.yaml:2:10: users[0].id: invalid id "Alice"` + idRule,
				`t.yaml:3:10: users[1].id: invalid id "-bob"` + idRule,
				`t.yaml:4:10: users[2].id: invalid id "carol_1"` + idRule,
				`t.yaml:5:10: users[3].id: invalid id "` + strings.Repeat("a", 64) + `"...` + idRule,
			},
		},
		{
			name: "duplicate ids per kind, within a user, and across documents",
			yaml: `
users:
  - {id: u2, time_zone: UTC}
  - {id: u2, time_zone: UTC}
  - id: u3
    time_zone: UTC
    contact_methods:
      - {id: m, type: webhook, url: "http://127.0.0.1/a"}
      - {id: m, type: webhook, url: "http://127.0.0.1/b"}
teams:
  - {id: t1, kind: dev, escalation_policy: base-policy}
  - {id: t1, kind: dev, escalation_policy: base-policy}
services:
  - {id: base-service, owner: base-team}
`,
			withBase: true,
			want: []string{
				`t.yaml:3:10: users[1].id: duplicate user id "u2"`,
				`t.yaml:8:14: users[2].contact_methods[1].id: duplicate contact method id "m"`,
				`t.yaml:11:10: teams[1].id: duplicate team id "t1"`,
				// The base document's first service: line 21 of base.
				`t.yaml:35:10: services[0].id: duplicate service id "base-service"`,
			},
		},
		{
			name: "unknown references",
			yaml: `
users:
  - id: u1
    time_zone: UTC
    contact_methods: [{id: hook, type: webhook, url: "http://127.0.0.1/u1"}]
    notification_rules: [{contact_method: hok, delay: 0m}]
teams:
  - {id: t1, kind: dev, members: [nobody], schedule: nosched, escalation_policy: nopol}
  - {id: t2, kind: irt, covers: [nosvc], escalation_policy: base-policy}
schedules:
  - id: s1
    time_zone: UTC
    layers: [{id: l1, users: [ghost], rotation: {every: 1d}, start: "2026-01-05T09:00:00Z"}]
    overrides: [{user: ghost2, replaces: base-usr, start: "2026-01-05T09:00:00Z", end: "2026-01-06T09:00:00Z"}]
escalation_policies:
  - id: p1
    steps: [{targets: [{user: x}, {schedule: y}, {team: base-tem}], escalate_after: 5m}]
services:
  - {id: svc, owner: base-tea, escalation_policy: nopol, depends_on: [{service: base-servic, kind: soft}]}
`,
			withBase: true,
			want: []string{
				`t.yaml:5:43: users[0].notification_rules[0].contact_method: unknown contact method "hok" of this user (did you mean "hook"?)`,
				`t.yaml:7:35: teams[0].members[0]: unknown user "nobody"`,
				`t.yaml:7:54: teams[0].schedule: unknown schedule "nosched"`,
				`t.yaml:7:82: teams[0].escalation_policy: unknown escalation policy "nopol"`,
				`t.yaml:8:34: teams[1].covers[0]: unknown service "nosvc"`,
				`t.yaml:12:31: schedules[0].layers[0].users[0]: unknown user "ghost"`,
				`t.yaml:13:24: schedules[0].overrides[0].user: unknown user "ghost2"`,
				`t.yaml:13:42: schedules[0].overrides[0].replaces: unknown user "base-usr" (did you mean "base-user"?)`,
				`t.yaml:16:31: escalation_policies[0].steps[0].targets[0].user: unknown user "x"`,
				`t.yaml:16:46: escalation_policies[0].steps[0].targets[1].schedule: unknown schedule "y"`,
				`t.yaml:16:57: escalation_policies[0].steps[0].targets[2].team: unknown team "base-tem" (did you mean "base-team"?)`,
				`t.yaml:18:22: services[0].owner: unknown team "base-tea" (did you mean "base-team"?)`,
				`t.yaml:18:51: services[0].escalation_policy: unknown escalation policy "nopol"`,
				`t.yaml:18:81: services[0].depends_on[0].service: unknown service "base-servic" (did you mean "base-service"?)`,
			},
		},
		{
			name: "invalid time zones",
			yaml: `
org:
  freezes:
    - {id: f1, every: "fri 16:00-23:59", time_zone: Moon/Base}
users:
  - {id: u1, time_zone: Mars/Olympus}
  - {id: u2, time_zone: Local}
teams:
  - id: t1
    kind: dev
    time_zone: europe/berlin
    escalation_policy: base-policy
schedules:
  - id: s1
    time_zone: Europe/Berln
    layers:
      - id: l1
        users: [base-user]
        rotation: {every: 1d}
        start: "2026-01-05T09:00:00Z"
        time_zone: "+01:00"
`,
			withBase: true,
			want: []string{
				`t.yaml:3:53: org.freezes[0].time_zone: invalid time zone "Moon/Base": use a name of the IANA time zone database, Area/City such as "America/Sao_Paulo", or UTC`,
				`t.yaml:5:25: users[0].time_zone: invalid time zone "Mars/Olympus": use a name of the IANA time zone database, Area/City such as "America/Sao_Paulo", or UTC`,
				`t.yaml:6:25: users[1].time_zone: invalid time zone "Local": use a name of the IANA time zone database, Area/City such as "America/Sao_Paulo", or UTC`,
				`t.yaml:10:16: teams[0].time_zone: invalid time zone "europe/berlin" (did you mean "Europe/Berlin"?)`,
				`t.yaml:14:16: schedules[0].time_zone: invalid time zone "Europe/Berln" (did you mean "Europe/Berlin"?)`,
				`t.yaml:20:20: schedules[0].layers[0].time_zone: invalid time zone "+01:00": use a name of the IANA time zone database, Area/City such as "America/Sao_Paulo", or UTC`,
			},
		},
		{
			name: "invalid durations",
			yaml: `
users:
  - id: u1
    time_zone: UTC
    contact_methods: [{id: h, type: webhook, url: "http://127.0.0.1/h"}]
    notification_rules:
      - {contact_method: h, delay: 5x}
      - {contact_method: h, delay: {minutes: 5}}
      - {contact_method: h, delay: -1m}
schedules:
  - id: s1
    time_zone: UTC
    layers:
      - {id: a, users: [u1], rotation: {every: 0d}, start: "2026-01-05T09:00:00Z"}
      - {id: b, users: [u1], rotation: {every: 90m}, start: "2026-01-05T09:00:00Z"}
      - {id: c, users: [u1], rotation: {every: 1d12h}, start: "2026-01-05T09:00:00Z"}
      - {id: d, users: [u1], rotation: {every: 1y}, start: "2026-01-05T09:00:00Z"}
services:
  - id: s1
    owner: base-team
    coverage: {mode: backup, after: soon}
    integrations:
      - {type: heartbeat, key: hb1, interval: 10}
escalation_policies:
  - {id: p1, steps: [{targets: [{user: u1}], escalate_after: 0s}]}
`,
			withBase: true,
			want: []string{
				`t.yaml:6:36: users[0].notification_rules[0].delay: invalid duration "5x": unknown unit "x" (use s, m, h, d or w)`,
				`t.yaml:7:36: users[0].notification_rules[1].delay: expected a string, got a mapping`,
				`t.yaml:8:36: users[0].notification_rules[2].delay: duration "-1m" is negative`,
				`t.yaml:13:48: schedules[0].layers[0].rotation.every: invalid rotation "0d": use a positive whole number of hours, days or weeks, such as "12h", "1d" or "1w"`,
				`t.yaml:14:48: schedules[0].layers[1].rotation.every: invalid rotation "90m": use a positive whole number of hours, days or weeks, such as "12h", "1d" or "1w"`,
				`t.yaml:15:48: schedules[0].layers[2].rotation.every: invalid rotation "1d12h": use a positive whole number of hours, days or weeks, such as "12h", "1d" or "1w"`,
				`t.yaml:16:48: schedules[0].layers[3].rotation.every: invalid duration "1y": unknown unit "y" (use s, m, h, d or w)`,
				`t.yaml:20:37: services[0].coverage.after: invalid duration "soon": expected a number`,
				`t.yaml:22:47: services[0].integrations[0].interval: invalid duration "10": missing unit (s, m, h, d or w)`,
				`t.yaml:24:62: escalation_policies[0].steps[0].escalate_after: escalate_after is required and must be a positive duration such as "10m"`,
			},
		},
		{
			name: "invalid times of day, weekdays and recurrences",
			yaml: `
org:
  night_hours: {start: "24:00", end: "8:00"}
  business_hours: {start: "08:00", end: "18:00", days: [monday, fri]}
  freezes:
    - {id: f1, every: "friday 16:00-23:59"}
    - {id: f2, every: "sat 10:00-10:00"}
schedules:
  - id: s1
    time_zone: UTC
    layers:
      - id: l1
        users: [base-user]
        rotation: {every: 1d}
        start: "2026-01-05T09:00:00Z"
        active:
          - {days: [Mon, tue], from: "07:60", to: "19:00"}
          - {days: [sun], to: "12:00"}
`,
			withBase: true,
			want: []string{
				`t.yaml:2:24: org.night_hours.start: invalid time "24:00": use HH:MM from 00:00 to 23:59`,
				`t.yaml:2:38: org.night_hours.end: invalid time "8:00": use HH:MM, such as "07:30"`,
				`t.yaml:3:57: org.business_hours.days[0]: invalid weekday "monday": use mon, tue, wed, thu, fri, sat or sun`,
				`t.yaml:5:23: org.freezes[0].every: invalid recurrence "friday 16:00-23:59": "friday" is not a day or range of days (mon..sun)`,
				`t.yaml:6:23: org.freezes[1].every: invalid recurrence "sat 10:00-10:00": the window is empty (from equals to)`,
				`t.yaml:16:21: schedules[0].layers[0].active[0].days[0]: invalid weekday "Mon": use mon, tue, wed, thu, fri, sat or sun`,
				`t.yaml:16:38: schedules[0].layers[0].active[0].from: invalid time "07:60": use HH:MM from 00:00 to 23:59`,
				`t.yaml:17:13: schedules[0].layers[0].active[1].from: missing required field "from"`,
			},
		},
		{
			name: "bad enumeration values",
			yaml: `
users:
  - id: u1
    time_zone: UTC
    role: owner
    contact_methods: [{id: p, type: pager}]
teams:
  - {id: t1, kind: ops, escalation_policy: base-policy}
services:
  - id: s1
    owner: base-team
    coverage: {mode: paralel}
    depends_on: [{service: base-service, kind: hardd}]
    integrations:
      - {type: nagios, key: n1}
      - {type: alertmanager, key: am1, default_severity: page}
    urgency: {critcal: high, error: medium}
`,
			withBase: true,
			want: []string{
				`t.yaml:4:11: users[0].role: invalid role "owner": use admin, or leave it out`,
				`t.yaml:5:37: users[0].contact_methods[0].type: invalid type "pager": use email, sms, voice, webhook, slack, teams, mattermost or ntfy`,
				`t.yaml:7:20: teams[0].kind: invalid kind "ops": use dev, irt or global-irt`,
				`t.yaml:11:22: services[0].coverage.mode: invalid mode "paralel": use parallel, backup or primary (did you mean "parallel"?)`,
				`t.yaml:12:48: services[0].depends_on[0].kind: invalid kind "hardd": use hard or soft (did you mean "hard"?)`,
				`t.yaml:14:16: services[0].integrations[0].type: invalid type "nagios": use pagerduty, alertmanager, grafana, generic or heartbeat`,
				`t.yaml:15:58: services[0].integrations[1].default_severity: invalid default_severity "page": use critical, error, warning or info`,
				`t.yaml:16:15: services[0].urgency.critcal: invalid severity "critcal": use critical, error, warning or info (did you mean "critical"?)`,
				`t.yaml:16:30: services[0].urgency.error: invalid urgency "medium": use high or low`,
			},
		},
		{
			name: "no global-irt team",
			yaml: `
teams:
  - {id: t1, kind: dev}
`,
			want: []string{`t.yaml:2:3: teams: no global-irt team: exactly one team must have kind global-irt`},
		},
		{
			name: "no teams at all needs no global-irt team",
			yaml: `
users:
  - {id: u1, time_zone: UTC}
`,
		},
		{
			name: "a second global-irt team",
			yaml: `
teams:
  - {id: other-irt, kind: global-irt, escalation_policy: base-policy}
`,
			withBase: true,
			want: []string{
				// The base document's teams[1], line 13 of base.
				`t.yaml:16:26: teams[1].kind: a second global-irt team: "other-irt" is already the global-irt team, and there is exactly one`,
			},
		},
		{
			name: "covers only on irt teams, one irt team per service",
			yaml: `
teams:
  - {id: t1, kind: dev, covers: [base-service], escalation_policy: base-policy}
  - {id: irt-a, kind: irt, covers: [base-service], escalation_policy: base-policy}
  - {id: irt-b, kind: irt, covers: [base-service], escalation_policy: base-policy}
`,
			withBase: true,
			want: []string{
				`t.yaml:2:33: teams[0].covers: covers is only allowed on irt teams, and this team's kind is "dev"`,
				`t.yaml:4:37: teams[2].covers[0]: service "base-service" is already covered by irt team "irt-a"; a service has one covering irt team`,
			},
		},
		{
			name: "integrations: key shapes, unique keys, heartbeat interval, mapping",
			yaml: `
services:
  - id: s1
    owner: base-team
    integrations:
      - {type: pagerduty, key: a1b2c3d4e5f60718293a4b5c6d7e8f9}
      - {type: pagerduty, key: a1b2c3d4-5f60718293a4b5c6d7e8f90}
      - {type: alertmanager, key: am/1}
      - {type: grafana, key: shared}
      - {type: heartbeat, key: hb}
      - {type: generic, key: gen, interval: 5m, mapping: {summary: title, severity: "/a~2"}}
      - {type: grafana, key: graf, mapping: {summary: /title}}
  - id: s2
    owner: base-team
    integrations: [{type: alertmanager, key: shared}, {type: generic}]
`,
			withBase: true,
			want: []string{
				`t.yaml:5:32: services[0].integrations[0].key: invalid pagerduty key "a1b2c3d4e5f60718293a4b5c6d7e8f9": use exactly 32 letters and digits`,
				`t.yaml:6:32: services[0].integrations[1].key: invalid pagerduty key "a1b2c3d4-5f60718293a4b5c6d7e8f90": use exactly 32 letters and digits`,
				`t.yaml:7:35: services[0].integrations[2].key: invalid integration key "am/1": use letters, digits, '-', '_' and '.', at most 128 characters`,
				`t.yaml:9:9: services[0].integrations[4].interval: a heartbeat integration needs an interval, a positive duration such as "10m"`,
				`t.yaml:10:45: services[0].integrations[5].interval: interval applies only to heartbeat integrations`,
				`t.yaml:10:59: services[0].integrations[5].mapping.summary: invalid JSON pointer "title": it starts with '/', such as "/labels/severity"`,
				`t.yaml:10:75: services[0].integrations[5].mapping.severity: invalid JSON pointer "/a~2": '~' must be followed by 0 or 1`,
				`t.yaml:11:45: services[0].integrations[6].mapping: mapping applies only to generic integrations`,
				`t.yaml:14:46: services[1].integrations[0].key: integration key "shared" is already used by service "s1"; keys are unique across all services`,
				`t.yaml:14:55: services[1].integrations[1].key: missing required field "key"`,
			},
		},
		{
			name: "escalation targets name exactly one thing; repeat is not negative",
			yaml: `
escalation_policies:
  - id: p1
    repeat: -1
    steps:
      - targets: [{}, {user: base-user, schedule: base-schedule}]
        escalate_after: 5m
`,
			withBase: true,
			want: []string{
				`t.yaml:3:13: escalation_policies[0].repeat: repeat -1 is negative`,
				`t.yaml:5:19: escalation_policies[0].steps[0].targets[0]: a target names one of user, schedule or team`,
				`t.yaml:5:23: escalation_policies[0].steps[0].targets[1]: a target names exactly one of user, schedule or team, not user and schedule`,
			},
		},
		{
			name: "overrides end after they start",
			yaml: `
schedules:
  - id: s1
    time_zone: UTC
    layers: [{id: l1, users: [base-user], rotation: {every: 1w}, start: "2026-01-05T09:00:00Z"}]
    overrides:
      - {user: base-user, start: "2026-02-02T09:00:00Z", end: "2026-02-02T09:00:00Z"}
      - {user: base-user, start: "2026-02-02T09:00:00+01:00", end: "2026-02-02T07:30:00Z"}
      - {user: base-user, start: "2026-02-02T09:00:00Z"}
      - {id: o1, user: base-user, start: "2026-02-02T09:00:00Z", end: "2026-02-03T09:00:00Z"}
      - {id: o1, user: base-user, start: "2026-02-04T09:00:00Z", end: "2026-02-05T09:00:00Z"}
`,
			withBase: true,
			want: []string{
				`t.yaml:6:63: schedules[0].overrides[0].end: end (2026-02-02T09:00:00Z) must be after start (2026-02-02T09:00:00Z)`,
				`t.yaml:7:68: schedules[0].overrides[1].end: end (2026-02-02T07:30:00Z) must be after start (2026-02-02T09:00:00+01:00)`,
				`t.yaml:8:9: schedules[0].overrides[2].end: missing required field "end"`,
				`t.yaml:10:14: schedules[0].overrides[4].id: duplicate override id "o1"`,
			},
		},
		{
			name: "layers end after they start",
			yaml: `
schedules:
  - id: s1
    time_zone: UTC
    layers:
      - {id: l1, users: [base-user], rotation: {every: 1w}, start: "2026-01-05T09:00:00Z", end: "2026-01-05T09:00:00Z"}
      - {id: l2, users: [base-user], rotation: {every: 1w}, start: "2026-01-05T09:00:00Z", end: "2026-03-01T00:00:00+01:00"}
`,
			withBase: true,
			want: []string{
				`t.yaml:5:97: schedules[0].layers[0].end: end (2026-01-05T09:00:00Z) must be after start (2026-01-05T09:00:00Z)`,
			},
		},
		{
			name: "contact method addresses per type",
			yaml: `
users:
  - id: u1
    time_zone: UTC
    email: not-an-email
    contact_methods:
      - {id: a, type: webhook}
      - {id: b, type: email, address: "Alice <alice@example.com>"}
      - {id: c, type: sms, number: "004915100000001"}
      - {id: d, type: voice}
      - {id: e, type: slack, webhook_url: "ftp://hooks.example.com/x"}
      - {id: f, type: teams, url: "https://teams.example.com/x"}
      - {id: g, type: mattermost, webhook_url: "https://mm.example.com/hooks/g"}
      - {id: h, type: ntfy}
      - {id: i, type: email, address: a@example.com, number: "+4915100000001"}
      - {id: j, type: webhook, url: "http://127.0.0.1/j", secret_env: "MY-SECRET"}
      - {id: k, type: ntfy, topic: "pages/all"}
`,
			withBase: true,
			want: []string{
				`t.yaml:4:12: users[0].email: invalid email address "not-an-email"`,
				`t.yaml:6:9: users[0].contact_methods[0].url: missing required field "url" for webhook contact methods`,
				`t.yaml:7:39: users[0].contact_methods[1].address: invalid email address "Alice <alice@example.com>"`,
				`t.yaml:8:36: users[0].contact_methods[2].number: invalid phone number "004915100000001": use E.164, such as "+4915100000001"`,
				`t.yaml:9:9: users[0].contact_methods[3].number: missing required field "number" for voice contact methods`,
				`t.yaml:10:43: users[0].contact_methods[4].webhook_url: invalid URL "ftp://hooks.example.com/x": use an absolute http or https URL`,
				`t.yaml:11:9: users[0].contact_methods[5].webhook_url: missing required field "webhook_url" for teams contact methods`,
				`t.yaml:11:35: users[0].contact_methods[5].url: field "url" does not apply to teams contact methods`,
				`t.yaml:13:9: users[0].contact_methods[7].topic: missing required field "topic" for ntfy contact methods`,
				`t.yaml:14:62: users[0].contact_methods[8].number: field "number" does not apply to email contact methods`,
				`t.yaml:15:71: users[0].contact_methods[9].secret_env: invalid environment variable name "MY-SECRET": use letters, digits and '_', at most 256 characters`,
				`t.yaml:16:36: users[0].contact_methods[10].topic: invalid ntfy topic "pages/all": use letters, digits, '_' and '-', at most 64 characters`,
			},
		},
		{
			name: "contact methods need the provider that delivers them",
			yaml: `
users:
  - id: u1
    time_zone: UTC
    contact_methods:
      - {id: a, type: email, address: a@example.com}
      - {id: b, type: sms, number: "+4915100000001"}
      - {id: c, type: ntfy, topic: pages}
      - {id: d, type: ntfy, topic: pages, url: "https://ntfy.example.com"}
`,
			want: []string{
				`t.yaml:5:23: users[0].contact_methods[0].type: email contact methods need org.providers.smtp`,
				`t.yaml:6:23: users[0].contact_methods[1].type: sms contact methods need org.providers.twilio`,
				`t.yaml:7:9: users[0].contact_methods[2].url: ntfy contact methods need a url when org.providers.ntfy is not set`,
			},
		},
		{
			name: "org providers",
			yaml: `
org:
  providers:
    smtp: {host: "", port: 70000, from: vigil}
    twilio: {account_sid: AC0, from: "555-0100", base_url: "api.twilio.com"}
    ntfy: {token_env: "1TOKEN"}
`,
			want: []string{
				`t.yaml:3:18: org.providers.smtp.host: missing required field "host"`,
				`t.yaml:3:28: org.providers.smtp.port: invalid port 70000: use 1 to 65535`,
				`t.yaml:3:41: org.providers.smtp.from: invalid email address "vigil"`,
				`t.yaml:4:38: org.providers.twilio.from: invalid phone number "555-0100": use E.164, such as "+4915100000001"`,
				`t.yaml:4:60: org.providers.twilio.base_url: invalid URL "api.twilio.com": use an absolute http or https URL`,
				`t.yaml:5:11: org.providers.ntfy.url: missing required field "url"`,
				`t.yaml:5:23: org.providers.ntfy.token_env: invalid environment variable name "1TOKEN": use letters, digits and '_', at most 256 characters`,
			},
		},
		{
			name: "smtp with both TLS modes",
			yaml: `
org:
  providers:
    smtp: {host: mail.example.com, port: 465, from: vigil@example.com, starttls: true, tls: true}
`,
			want: []string{
				`t.yaml:3:93: org.providers.smtp.tls: tls (TLS from the first byte) and starttls (an upgrade after the greeting) exclude each other: choose one`,
			},
		},
		{
			name: "country codes",
			yaml: `
teams:
  - {id: t1, kind: dev, country: de, escalation_policy: base-policy}
  - {id: t2, kind: dev, country: DEU, escalation_policy: base-policy}
schedules:
  - id: s1
    time_zone: UTC
    layers:
      - id: l1
        users: [base-user]
        rotation: {every: 1w}
        start: "2026-01-05T09:00:00Z"
        skip_holidays: D1
`,
			withBase: true,
			want: []string{
				`t.yaml:2:34: teams[0].country: invalid country code "de": use two upper-case letters (ISO 3166-1 alpha-2), such as "DE"`,
				`t.yaml:3:34: teams[1].country: invalid country code "DEU": use two upper-case letters (ISO 3166-1 alpha-2), such as "DE"`,
				`t.yaml:12:24: schedules[0].layers[0].skip_holidays: invalid country code "D1": use two upper-case letters (ISO 3166-1 alpha-2), such as "DE"`,
			},
		},
		{
			name: "freezes",
			yaml: `
org:
  freezes:
    - {id: a, from: "2026-12-21T00:00:00Z", to: "2027-01-04T00:00:00Z", every: "fri 16:00-23:59"}
    - {id: b, reason: "nothing set"}
    - {id: c, from: "2026-12-21T00:00:00Z", to: "2026-12-20T00:00:00Z"}
    - {id: c, from: "2026-12-21T00:00:00Z"}
    - {id: d, every: "fri 16:00"}
`,
			want: []string{
				`t.yaml:3:7: org.freezes[0]: a freeze has either from and to, or every, not both`,
				`t.yaml:4:7: org.freezes[1]: a freeze needs from and to, or every`,
				`t.yaml:5:49: org.freezes[2].to: to (2026-12-20T00:00:00Z) must be after from (2026-12-21T00:00:00Z)`,
				`t.yaml:6:7: org.freezes[3].to: missing required field "to"`,
				`t.yaml:6:12: org.freezes[3].id: duplicate freeze id "c"`,
				`t.yaml:7:22: org.freezes[4].every: invalid recurrence "fri 16:00": the times are HH:MM-HH:MM`,
			},
		},
		{
			name: "services: default policy, runbook, coverage; self and cyclic dependencies are fine",
			yaml: `
teams:
  - {id: t-nopol, kind: dev}
services:
  - id: s1
    owner: t-nopol
    runbook: runbooks/s1
    depends_on:
      - {service: s1, kind: hard}
      - {service: base-service, kind: hard}
      - {service: base-service, kind: soft}
    coverage: {mode: parallel, after: 5m}
  - id: s2
    owner: base-team
    coverage: {mode: backup}
    depends_on: [{service: s3, kind: hard}]
  - id: s3
    owner: base-team
    depends_on: [{service: s2, kind: hard}]
`,
			withBase: true,
			want: []string{
				`t.yaml:6:14: services[0].runbook: invalid URL "runbooks/s1": use an absolute http or https URL`,
				`t.yaml:10:19: services[0].depends_on[2].service: service "base-service" is listed twice in depends_on`,
				`t.yaml:11:39: services[0].coverage.after: after applies only to backup coverage`,
				`t.yaml:14:15: services[1].coverage.after: backup coverage needs after, a positive duration such as "5m"`,
			},
		},
		{
			name: "YAML structure: duplicate keys, anchors, merge keys, non-string keys",
			yaml: `
users:
  - &person
    id: u1
    time_zone: UTC
    time_zone: Europe/Berlin
  - <<: *person
    id: u2
  - {<<: [{time_zone: Mars/Base}, {id: u3, time_zone: UTC}]}
  - {[a]: b}
`,
			withBase: true,
			want: []string{
				`t.yaml:5:5: users[0].time_zone: duplicate key "time_zone"`,
				`t.yaml:8:23: users[2].time_zone: invalid time zone "Mars/Base": use a name of the IANA time zone database, Area/City such as "America/Sao_Paulo", or UTC`,
				`t.yaml:9:5: users[3].id: missing required field "id"`,
				`t.yaml:9:5: users[3].time_zone: missing required field "time_zone"`,
				`t.yaml:9:6: users[3]: keys must be strings, got a list`,
			},
		},
		{
			name: "mappings and merge keys of the wrong shape",
			yaml: `
services:
  - id: s1
    owner: base-team
    coverage: parallel
  - {<<: [{id: s2}, 5], owner: base-team}
  - {<<: oops, id: s3, owner: base-team}
`,
			withBase: true,
			want: []string{
				`t.yaml:4:15: services[0].coverage: expected a mapping, got "parallel"`,
				`t.yaml:5:21: services[1]: a merge key (<<) takes a mapping or a list of mappings, got "5"`,
				`t.yaml:6:10: services[2]: a merge key (<<) takes a mapping or a list of mappings, got "oops"`,
			},
		},
		{
			name: "the top level is a mapping",
			yaml: `
- users
- teams
`,
			want: []string{`t.yaml:1:1: expected a mapping with org, users, teams, schedules, escalation_policies, services or operations, got a list`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemStrings(tt.yaml, tt.withBase)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
