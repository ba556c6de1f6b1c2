package config

import (
	"slices"
	"strings"
	"testing"
)

func TestOperationsLoad(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "the contract's example, on loopback",
			yaml: `
operations:
  - id: drain
    description: Drain traffic away from one region
    params: [{name: region, required: true, pattern: "^[a-z]+-[0-9]+$"}]
    confirm: true
    timeout: 30s
    driver:
      http:
        method: POST
        url: "http://127.0.0.1:9400/v1/services/{{service}}/drain"
        headers: {Authorization: "Bearer {{env.PLATFORM_TOKEN}}"}
        body: '{"region": "{{param.region}}", "incident": "{{incident}}", "requested_by": "{{actor}}"}'
  - id: rollback
    driver:
      exec: {command: ["/usr/local/bin/deployctl", "rollback", "{{service}}"]}
services:
  - id: payments-api
    owner: base-team
    operations: [drain, rollback]
    operation_params: {drain: {region: eu-1}}
  - id: quiet
    owner: base-team
    operations: []
`,
		},
		{
			name: "templates name known variables only",
			yaml: `
operations:
  - id: drain
    params: [{name: region}]
    driver:
      http:
        url: "http://127.0.0.1:9400/v1/{{servce}}/drain?r={{param.zone}}"
        headers: {X-Token: "{{env.bad-name}}"}
        body: '{"region": "{{param.region}}", "who": {{actor}'
  - id: rollback
    driver:
      exec: {command: ["{{param.bin}}", "{{env.X}} {{incident}} {{nope}}"]}
`,
			want: []string{
				`t.yaml:6:14: operations[0].driver.http.url: at byte 25: unknown variable {{servce}}: use {{service}}, {{incident}}, {{actor}}, {{param.NAME}} or {{env.NAME}}`,
				`t.yaml:7:19: operations[0].driver.http.headers.X-Token: at byte 0: variable {{env.bad-name}}: invalid environment variable name "bad-name": use letters, digits and '_', not starting with a digit`,
				`t.yaml:8:15: operations[0].driver.http.body: unclosed {{ at byte 38`,
				`t.yaml:11:24: operations[1].driver.exec.command[0]: the program is fixed: no variables in command[0]`,
				`t.yaml:11:41: operations[1].driver.exec.command[1]: at byte 23: unknown variable {{nope}}: use {{service}}, {{incident}}, {{actor}}, {{param.NAME}} or {{env.NAME}}`,
			},
		},
		{
			name: "services name known operations and valid values",
			yaml: `
operations:
  - id: drain
    params: [{name: region, required: true, pattern: "^[a-z]+-[0-9]+$"}]
    driver: {http: {url: "http://127.0.0.1:9400/{{service}}"}}
  - id: restart
    driver: {http: {url: "http://127.0.0.1:9400/{{service}}/restart"}}
  - id: Bad_ID
    driver: {http: {url: "http://127.0.0.1:9400/"}}
services:
  - id: payments-api
    owner: base-team
    operations: [drain, drian, drain]
    operation_params:
      drain: {region: EU-1, zone: a}
      restart: {x: "1"}
      scale: {n: "2"}
`,
			want: []string{
				`t.yaml:7:9: operations[2].id: invalid id "Bad_ID"` + idRule,
				`t.yaml:12:25: services[0].operations[1]: unknown operation "drian" (did you mean "drain"?)`,
				`t.yaml:12:32: services[0].operations[2]: operation "drain" is listed twice`,
				`t.yaml:14:15: services[0].operation_params.drain.region: parameter "region": "EU-1" does not match ^[a-z]+-[0-9]+$`,
				`t.yaml:14:29: services[0].operation_params.drain.zone: operation "drain" has no parameter "zone" (it has region)`,
				`t.yaml:15:7: services[0].operation_params.restart: service "payments-api" does not offer operation "restart" (see its operations)`,
				`t.yaml:16:7: services[0].operation_params.scale: unknown operation "scale"`,
			},
		},
		{
			name: "a driver needs exactly one way to the platform",
			yaml: `
operations:
  - id: flag
    driver: {}
  - id: scale
    timeout: 1h
    driver:
      http: {method: TRACE, url: "ftp://127.0.0.1/"}
`,
			want: []string{
				`t.yaml:3:13: operations[0].driver: a driver needs http or exec`,
				`t.yaml:5:14: operations[1].timeout: timeout 1h is not between 0 (the default, 30s) and 10m`,
				`t.yaml:7:22: operations[1].driver.http.method: invalid method "TRACE": use GET, POST, PUT, PATCH, DELETE`,
				`t.yaml:7:34: operations[1].driver.http.url: the URL starts with http:// or https:// (or with {{env.NAME}} holding them)`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problemStrings(tc.yaml, true)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}
