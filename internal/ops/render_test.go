package ops

import (
	"slices"
	"strings"
	"testing"
)

const secret = "s3cr3t-t0ken"

func getenv(name string) string {
	return map[string]string{"SECRET": secret, "BASE": "http://127.0.0.1:9"}[name]
}

var drainHTTP = Operation{
	ID:     "drain",
	Params: []Param{{Name: "region"}, {Name: "count"}, {Name: "key", Secret: true}},
	Driver: Driver{HTTP: &HTTPDriver{
		Method:  "POST",
		URL:     "http://127.0.0.1:9/v1/services/{{service}}/regions/{{param.region}}/drain?by={{actor}}&region={{param.region}}#{{param.region}}",
		Headers: map[string]string{"authorization": "Bearer {{env.SECRET}}", "X-Region": "{{param.region}}", "X-Key": "{{param.key}}"},
		Body:    `{"region": "{{param.region}}", "incident": "{{incident}}", "count": {{param.count}}, "key": "{{param.key}}"}`,
	}},
}

func TestPrepareHTTP(t *testing.T) {
	cases := []struct {
		name               string
		region, count, key string
		url, xRegion, body string
		err                string
	}{
		{
			name: "plain", region: "eu-1", count: "3",
			url:     "http://127.0.0.1:9/v1/services/payments-api/regions/eu-1/drain?by=user%3Aalice&region=eu-1#eu-1",
			xRegion: "eu-1",
			body:    `{"region": "eu-1", "incident": "42", "count": 3, "key": ""}`,
		},
		{
			name: "quote", region: `eu"1`, count: "-1.5e3",
			url:     "http://127.0.0.1:9/v1/services/payments-api/regions/eu%221/drain?by=user%3Aalice&region=eu%221#eu%221",
			xRegion: `eu"1`,
			body:    `{"region": "eu\"1", "incident": "42", "count": -1.5e3, "key": ""}`,
		},
		{
			name: "slashes and dots stay in their segment", region: "/../", count: "true",
			url:     "http://127.0.0.1:9/v1/services/payments-api/regions/%2F..%2F/drain?by=user%3Aalice&region=%2F..%2F#%2F..%2F",
			xRegion: "/../",
			body:    `{"region": "/../", "incident": "42", "count": true, "key": ""}`,
		},
		{
			name: "query and JSON structure", region: "a&admin=true?#", count: `1, "admin": true`,
			url:     "http://127.0.0.1:9/v1/services/payments-api/regions/a&admin=true%3F%23/drain?by=user%3Aalice&region=a%26admin%3Dtrue%3F%23#a%26admin%3Dtrue%3F%23",
			xRegion: "a&admin=true?#",
			body:    `{"region": "a&admin=true?#", "incident": "42", "count": "1, \"admin\": true", "key": ""}`,
		},
		{
			name: "a template in a value stays text", region: "{{env.SECRET}}", count: "{{env.SECRET}}",
			url:     "http://127.0.0.1:9/v1/services/payments-api/regions/%7B%7Benv.SECRET%7D%7D/drain?by=user%3Aalice&region=%7B%7Benv.SECRET%7D%7D#%7B%7Benv.SECRET%7D%7D",
			xRegion: "{{env.SECRET}}",
			body:    `{"region": "{{env.SECRET}}", "incident": "42", "count": "{{env.SECRET}}", "key": ""}`,
		},
		{name: "line break into a header", region: "eu-1\r\nX-Admin: yes", err: "header X-Region: {{param.region}} holds a line break"},
		{name: "dot-dot segment", region: "..", err: `the URL's path would hold a ".." segment`},
		{name: "dot segment", region: ".", err: `the URL's path would hold a "." segment`},
		{name: "encoded dot-dot segment", region: "%2E%2E", count: "1",
			url:     "http://127.0.0.1:9/v1/services/payments-api/regions/%252E%252E/drain?by=user%3Aalice&region=%252E%252E#%252E%252E",
			xRegion: "%2E%2E",
			body:    `{"region": "%2E%2E", "incident": "42", "count": 1, "key": ""}`,
		},
		{name: "unicode and HTML", region: "<b>é</b>", count: "0",
			url:     "http://127.0.0.1:9/v1/services/payments-api/regions/%3Cb%3E%C3%A9%3C%2Fb%3E/drain?by=user%3Aalice&region=%3Cb%3E%C3%A9%3C%2Fb%3E#%3Cb%3E%C3%A9%3C%2Fb%3E",
			xRegion: "<b>é</b>",
			body:    `{"region": "<b>é</b>", "incident": "42", "count": 0, "key": ""}`,
		},
		{name: "a number with a leading zero is a string", region: "x", count: "007",
			url:     "http://127.0.0.1:9/v1/services/payments-api/regions/x/drain?by=user%3Aalice&region=x#x",
			xRegion: "x",
			body:    `{"region": "x", "incident": "42", "count": "007", "key": ""}`,
		},
		{name: "newline into JSON", region: "x", count: "1\n}", key: "",
			url:     "http://127.0.0.1:9/v1/services/payments-api/regions/x/drain?by=user%3Aalice&region=x#x",
			xRegion: "x",
			body:    `{"region": "x", "incident": "42", "count": "1\n}", "key": ""}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			params := map[string]string{"region": c.region, "count": c.count, "key": c.key}
			p := prepare(t, &drainHTTP, Values{Service: "payments-api", Incident: 42, Actor: "user:alice", Params: params, Getenv: getenv}, c.err)
			if p == nil {
				return
			}
			if p.Send.Method != "POST" || p.Send.URL != c.url {
				t.Errorf("request line = %s %s\nwant POST %s", p.Send.Method, p.Send.URL, c.url)
			}
			wantHeaders := []Header{{"Authorization", "Bearer " + secret}, {"Content-Type", "application/json"}, {"X-Key", c.key}, {"X-Region", c.xRegion}}
			if !slices.Equal(p.Send.Headers, wantHeaders) {
				t.Errorf("headers = %q, want %q", p.Send.Headers, wantHeaders)
			}
			if p.Send.Body != c.body {
				t.Errorf("body = %s\nwant   %s", p.Send.Body, c.body)
			}
			if shown := p.Shown.String(); strings.Contains(shown, secret) || !strings.Contains(shown, "Authorization: Bearer ***") {
				t.Errorf("shown request leaks the secret or does not mask it:\n%s", shown)
			}
		})
	}
}

// prepare runs Prepare for a case: nil when it failed as wantErr says.
func prepare(t *testing.T, op *Operation, v Values, wantErr string) *Prepared {
	t.Helper()
	p, err := Prepare(op, v)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("Prepare error = %v, want one containing %q", err, wantErr)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return p
}

func TestPrepareMasksSecrets(t *testing.T) {
	p, err := Prepare(&drainHTTP, Values{Service: "checkout", Actor: "user:alice",
		Params: map[string]string{"region": "eu-1", "count": "1", "key": "p@ss word"}, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	want := "POST http://127.0.0.1:9/v1/services/checkout/regions/eu-1/drain?by=user%3Aalice&region=eu-1#eu-1\n" +
		"Authorization: Bearer ***\nContent-Type: application/json\nX-Key: ***\nX-Region: eu-1\n\n" +
		`{"region": "eu-1", "incident": "", "count": 1, "key": "***"}` + "\n"
	if got := p.Shown.String(); got != want {
		t.Errorf("shown =\n%s\nwant\n%s", got, want)
	}
	answer := `{"echo": "Bearer ` + secret + `", "key": "p@ss word", "escaped": "p@ss word"}`
	if got, want := p.MaskSecrets(answer), `{"echo": "Bearer ***", "key": "***", "escaped": "***"}`; got != want {
		t.Errorf("MaskSecrets = %s, want %s", got, want)
	}
	if drainHTTP.MaskParams(map[string]string{"region": "eu-1", "key": "p@ss word"})["key"] != Mask {
		t.Error("MaskParams keeps a secret parameter")
	}
}

var rollbackExec = Operation{
	ID:     "rollback",
	Params: []Param{{Name: "to"}, {Name: "region"}},
	Driver: Driver{Exec: &ExecDriver{
		Command: []string{"/usr/local/bin/deployctl", "rollback", "{{service}}", "--region={{param.region}}", "{{param.to}}", "{{incident}}{{param.to}}"},
		Env:     map[string]string{"TOKEN": "{{env.SECRET}}", "WHO": "{{actor}}"},
	}},
}

func TestPrepareExec(t *testing.T) {
	cases := []struct {
		name, to, region string
		argv             []string
		err              string
	}{
		{name: "plain", to: "v41", region: "eu-1",
			argv: []string{"/usr/local/bin/deployctl", "rollback", "payments-api", "--region=eu-1", "v41", "v41"}},
		{name: "shell syntax is one argument", to: "v1; rm -rf / #", region: "$(id) `id` | x",
			argv: []string{"/usr/local/bin/deployctl", "rollback", "payments-api", "--region=$(id) `id` | x", "v1; rm -rf / #", "v1; rm -rf / #"}},
		{name: "newlines stay in their argument", to: "a\nb", region: "eu-1\n--force",
			argv: []string{"/usr/local/bin/deployctl", "rollback", "payments-api", "--region=eu-1\n--force", "a\nb", "a\nb"}},
		{name: "an option where an argument starts", to: "--force", region: "x", err: "{{param.to}} starts with '-'"},
		{name: "an option after an empty value", to: "-rf", region: "x", err: "starts with '-'"},
		{name: "a dash inside an argument", to: "v-1", region: "--force",
			argv: []string{"/usr/local/bin/deployctl", "rollback", "payments-api", "--region=--force", "v-1", "v-1"}},
		{name: "NUL", to: "a\x00b", region: "x", err: "NUL byte"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := prepare(t, &rollbackExec, Values{Service: "payments-api", Actor: "user:bob",
				Params: map[string]string{"to": c.to, "region": c.region}, Getenv: getenv}, c.err)
			if p == nil {
				return
			}
			if strings.Join(p.Send.Argv, "\x00") != strings.Join(c.argv, "\x00") {
				t.Errorf("argv = %q\nwant   %q", p.Send.Argv, c.argv)
			}
			if got, want := strings.Join(p.Send.Env, " "), "TOKEN="+secret+" WHO=user:bob"; got != want {
				t.Errorf("env = %q, want %q", got, want)
			}
			if strings.Contains(p.Shown.String(), secret) {
				t.Errorf("shown call leaks the secret: %s", p.Shown)
			}
		})
	}
	p, err := Prepare(&rollbackExec, Values{Service: "payments-api", Incident: 7, Actor: "user:bob",
		Params: map[string]string{"to": "v 2", "region": "eu-1"}, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Shown.String(), `TOKEN=*** WHO=user:bob /usr/local/bin/deployctl rollback payments-api --region=eu-1 "v 2" "7v 2"`+"\n"; got != want {
		t.Errorf("shown = %q, want %q", got, want)
	}
}

func TestPrepareUnsetEnvironment(t *testing.T) {
	_, err := Prepare(&drainHTTP, Values{Service: "x", Params: map[string]string{}, Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "environment variable SECRET is not set") {
		t.Errorf("Prepare without the secret = %v, want it refused", err)
	}
}

func TestPrepareBaseFromEnvironment(t *testing.T) {
	op := Operation{ID: "restart", Driver: Driver{HTTP: &HTTPDriver{URL: "{{env.BASE}}/v1/{{service}}/restart"}}}
	p, err := Prepare(&op, Values{Service: "auth", Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if p.Send.Method != "POST" || p.Send.URL != "http://127.0.0.1:9/v1/auth/restart" || p.Send.Body != "" || len(p.Send.Headers) != 0 {
		t.Errorf("call = %+v", p.Send)
	}
	if p.Shown.URL != "***/v1/auth/restart" {
		t.Errorf("shown URL = %q", p.Shown.URL)
	}
}
