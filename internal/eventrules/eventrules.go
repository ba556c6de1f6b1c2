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
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

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
//
// An event is tried only against the rules that can match it: a rule with
// an exact, non-empty label value is filed under that label and value, and
// only an event with that label value makes it a candidate; the rules with
// none are candidates for every event. Candidates are tried in the rules'
// order, so the first match still wins.
type Rules struct {
	rules   []rule
	always  []int32
	byLabel map[string]map[string][]int32
	// names are the labels the conditions read, each looked up once per
	// event; conditions refer to them by slot.
	names []string
	slots map[string]int
	// guards are the distinct literal checks that expressions need to
	// hold before they run (many rules share one, such as a prefix): each
	// is decided at most once per event.
	guards   []guard
	guardIDs map[guard]int
}

// guard: the label in slot starts with (prefix) or contains lit.
type guard struct {
	slot   int
	lit    string
	prefix bool
}

func (g guard) holds(v string) bool {
	if g.prefix {
		return strings.HasPrefix(v, g.lit)
	}
	return strings.Contains(v, g.lit)
}

type rule struct {
	exact    []labelValue // sorted by name
	present  []int        // slots of labels that must be present ("*")
	re       []labelRe    // sorted by name
	service  Template
	severity Template
	suppress bool
}

type labelValue struct {
	name, value string
	slot        int
}

type labelRe struct {
	slot int
	re   *regexp.Regexp
	// guard is the Rules' guard this expression needs to hold first, -1
	// for none: a cheap refusal shared by rules before any runs.
	guard int
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
				r.present = append(r.present, out.slot(name))
			} else {
				r.exact = append(r.exact, labelValue{name: name, value: v, slot: out.slot(name)})
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
			slot := out.slot(name)
			r.re = append(r.re, labelRe{slot: slot, re: re, guard: out.guardOf(slot, re.String())})
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
		out.file(int32(i), &r)
		out.rules = append(out.rules, r)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// slot is the slot of a label name that conditions read.
func (rs *Rules) slot(name string) int { return intern(&rs.slots, &rs.names, name) }

// guardOf files the literal check of an expression on slot, if it has one.
func (rs *Rules) guardOf(slot int, pattern string) int {
	need, prefix := literals(pattern)
	if len(need) == 0 {
		return -1
	}
	return intern(&rs.guardIDs, &rs.guards, guard{slot: slot, lit: need[0], prefix: prefix})
}

// intern is the index of k in list, appended the first time.
func intern[K comparable](ids *map[K]int, list *[]K, k K) int {
	if i, ok := (*ids)[k]; ok {
		return i
	}
	if *ids == nil {
		*ids = map[K]int{}
	}
	(*ids)[k] = len(*list)
	*list = append(*list, k)
	return len(*list) - 1
}

// file indexes rule i under its first exact, non-empty label value, or
// with the rules every event must try.
func (rs *Rules) file(i int32, r *rule) {
	for _, l := range r.exact {
		if l.value == "" {
			continue
		}
		if rs.byLabel == nil {
			rs.byLabel = map[string]map[string][]int32{}
		}
		values := rs.byLabel[l.name]
		if values == nil {
			values = map[string][]int32{}
			rs.byLabel[l.name] = values
		}
		values[l.value] = append(values[l.value], i)
		return
	}
	rs.always = append(rs.always, i)
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

// Labels looks up an event's label by name; ok is false when the event
// has no such label.
type Labels func(name string) (value string, ok bool)

// MapLabels looks labels up in a map.
func MapLabels(m map[string]string) Labels {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Route decides where an event with these labels goes. Each label is
// looked up at most once, and only if a condition reads it.
func (rs *Rules) Route(labels Labels) Decision {
	if rs == nil {
		return Decision{Outcome: Unmatched, Rule: -1}
	}
	// Each label the conditions read, looked up once.
	var values []label
	if len(rs.names) <= 16 {
		var buf [16]label
		values = buf[:len(rs.names)]
	} else {
		values = make([]label, len(rs.names))
	}
	for k, name := range rs.names {
		values[k].value, values[k].ok = labels(name)
	}
	e := event{values: values}
	if len(rs.guards) <= 64 {
		var buf [64]int8
		e.guards = buf[:len(rs.guards)]
	} else {
		e.guards = make([]int8, len(rs.guards))
	}
	// The candidate lists, each in rule order, merged as they are tried.
	var stack [8][]int32
	lists := append(stack[:0], rs.always)
	for name, byValue := range rs.byLabel {
		if v := values[rs.slots[name]]; v.ok {
			if l := byValue[v.value]; len(l) > 0 {
				lists = append(lists, l)
			}
		}
	}
	for {
		next := -1
		for k, l := range lists {
			if len(l) > 0 && (next < 0 || l[0] < lists[next][0]) {
				next = k
			}
		}
		if next < 0 {
			return Decision{Outcome: Unmatched, Rule: -1}
		}
		i := int(lists[next][0])
		lists[next] = lists[next][1:]
		r := &rs.rules[i]
		if !r.matches(rs, &e) {
			continue
		}
		if r.suppress {
			return Decision{Outcome: Suppressed, Rule: i}
		}
		return Decision{Outcome: Routed, Rule: i, Service: r.service.Render(labels), Severity: r.severity.Render(labels)}
	}
}

// label is the value of one label of an event, and whether it has it.
type label struct {
	value string
	ok    bool
}

// event is what Route knows of one event: its labels by slot, and the
// guards decided so far (0 not yet, 1 holds, 2 fails).
type event struct {
	values []label
	guards []int8
}

func (r *rule) matches(rs *Rules, e *event) bool {
	for _, l := range r.exact {
		if e.values[l.slot].value != l.value { // "" matches an absent label, as in Prometheus
			return false
		}
	}
	for _, slot := range r.present {
		if e.values[slot].value == "" {
			return false
		}
	}
	for i := range r.re {
		l := &r.re[i]
		v := e.values[l.slot]
		if !v.ok {
			return false
		}
		if g := l.guard; g >= 0 {
			if e.guards[g] == 0 {
				e.guards[g] = 2
				if rs.guards[g].holds(v.value) {
					e.guards[g] = 1
				}
			}
			if e.guards[g] == 2 {
				return false
			}
		}
		if !l.re.MatchString(v.value) {
			return false
		}
	}
	return true
}

// literals lists the case-sensitive literals that every match of pattern
// contains, from the top level of its syntax tree, and whether the first
// of them starts every match. It answers none when unsure: they only
// spare running the expression.
func literals(pattern string) (need []string, prefix bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false
	}
	re = re.Simplify()
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	anchored := false
	for k, sub := range subs {
		switch {
		case k == 0 && sub.Op == syntax.OpBeginText:
			anchored = true
		case sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0:
			if len(need) == 0 && anchored && k == 1 {
				prefix = true
			}
			need = append(need, string(sub.Rune))
		}
	}
	return need, prefix
}
