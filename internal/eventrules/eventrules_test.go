package eventrules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// configRules are config.md's example rules.
var configRules = []catalog.EventRule{
	{Match: catalog.EventMatch{Labels: map[string]string{"env": "staging"}}, Suppress: true},
	{Match: catalog.EventMatch{Labels: map[string]string{"team": "payments"}, LabelsRe: map[string]string{"alertname": "^Ledger"}}, Service: "ledger-db"},
	{Match: catalog.EventMatch{Labels: map[string]string{"service": "*"}}, Service: "{{labels.service}}", Severity: "{{labels.severity}}"},
}

func mustCompile(t testing.TB, rules []catalog.EventRule) *Rules {
	t.Helper()
	rs, problems := Compile(rules)
	if len(problems) > 0 {
		t.Fatalf("compile: %v", problems)
	}
	return rs
}

func TestRoute(t *testing.T) {
	rs := mustCompile(t, configRules)
	cases := []struct {
		name   string
		labels map[string]string
		want   Decision
	}{
		{"staging is suppressed whatever else", map[string]string{"env": "staging", "service": "checkout"}, Decision{Outcome: Suppressed, Rule: 0}},
		{"exact and regular expression", map[string]string{"team": "payments", "alertname": "LedgerLag", "service": "checkout"}, Decision{Outcome: Routed, Rule: 1, Service: "ledger-db"}},
		{"expression is unanchored at the end", map[string]string{"team": "payments", "alertname": "Ledger"}, Decision{Outcome: Routed, Rule: 1, Service: "ledger-db"}},
		{"expression anchored at the start fails", map[string]string{"team": "payments", "alertname": "NoLedger", "service": "checkout", "severity": "page"}, Decision{Outcome: Routed, Rule: 2, Service: "checkout", Severity: "page"}},
		{"exact value differs", map[string]string{"team": "Payments", "alertname": "LedgerLag"}, Decision{Outcome: Unmatched, Rule: -1}},
		{"absent label never matches an expression", map[string]string{"team": "payments"}, Decision{Outcome: Unmatched, Rule: -1}},
		{"service from a label, no severity label", map[string]string{"service": "search", "env": "prod"}, Decision{Outcome: Routed, Rule: 2, Service: "search"}},
		{"star needs a non-empty label", map[string]string{"service": ""}, Decision{Outcome: Unmatched, Rule: -1}},
		{"no labels at all", nil, Decision{Outcome: Unmatched, Rule: -1}},
		{"env production is not staging", map[string]string{"env": "production"}, Decision{Outcome: Unmatched, Rule: -1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := rs.Route(MapLabels(c.labels)); got != c.want {
				t.Errorf("Route(%v) = %+v, want %+v", c.labels, got, c.want)
			}
		})
	}
}

func TestRouteEdges(t *testing.T) {
	cases := []struct {
		name   string
		rules  []catalog.EventRule
		labels map[string]string
		want   Decision
	}{
		{"no rules", nil, map[string]string{"a": "b"}, Decision{Outcome: Unmatched, Rule: -1}},
		{"empty match takes everything", []catalog.EventRule{{Service: "catchall"}}, nil, Decision{Outcome: Routed, Rule: 0, Service: "catchall"}},
		{"first match wins", []catalog.EventRule{
			{Match: catalog.EventMatch{Labels: map[string]string{"a": "*"}}, Service: "first"},
			{Match: catalog.EventMatch{Labels: map[string]string{"a": "1"}}, Service: "second"},
		}, map[string]string{"a": "1"}, Decision{Outcome: Routed, Rule: 0, Service: "first"}},
		{"exact empty value matches an absent label", []catalog.EventRule{
			{Match: catalog.EventMatch{Labels: map[string]string{"env": ""}}, Service: "no-env"},
		}, map[string]string{"a": "1"}, Decision{Outcome: Routed, Rule: 0, Service: "no-env"}},
		{"every condition must hold", []catalog.EventRule{
			{Match: catalog.EventMatch{Labels: map[string]string{"a": "1", "b": "*"}, LabelsRe: map[string]string{"c": "x$"}}, Service: "s"},
		}, map[string]string{"a": "1", "b": "2", "c": "yx"}, Decision{Outcome: Routed, Rule: 0, Service: "s"}},
		{"one condition fails", []catalog.EventRule{
			{Match: catalog.EventMatch{Labels: map[string]string{"a": "1", "b": "*"}, LabelsRe: map[string]string{"c": "x$"}}, Service: "s"},
		}, map[string]string{"a": "1", "b": "2", "c": "xy"}, Decision{Outcome: Unmatched, Rule: -1}},
		{"template mixes text and labels", []catalog.EventRule{
			{Match: catalog.EventMatch{Labels: map[string]string{"team": "*"}}, Service: "{{ labels.team }}-{{labels.tier}}api", Severity: "warning"},
		}, map[string]string{"team": "pay", "tier": "edge"}, Decision{Outcome: Routed, Rule: 0, Service: "pay-edgeapi", Severity: "warning"}},
		{"absent label renders empty", []catalog.EventRule{
			{Service: "svc-{{labels.nope}}"},
		}, nil, Decision{Outcome: Routed, Rule: 0, Service: "svc-"}},
		{"dotted and dashed names", []catalog.EventRule{
			{Match: catalog.EventMatch{Labels: map[string]string{"k8s.namespace": "pay-ns"}}, Service: "{{labels.app-name}}"},
		}, map[string]string{"k8s.namespace": "pay-ns", "app-name": "checkout"}, Decision{Outcome: Routed, Rule: 0, Service: "checkout"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := mustCompile(t, c.rules).Route(MapLabels(c.labels)); got != c.want {
				t.Errorf("Route(%v) = %+v, want %+v", c.labels, got, c.want)
			}
		})
	}
	var nilRules *Rules
	if got := nilRules.Route(MapLabels(map[string]string{"a": "b"})); got.Outcome != Unmatched || nilRules.Len() != 0 {
		t.Errorf("nil rules: %+v", got)
	}
}

func TestCompileProblems(t *testing.T) {
	long := strings.Repeat("a", MaxPatternLen+1)
	cases := []struct {
		name  string
		rules []catalog.EventRule
		want  []string
	}{
		{"neither service nor suppress", []catalog.EventRule{{Match: catalog.EventMatch{Labels: map[string]string{"a": "b"}}}},
			[]string{`[0].service: required: the service the rule routes to (a service id or a template such as "{{labels.service}}"), or suppress: true`}},
		{"suppress with service and severity", []catalog.EventRule{{Service: "x", Suppress: true}, {Severity: "critical", Suppress: true}},
			[]string{"[0].service: a rule that suppresses routes nowhere: drop service or suppress", "[1].severity: a rule that suppresses pages nobody: drop severity or suppress"}},
		{"bad expression", []catalog.EventRule{{Match: catalog.EventMatch{LabelsRe: map[string]string{"alertname": "(unclosed"}}, Service: "x"}},
			[]string{"[0].match.labels_re.alertname: invalid regular expression \"(unclosed\": error parsing regexp: missing closing ): `(unclosed`"}},
		{"oversized expression", []catalog.EventRule{{Match: catalog.EventMatch{LabelsRe: map[string]string{"a": long}}, Service: "x"}},
			[]string{"[0].match.labels_re.a: the expression is 1025 bytes long, more than the 1024 allowed"}},
		{"bad label names", []catalog.EventRule{{Match: catalog.EventMatch{Labels: map[string]string{"": "x", "a b": "y"}, LabelsRe: map[string]string{"{{x}}": "."}}, Service: "x"}},
			[]string{"[0].match.labels.: empty label name", `[0].match.labels.a b: label name "a b": use letters, digits, '_', '-' and '.'`, `[0].match.labels_re.{{x}}: label name "{{x}}": use letters, digits, '_', '-' and '.'`}},
		{"bad templates", []catalog.EventRule{{Service: "{{labels.service"}, {Service: "{{env.HOME}}", Severity: "{{labels.}}"}},
			[]string{`[0].service: "{{labels.service": "{{" is not closed by "}}"`, `[1].service: "{{env.HOME}}": {{env.HOME}}: only {{labels.NAME}} may stand between braces`, `[1].severity: "{{labels.}}": empty label name`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, problems := Compile(c.rules)
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if rs != nil || !slices.Equal(got, c.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
	if _, problems := Compile(make([]catalog.EventRule, MaxRules+1)); len(problems) != 1 || !strings.Contains(problems[0].Message, "more than the 10000 allowed") {
		t.Errorf("too many rules: %v", problems)
	}
}

func TestParseTemplate(t *testing.T) {
	labels := map[string]string{"service": "checkout", "a": "x", "b": "y"}
	cases := []struct {
		in, want, err string
		fixed         bool
	}{
		{in: "", want: "", fixed: true},
		{in: "ledger-db", want: "ledger-db", fixed: true},
		{in: "{{labels.service}}", want: "checkout"},
		{in: "{{   labels.service\t}}", want: "checkout"},
		{in: "{{labels.a}}{{labels.b}}", want: "xy"},
		{in: "pre-{{labels.a}}-post", want: "pre-x-post"},
		{in: "{ {labels.a} }", want: "{ {labels.a} }", fixed: true},
		{in: "{{labels.a}}}", want: "x}", fixed: false},
		{in: "{{", err: `"{{": "{{" is not closed by "}}"`},
		{in: "}}", err: `"}}": "}}" without "{{"`},
		{in: "a}}{{labels.a}}", err: `"a}}{{labels.a}}": "}}" without "{{"`},
		{in: "{{labels.a}}b}}", err: `"{{labels.a}}b}}": "}}" without "{{"`},
		{in: "{{}}", err: `"{{}}": {{}}: only {{labels.NAME}} may stand between braces`},
		{in: "{{ .labels.a }}", err: `"{{ .labels.a }}": {{.labels.a}}: only {{labels.NAME}} may stand between braces`},
		{in: "{{labels.a | upper}}", err: `"{{labels.a | upper}}": label name "a | upper": use letters, digits, '_', '-' and '.'`},
		{in: "{{labels.{{labels.a}}}}", err: `"{{labels.{{labels.a}}}}": label name "{{labels.a": use letters, digits, '_', '-' and '.'`},
		{in: "{{labels.é}}", err: `"{{labels.é}}": label name "é": use letters, digits, '_', '-' and '.'`},
		{in: "{{labels." + strings.Repeat("n", MaxLabelNameLen+1) + "}}", err: "label name is 129 bytes long, more than the 128 allowed"},
		{in: strings.Repeat("x", MaxTemplateLen+1), err: "the template is 1025 bytes long, more than the 1024 allowed"},
		{in: "\x00{{labels.a}}\xff", want: "\x00x\xff"},
	}
	for _, c := range cases {
		tpl, err := ParseTemplate(c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseTemplate(%q) error = %v, want %q", c.in, err, c.err)
			}
		case err != nil:
			t.Errorf("ParseTemplate(%q): %v", c.in, err)
		default:
			if got := tpl.Render(MapLabels(labels)); got != c.want {
				t.Errorf("ParseTemplate(%q).Render = %q, want %q", c.in, got, c.want)
			}
			if _, fixed := tpl.Fixed(); fixed != c.fixed {
				t.Errorf("ParseTemplate(%q).Fixed = %v, want %v", c.in, fixed, c.fixed)
			}
		}
	}
}

// FuzzParseTemplate: parsing never panics, and whatever parses renders
// without label references left in it when every label is plain text.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"", "x", "{{labels.service}}", "a{{ labels.b }}c", "{{", "}}", "{{labels.}}", "{{{{labels.a}}}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := ParseTemplate(s)
		if err != nil {
			return
		}
		got := tpl.Render(MapLabels(nil))
		if strings.Contains(got, "{{labels.") {
			t.Errorf("ParseTemplate(%q) rendered %q", s, got)
		}
		if fixed, ok := tpl.Fixed(); ok && fixed != s {
			t.Errorf("fixed template %q renders %q", s, fixed)
		}
	})
}

// FuzzCompile: any rule compiles or is refused with problems, never a
// panic, and compiled rules route any labels.
func FuzzCompile(f *testing.F) {
	f.Add("env", "staging", "alertname", "^Ledger", "{{labels.service}}", "{{labels.severity}}", false)
	f.Add("", "*", "a", "(", "{{", "}}", true)
	f.Fuzz(func(t *testing.T, name, value, reName, pattern, service, severity string, suppress bool) {
		rs, problems := Compile([]catalog.EventRule{{
			Match:   catalog.EventMatch{Labels: map[string]string{name: value}, LabelsRe: map[string]string{reName: pattern}},
			Service: service, Severity: severity, Suppress: suppress,
		}})
		if (rs == nil) == (len(problems) == 0) {
			t.Fatalf("rules %v and problems %v", rs, problems)
		}
		if rs != nil {
			d := rs.Route(MapLabels(map[string]string{name: value, reName: pattern}))
			if d.Outcome == Unmatched && d.Rule != -1 {
				t.Errorf("decision %+v", d)
			}
		}
	})
}

// naive is the rules' meaning written plainly: each rule in order, every
// condition checked, no index and no literal shortcuts.
func naive(rules []catalog.EventRule, labels map[string]string) int {
	for i, r := range rules {
		ok := true
		for name, want := range r.Match.Labels {
			v := labels[name]
			if want == "*" && v == "" || want != "*" && v != want {
				ok = false
			}
		}
		for name, pattern := range r.Match.LabelsRe {
			v, present := labels[name]
			if !present || !regexp.MustCompile(pattern).MatchString(v) {
				ok = false
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// TestRouteAgreesWithNaive: the index and the literal shortcuts never
// change which rule wins.
func TestRouteAgreesWithNaive(t *testing.T) {
	rules := []catalog.EventRule{
		{Match: catalog.EventMatch{Labels: map[string]string{"team": "a", "env": "prod"}}, Service: "0"},
		{Match: catalog.EventMatch{LabelsRe: map[string]string{"alertname": "^Disk.*Full$"}}, Service: "1"},
		{Match: catalog.EventMatch{Labels: map[string]string{"team": "b"}, LabelsRe: map[string]string{"alertname": "Lag"}}, Service: "2"},
		{Match: catalog.EventMatch{LabelsRe: map[string]string{"alertname": "(?i)^cpu"}}, Service: "3"},
		{Match: catalog.EventMatch{Labels: map[string]string{"env": "prod"}}, Service: "4"},
		{Match: catalog.EventMatch{Labels: map[string]string{"team": "a"}}, Service: "5"},
		{Match: catalog.EventMatch{LabelsRe: map[string]string{"alertname": "^(Ledger|Disk)x?"}}, Service: "6"},
		{Match: catalog.EventMatch{Labels: map[string]string{"env": ""}, LabelsRe: map[string]string{"alertname": "a|b"}}, Service: "7"},
		{Match: catalog.EventMatch{Labels: map[string]string{"service": "*"}}, Service: "8"},
	}
	rs := mustCompile(t, rules)
	values := map[string][]string{
		"team":      {"", "a", "b", "c"},
		"env":       {"", "prod", "staging"},
		"alertname": {"", "DiskFull", "DiskAlmostFull", "diskfull", "ReplicaLag", "CPUHigh", "cpu", "LedgerX", "xLedger", "zz"},
		"service":   {"", "s"},
	}
	n := 0
	for _, team := range values["team"] {
		for _, env := range values["env"] {
			for _, name := range values["alertname"] {
				for _, svc := range values["service"] {
					labels := map[string]string{}
					for k, v := range map[string]string{"team": team, "env": env, "alertname": name, "service": svc} {
						if v != "" {
							labels[k] = v
						}
					}
					if got, want := rs.Route(MapLabels(labels)).Rule, naive(rules, labels); got != want {
						t.Errorf("Route(%v) took rule %d, want %d", labels, got, want)
					}
					n++
				}
			}
		}
	}
	if n != 240 {
		t.Fatalf("%d cases", n)
	}
}

func TestLiterals(t *testing.T) {
	cases := []struct {
		pattern string
		need    []string
		prefix  bool
	}{
		{"^Ledger", []string{"Ledger"}, true},
		{"Ledger", []string{"Ledger"}, false},
		{"^Disk.*Full$", []string{"Disk", "Full"}, true},
		{"(?i)^disk", nil, false},
		{"^(Ledger|Disk)", nil, false},
		{"a|b", nil, false},
		{"^a?b", []string{"b"}, false},
		{"", nil, false},
		{"(", nil, false},
	}
	for _, c := range cases {
		need, prefix := literals(c.pattern)
		if !slices.Equal(need, c.need) || prefix != c.prefix {
			t.Errorf("literals(%q) = %q %v, want %q %v", c.pattern, need, prefix, c.need, c.prefix)
		}
	}
}

// BenchmarkRoute200: an event tried against 200 rules, the last matching.
func BenchmarkRoute200(b *testing.B) {
	rules := make([]catalog.EventRule, 0, 200)
	for i := range 100 {
		rules = append(rules, catalog.EventRule{Match: catalog.EventMatch{Labels: map[string]string{"team": fmt.Sprintf("team-%d", i), "env": "*"}}, Service: "x"})
	}
	for i := range 99 {
		rules = append(rules, catalog.EventRule{Match: catalog.EventMatch{LabelsRe: map[string]string{"alertname": fmt.Sprintf("^Disk.*Full%d$", i)}}, Service: "y"})
	}
	rules = append(rules, catalog.EventRule{Match: catalog.EventMatch{Labels: map[string]string{"service": "*"}}, Service: "{{labels.service}}", Severity: "{{labels.severity}}"})
	rs := mustCompile(b, rules)
	labels := map[string]string{"alertname": "HighLatency", "service": "checkout", "severity": "warning", "instance": "web-1:9100", "team": "shop"}
	get := MapLabels(labels)
	for b.Loop() {
		if d := rs.Route(get); d.Rule != 199 {
			b.Fatal(d)
		}
	}
}
