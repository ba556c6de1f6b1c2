package ops

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// vars shows a template's variables, or "-" for none.
func vars(t Template) string {
	vs := t.Vars()
	if len(vs) == 0 {
		return "-"
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return strings.Join(out, " ")
}

func TestParse(t *testing.T) {
	cases := []struct {
		in, vars string
		err      string // a fragment of the error; "" for none
	}{
		{in: "", vars: "-"},
		{in: "plain text", vars: "-"},
		{in: "{{service}}", vars: "{{service}}"},
		{in: "{{ service }}", vars: "{{service}}"},
		{in: "{{\tincident\t}}", vars: "{{incident}}"},
		{in: "/v1/{{service}}/drain?by={{actor}}", vars: "{{service}} {{actor}}"},
		{in: "{{param.region}}{{param.region}}", vars: "{{param.region}} {{param.region}}"},
		{in: "Bearer {{env.PLATFORM_TOKEN}}", vars: "{{env.PLATFORM_TOKEN}}"},
		{in: `{"a":{"b":"{{param.x-y_z}}"}}`, vars: "{{param.x-y_z}}"}, // a JSON body ends in "}}"
		{in: "}} alone is text }}", vars: "-"},
		{in: "{ {service} }", vars: "-"},

		{in: "{{", err: "unclosed {{ at byte 0"},
		{in: "abc {{service", err: "unclosed {{ at byte 4"},
		{in: "{{}}", err: "empty variable"},
		{in: "{{   }}", err: "empty variable"},
		{in: "{{services}}", err: "unknown variable {{services}}"},
		{in: "{{Service}}", err: "unknown variable {{Service}}"},
		{in: "{{param}}", err: "unknown variable {{param}}"},
		{in: "{{param.}}", err: "invalid parameter name"},
		{in: "{{param.1st}}", err: "invalid parameter name"},
		{in: "{{param.a.b}}", err: "invalid parameter name"},
		{in: "{{param.a b}}", err: "invalid parameter name"},
		{in: "{{param." + strings.Repeat("a", 65) + "}}", err: "invalid parameter name"},
		{in: "{{env.}}", err: "invalid environment variable name"},
		{in: "{{env.9LIVES}}", err: "invalid environment variable name"},
		{in: "{{env.A-B}}", err: "invalid environment variable name"},
		{in: "{{env.PATH;rm -rf /}}", err: "invalid environment variable name"},
		{in: "{{secret.X}}", err: "unknown variable {{secret.X}}"},
		{in: "{{ {{service}} }}", err: "unknown variable {{{{service}}"},
		{in: "{{service}} {{", err: "unclosed {{ at byte 12"},
		{in: "{{.Service}}", err: "unknown variable"},      // text/template syntax is not ours
		{in: `{{printf "%s" 1}}`, err: "unknown variable"}, // nor its functions
		{in: "{{service\n}}", err: "unknown variable"},     // a newline is not a space here
		{in: "{{env.\u00e9t\u00e9}}", err: "invalid environment variable name"},
		{in: "{{param.r\u00e9gion}}", err: "invalid parameter name"},
		{in: "{{param.x\x00}}", err: "invalid parameter name"},
		{in: strings.Repeat("x", maxTemplateLen+1), err: "longer than"},
		{in: strings.Repeat("{{service}}", maxTemplateVars+1), err: "more than 256 variables"},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("Parse(%.60q) = %v, want no error", c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Parse(%.60q) error = %v, want one containing %q", c.in, err, c.err)
		case c.err == "" && vars(got) != c.vars:
			t.Errorf("Parse(%.60q) variables = %s, want %s", c.in, vars(got), c.vars)
		}
	}
}

// FuzzParse: parsing never panics, a parsed template renders back to its
// input when every variable is written as its canonical text, and errors
// are readable text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "{{service}}", "/v1/{{ param.a }}/{{env.X}}?q={{incident}}", `{"a":"{{actor}}"}}`, "{{", "{{}}", "{{param.}}", "a}}b{{c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := Parse(s)
		if err != nil {
			if !utf8.ValidString(err.Error()) && utf8.ValidString(s) {
				t.Fatalf("error %q is not valid UTF-8", err)
			}
			return
		}
		var b strings.Builder
		for _, p := range tmpl.parts {
			if p.v.Kind == "" {
				if strings.Contains(p.text, "{{") {
					t.Fatalf("literal %q holds {{", p.text)
				}
				b.WriteString(p.text)
			} else {
				b.WriteString(p.v.String())
			}
		}
		again, err := Parse(b.String())
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", b.String(), err)
		}
		if vars(again) != vars(tmpl) {
			t.Fatalf("canonical form has variables %s, want %s", vars(again), vars(tmpl))
		}
	})
}
