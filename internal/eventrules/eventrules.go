// Package eventrules routes the events of an organisation-wide integration
// (one Alertmanager receiver, one PagerDuty key for everything) to services
// by their labels: org.event_rules in the configuration. It is a pure core:
// rules compile once per configuration and decide per event, with no I/O.
//
// Rules run in order and the first match wins. A match holds when every
// entry of labels holds (an exact value, or "*": the label is present and
// not empty) and every regular expression of labels_re finds a match in
// its label's value (unanchored, as Go's regexp does: anchor with ^ and $;
// an absent label matches no expression). An empty match takes every event.
// The matching rule either suppresses the event or names its service, a
// fixed id or a template such as "{{labels.service}}", and may rewrite its
// severity the same way.
package eventrules

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// UnroutedService is the service that takes the events no rule routes when
// org.unrouted_service is not set: owned by the global IRT, whose policy
// it pages. A configured service may not take this id then.
const UnroutedService = "unrouted"

// Limits on what a configuration may ask for, so that a hostile or
// mistaken configuration cannot make every event expensive.
const (
	// MaxRules is the most rules org.event_rules may hold.
	MaxRules = 10000
	// MaxPatternLen is the longest regular expression, in bytes.
	MaxPatternLen = 1024
	// MaxTemplateLen is the longest service or severity template, in bytes.
	MaxTemplateLen = 1024
	// MaxLabelNameLen is the longest label name a rule may name.
	MaxLabelNameLen = 128
)

// Outcome is what the rules decided for an event.
type Outcome int

// Outcomes.
const (
	// Unmatched: no rule matched; the event goes to org.unrouted_service,
	// or else to the unrouted list and the global IRT.
	Unmatched Outcome = iota
	// Routed: a rule named the event's service.
	Routed
	// Suppressed: a rule suppressed the event: it is stored and counted,
	// and never pages.
	Suppressed
)

func (o Outcome) String() string {
	switch o {
	case Routed:
		return "routed"
	case Suppressed:
		return "suppressed"
	}
	return "unmatched"
}

// Decision is what the rules decided for one event.
type Decision struct {
	Outcome Outcome
	// Rule is the index of the rule that matched, -1 when none did.
	Rule int
	// Service is the service a Routed event goes to, as the rule's
	// template rendered it: the caller checks that it exists.
	Service string
	// Severity is the severity the rule rewrote, as rendered (the caller
	// reads the word); empty when the rule rewrites none or its template
	// rendered empty.
	Severity string
}

// Problem is one thing wrong with a rule, at Path relative to the list of
// rules (such as "[2].match.labels_re.alertname").
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Rules are compiled event rules. The zero value (and nil) matches nothing.
type Rules struct {
	rules []rule
}

type rule struct {
	exact    []labelValue // sorted by name
	present  []string     // labels that must be present ("*")
	re       []labelRe    // sorted by name
	service  Template
	severity Template
	suppress bool
}

type labelValue struct{ name, value string }

type labelRe struct {
	name string
	re   *regexp.Regexp
}

// Compile checks and compiles rules. It returns every problem found; the
// Rules are usable only when there are none.
func Compile(rules []catalog.EventRule) (*Rules, []Problem) {
	var problems []Problem
	add := func(path, format string, args ...any) {
		problems = append(problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if len(rules) > MaxRules {
		add("", "%d rules are more than the %d allowed", len(rules), MaxRules)
		return nil, problems
	}
	out := &Rules{rules: make([]rule, 0, len(rules))}
	for i, in := range rules {
		at := "[" + strconv.Itoa(i) + "]"
		var r rule
		for _, name := range slices.Sorted(maps.Keys(in.Match.Labels)) {
			p := at + ".match.labels." + name
			if err := checkLabelName(name); err != nil {
				add(p, "%v", err)
				continue
			}
			if v := in.Match.Labels[name]; v == "*" {
				r.present = append(r.present, name)
			} else {
				r.exact = append(r.exact, labelValue{name, v})
			}
		}
		for _, name := range slices.Sorted(maps.Keys(in.Match.LabelsRe)) {
			p := at + ".match.labels_re." + name
			if err := checkLabelName(name); err != nil {
				add(p, "%v", err)
				continue
			}
			re, err := compilePattern(in.Match.LabelsRe[name])
			if err != nil {
				add(p, "%v", err)
				continue
			}
			r.re = append(r.re, labelRe{name, re})
		}
		r.suppress = in.Suppress
		switch {
		case in.Suppress && in.Service != "":
			add(at+".service", "a rule that suppresses routes nowhere: drop service or suppress")
		case in.Suppress && in.Severity != "":
			add(at+".severity", "a rule that suppresses pages nobody: drop severity or suppress")
		case !in.Suppress && in.Service == "":
			add(at+".service", "required: the service the rule routes to (a service id or a template such as \"{{labels.service}}\"), or suppress: true")
		}
		var err error
		if r.service, err = ParseTemplate(in.Service); err != nil {
			add(at+".service", "%v", err)
		}
		if r.severity, err = ParseTemplate(in.Severity); err != nil {
			add(at+".severity", "%v", err)
		}
		out.rules = append(out.rules, r)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// compilePattern compiles a labels_re expression. Go's regular expressions
// run in time linear in their input, so only the size needs a bound.
func compilePattern(pattern string) (*regexp.Regexp, error) {
	if len(pattern) > MaxPatternLen {
		return nil, fmt.Errorf("the expression is %d bytes long, more than the %d allowed", len(pattern), MaxPatternLen)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %s: %v", strconv.Quote(pattern), err)
	}
	return re, nil
}

// checkLabelName accepts the label names rules may name: Prometheus label
// names, and the keys of PagerDuty custom details and generic fields,
// which also use '-' and '.'.
func checkLabelName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty label name")
	case len(name) > MaxLabelNameLen:
		return fmt.Errorf("label name is %d bytes long, more than the %d allowed", len(name), MaxLabelNameLen)
	}
	for i := 0; i < len(name); i++ {
		if !labelNameByte(name[i]) {
			return fmt.Errorf("label name %s: use letters, digits, '_', '-' and '.'", strconv.Quote(name))
		}
	}
	return nil
}

func labelNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

// Len is the number of rules.
func (rs *Rules) Len() int {
	if rs == nil {
		return 0
	}
	return len(rs.rules)
}

// Route decides where an event with these labels goes.
func (rs *Rules) Route(labels map[string]string) Decision {
	if rs != nil {
		for i := range rs.rules {
			r := &rs.rules[i]
			if !r.matches(labels) {
				continue
			}
			if r.suppress {
				return Decision{Outcome: Suppressed, Rule: i}
			}
			return Decision{Outcome: Routed, Rule: i, Service: r.service.Render(labels), Severity: r.severity.Render(labels)}
		}
	}
	return Decision{Outcome: Unmatched, Rule: -1}
}

func (r *rule) matches(labels map[string]string) bool {
	for _, l := range r.exact {
		if labels[l.name] != l.value { // "" matches an absent label, as in Prometheus
			return false
		}
	}
	for _, name := range r.present {
		if labels[name] == "" {
			return false
		}
	}
	for _, l := range r.re {
		v, ok := labels[l.name]
		if !ok || !l.re.MatchString(v) {
			return false
		}
	}
	return true
}
