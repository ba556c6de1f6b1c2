package ops

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
)

func httpOp(url, body string, headers map[string]string, params ...Param) Operation {
	return Operation{ID: "op", Params: params, Driver: Driver{HTTP: &HTTPDriver{URL: url, Body: body, Headers: headers}}}
}

func TestCheck(t *testing.T) {
	region := Param{Name: "region", Pattern: "^[a-z]+-[0-9]+$"}
	cases := []struct {
		name string
		op   Operation
		want []string // "path: fragment", in order; none for a valid operation
	}{
		{name: "valid http", op: httpOp("https://p.example/v1/{{service}}/drain?r={{param.region}}", `{"r": "{{param.region}}", "n": {{incident}}}`,
			map[string]string{"Authorization": "Bearer {{env.TOKEN}}"}, region)},
		{name: "valid exec", op: Operation{ID: "op", Driver: Driver{Exec: &ExecDriver{Command: []string{"deployctl", "rollback", "{{service}}"}}}}},
		{name: "no driver", op: Operation{ID: "op"}, want: []string{"driver: needs http or exec"}},
		{name: "both drivers", op: Operation{ID: "op", Driver: Driver{HTTP: &HTTPDriver{URL: "http://x/"}, Exec: &ExecDriver{Command: []string{"x"}}}},
			want: []string{"driver: not both"}},
		{name: "unknown variable", op: httpOp("http://p/{{services}}", "", nil), want: []string{"driver.http.url: unknown variable {{services}}"}},
		{name: "undeclared parameter", op: httpOp("http://p/{{param.zone}}", "", nil, region),
			want: []string{`driver.http.url: {{param.zone}} names no parameter of operation "op" (it has region)`}},
		{name: "parameter in the host", op: httpOp("http://{{param.region}}.p.example/", "", nil, region),
			want: []string{"driver.http.url: {{param.region}} stands before the URL's path"}},
		{name: "service in the scheme", op: httpOp("{{service}}://p/", "", nil), want: []string{"driver.http.url: {{service}} stands before the URL's path"}},
		{name: "relative URL", op: httpOp("/v1/{{service}}", "", nil), want: []string{"driver.http.url: the URL starts with http://"}},
		{name: "literal dot-dot segment", op: httpOp("http://p/a/../{{service}}", "", nil), want: []string{`driver: the URL's path would hold a ".." segment`}},
		{name: "body not JSON", op: httpOp("http://p/", `region={{service}}`, nil), want: []string{"driver.http.body: the body is not a JSON document"}},
		{name: "body with a bare string", op: httpOp("http://p/", `{"a": "{{service}}}`, nil), want: []string{"driver.http.body: the body is not a JSON document"}},
		{name: "variable after a backslash", op: httpOp("http://p/", `{"a": "\{{service}}"}`, nil), want: []string{"driver.http.body: {{service}} follows a backslash"}},
		{name: "bad method", op: Operation{ID: "op", Driver: Driver{HTTP: &HTTPDriver{Method: "TRACE", URL: "http://p/"}}}, want: []string{"driver.http.method: invalid method"}},
		{name: "bad header name", op: httpOp("http://p/", "", map[string]string{"X Bad": "1"}), want: []string{"driver.http.headers.X Bad: invalid header name"}},
		{name: "Host header", op: httpOp("http://p/", "", map[string]string{"host": "evil"}), want: []string{"driver.http.headers.host: the request sets host itself"}},
		{name: "variable in a header name is a bad name", op: httpOp("http://p/", "", map[string]string{"X-{{service}}": "1"}), want: []string{"driver.http.headers.X-{{service}}: invalid header name"}},
		{name: "templated program", op: Operation{ID: "op", Driver: Driver{Exec: &ExecDriver{Command: []string{"{{param.bin}}", "x"}}}, Params: []Param{{Name: "bin"}}},
			want: []string{"driver.exec.command[0]: the program is fixed"}},
		{name: "empty command", op: Operation{ID: "op", Driver: Driver{Exec: &ExecDriver{}}}, want: []string{"driver.exec.command: the command names a program"}},
		{name: "bad env name", op: Operation{ID: "op", Driver: Driver{Exec: &ExecDriver{Command: []string{"x"}, Env: map[string]string{"A=B": "1"}}}},
			want: []string{"driver.exec.env.A=B: invalid environment variable name"}},
		{name: "parameter problems", op: Operation{ID: "op", Params: []Param{{Name: "a", Pattern: "[0-9]+", Default: "x1"}, {Name: "a"}, {}, {Name: "b", Pattern: "(unclosed"}},
			Driver: Driver{Exec: &ExecDriver{Command: []string{"x"}}}},
			want: []string{`params[0].default: parameter "a": "x1" does not match [0-9]+`, `params[1].name: parameter "a" is declared twice`,
				`params[2].name: missing required field "name"`, "params[3].pattern: invalid pattern"}},
		{name: "timeout too long", op: Operation{ID: "op", Timeout: duration.Duration(11 * time.Minute), Driver: Driver{Exec: &ExecDriver{Command: []string{"x"}}}},
			want: []string{"timeout: timeout 11m is not between 0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Check(&c.op)
			if len(got) != len(c.want) {
				t.Fatalf("Check = %q, want %d problems like %q", got, len(c.want), c.want)
			}
			for i, w := range c.want {
				path, frag, _ := strings.Cut(w, ": ")
				if got[i].Path != path || !strings.Contains(got[i].Message, frag) {
					t.Errorf("problem %d = %s, want %s", i, got[i], w)
				}
			}
		})
	}
}

func TestResolve(t *testing.T) {
	op := Operation{ID: "scale", Params: []Param{
		{Name: "region", Required: true, Pattern: "^[a-z]+-[0-9]+$"},
		{Name: "replicas", Pattern: "[0-9]{1,3}", Default: "3"},
		{Name: "reason"},
		{Name: "token", Secret: true, Pattern: "[a-z]+"},
	}}
	cases := []struct {
		name           string
		given, service map[string]string
		want           string // sorted k=v, or the error
	}{
		{name: "defaults", given: map[string]string{"region": "eu-1"}, want: "region=eu-1 replicas=3"},
		{name: "service values", service: map[string]string{"region": "us-2", "replicas": "5"}, want: "region=us-2 replicas=5"},
		{name: "given beats service beats default", given: map[string]string{"replicas": "7"}, service: map[string]string{"region": "us-2", "replicas": "5"},
			want: "region=us-2 replicas=7"},
		{name: "empty given counts as not given", given: map[string]string{"region": "", "reason": ""}, service: map[string]string{"region": "us-2"}, want: "region=us-2 replicas=3"},
		{name: "required missing", want: `invalid parameters: parameter "region" is required`},
		{name: "pattern is anchored", given: map[string]string{"region": "eu-1", "replicas": "1234"},
			want: `invalid parameters: parameter "replicas": "1234" does not match [0-9]{1,3}`},
		{name: "newline does not slip past an anchored pattern", given: map[string]string{"region": "eu-1\nx"},
			want: `invalid parameters: parameter "region": "eu-1\nx" does not match ^[a-z]+-[0-9]+$`},
		{name: "unknown parameter", given: map[string]string{"region": "eu-1", "force": "yes"},
			want: `invalid parameters: operation "scale" has no parameter "force" (it has region, replicas, reason, token)`},
		{name: "secret value not shown", given: map[string]string{"region": "eu-1", "token": "S3CRET"},
			want: `invalid parameters: parameter "token": *** does not match [a-z]+`},
		{name: "NUL", given: map[string]string{"region": "eu-1", "reason": "a\x00b"}, want: `invalid parameters: parameter "reason" holds a NUL byte`},
		{name: "invalid UTF-8", given: map[string]string{"region": "eu-1", "reason": "\xff"}, want: `invalid parameters: parameter "reason" is not valid UTF-8`},
		{name: "oversized", given: map[string]string{"region": "eu-1", "reason": strings.Repeat("x", 4097)}, want: `invalid parameters: parameter "reason" is longer than 4096 bytes`},
		{name: "hostile text is a value", given: map[string]string{"region": "eu-1", "reason": `"}{{env.SECRET}}/../`}, want: `reason="}{{env.SECRET}}/../ region=eu-1 replicas=3`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := op.Resolve(c.given, c.service)
			var s string
			if err != nil {
				s = err.Error()
			} else {
				s = strings.ReplaceAll(formatParams(got), ", ", " ")
			}
			if s != c.want {
				t.Errorf("Resolve = %s\nwant     %s", s, c.want)
			}
		})
	}
}

func TestCheckServiceParams(t *testing.T) {
	op := Operation{ID: "drain", Params: []Param{{Name: "region", Pattern: "^[a-z]+-[0-9]+$"}}}
	got := CheckServiceParams(&op, map[string]string{"region": "EU", "zone": "a"})
	want := []string{`region: parameter "region": "EU" does not match ^[a-z]+-[0-9]+$`, `zone: operation "drain" has no parameter "zone" (it has region)`}
	if len(got) != len(want) {
		t.Fatalf("CheckServiceParams = %q, want %q", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("problem %d = %s, want %s", i, got[i], want[i])
		}
	}
}
