// Package ceiling puts the catalog's hard dependencies and the SLOs'
// targets together, as in "The Calculus of Service Availability" (Treynor,
// Dahlin, Rau and Beyer, ACM Queue, 2017): a service cannot be more
// available than the product of the availabilities of everything it needs.
//
// The availability ceiling of a service is the product of the SLO targets
// of every service it needs through hard edges, transitively, each counted
// once (a diamond's shared dependency is one factor, a cycle does not come
// back to the service itself, soft edges do not count). Beside it stands
// the same product of what the dependencies measured over their windows. A
// hard dependency without an SLO is unknown, never taken as perfect: the
// ceiling is then not known, and what is known of it (the product of the
// targets there are) is only a bound it stays under.
//
// A service with two SLOs offers its dependents the lowest of their
// targets (and of their measurements): Vigil cannot tell which of them
// measures what a dependent needs, and the weakest promise is the one a
// dependent can count on. The service's own SLOs are each held against
// the ceiling, so the strictest is the one flagged first.
//
// The extra-nine rule: a critical service's hard dependencies should each
// offer roughly one more nine than the service promises. Nines are counted
// whole, as people say them (99.95% is three nines), so a service at 99.9%
// wants 99.99% of each hard dependency.
//
// The package is pure: the graph and the objectives come in, the ceiling
// and its findings go out.
package ceiling

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/slo"
)

// Objective is one SLO's promise, and what it measured over its window.
type Objective struct {
	SLO     string  `json:"slo"`
	Service string  `json:"service"`
	Target  float64 `json:"target"`
	// Measured is the SLI over the SLO's window; nil without data.
	Measured *float64 `json:"measured"`
}

// ObjectivesOf reads the objectives of SLO definitions, with their
// measured SLIs by SLO name (nil, or an SLO left out, for no data).
func ObjectivesOf(defs []slo.SLO, measured map[string]float64) []Objective {
	out := make([]Objective, 0, len(defs))
	for _, d := range defs {
		o := Objective{SLO: d.Name, Service: d.Service, Target: d.Objective}
		if m, ok := measured[d.Name]; ok {
			o.Measured = &m
		}
		out = append(out, o)
	}
	return out
}

// Extra-nine verdicts of a dependency of a critical service.
const (
	NineOK    = "ok"     // offers at least one more whole nine
	NineShort = "short"  // offers fewer
	NineNoSLO = "no_slo" // promises nothing
)

// Dependency is one service a service needs through hard edges.
type Dependency struct {
	Service string `json:"service"`
	// Via is the hard path from the service down to this one, both ends
	// included: the shortest, ties going to the smallest ids.
	Via []string `json:"via"`
	// SLO is the objective that counts for it, its lowest; empty when it
	// has none, and Unknown is then set.
	SLO     string   `json:"slo,omitempty"`
	Target  *float64 `json:"target"`
	Unknown bool     `json:"unknown"`
	// Measured is the lowest SLI its SLOs measured; nil without data.
	Measured *float64 `json:"measured"`
	// ExtraNine is the extra-nine rule's verdict, set when the service is
	// critical and has an SLO.
	ExtraNine string `json:"extra_nine,omitempty"`
}

// Check is one of the service's own SLOs held against the ceiling.
type Check struct {
	SLO    string  `json:"slo"`
	Target float64 `json:"target"`
	// AboveCeiling: the target is above what the known dependencies allow.
	AboveCeiling bool `json:"above_ceiling"`
	// PulledDownBy are the fewest dependencies, weakest first, without
	// which the rest would allow the target.
	PulledDownBy []string `json:"pulled_down_by"`
}

// Ceiling is a service's availability ceiling with what it rests on.
type Ceiling struct {
	Service  string `json:"service"`
	Critical bool   `json:"critical"`
	// Objective is what the service promises at most: its strictest SLO's
	// target; nil without an SLO.
	Objective *float64 `json:"objective"`
	// Objectives are the service's own SLOs, strictest first.
	Objectives []Check `json:"objectives"`
	// Dependencies are everything it needs through hard edges, by id.
	Dependencies []Dependency `json:"dependencies"`
	// Ceiling is the product of the dependencies' targets; nil when one
	// of them has no SLO. AtMost is the product of the targets known, a
	// bound the ceiling stays under (1 with no dependency known).
	Ceiling *float64 `json:"ceiling"`
	AtMost  float64  `json:"at_most"`
	// Unknown names the dependencies without an SLO.
	Unknown []string `json:"unknown"`
	// Measured is the same product over what the dependencies measured;
	// nil when one of them has no SLO or no data. MeasuredAtMost is the
	// product of the measurements there are.
	Measured       *float64 `json:"measured"`
	MeasuredAtMost float64  `json:"measured_at_most"`
	// AboveCeiling: one of the service's objectives is above AtMost.
	AboveCeiling bool `json:"above_ceiling"`
	// PulledDownBy are the dependencies that keep its strictest objective
	// above the ceiling (see Check.PulledDownBy).
	PulledDownBy []string `json:"pulled_down_by"`
	// Findings are what lint reports of it: errors and warnings, each
	// with the fixes the paper suggests.
	Findings []Finding `json:"findings"`
}

// Finding levels.
const (
	Error   = "error"
	Warning = "warning"
)

// Finding kinds.
const (
	KindAboveCeiling = "above_ceiling" // an objective the hard dependencies cannot allow
	KindNoSLO        = "no_slo"        // a hard dependency promises nothing
	KindExtraNine    = "extra_nine"    // a critical service's hard dependency lacks the extra nine
)

// Finding is one thing wrong with a service's dependencies.
type Finding struct {
	Level   string `json:"level"`
	Kind    string `json:"kind"`
	Service string `json:"service"`
	// SLO is the service's own SLO concerned, for above_ceiling.
	SLO string `json:"slo,omitempty"`
	// Dependencies are the dependencies concerned.
	Dependencies []string `json:"dependencies"`
	Message      string   `json:"message"`
	Suggestions  []string `json:"suggestions"`
}

// tolerance absorbs float rounding: 0.9995 × 0.9995 × 0.999... compared
// with a target written in decimal.
const tolerance = 1e-12

// offer is what a service offers its dependents: its lowest target and
// lowest measurement.
type offer struct {
	slo      string
	target   float64
	measured *float64
}

// Model answers ceilings over one graph and one set of objectives.
type Model struct {
	graph  *catalog.Graph
	own    map[string][]Objective // by service, strictest first
	offers map[string]offer
}

// New indexes the objectives of the graph's services. Objectives of
// services the graph does not know are ignored.
func New(g *catalog.Graph, objectives []Objective) *Model {
	m := &Model{graph: g, own: map[string][]Objective{}, offers: map[string]offer{}}
	for _, o := range objectives {
		if !g.Has(o.Service) {
			continue
		}
		m.own[o.Service] = append(m.own[o.Service], o)
		cur, seen := m.offers[o.Service]
		if !seen || o.Target < cur.target || o.Target == cur.target && o.SLO < cur.slo {
			cur.slo, cur.target = o.SLO, o.Target
		}
		if o.Measured != nil && (cur.measured == nil || *o.Measured < *cur.measured) {
			v := *o.Measured
			cur.measured = &v
		}
		m.offers[o.Service] = cur
	}
	for _, list := range m.own {
		slices.SortFunc(list, func(a, b Objective) int {
			if c := cmp.Compare(b.Target, a.Target); c != 0 {
				return c
			}
			return strings.Compare(a.SLO, b.SLO)
		})
	}
	return m
}

// All returns the ceiling of every service with an SLO, by id.
func (m *Model) All() []Ceiling {
	var out []Ceiling
	for _, id := range m.graph.IDs() {
		if len(m.own[id]) > 0 {
			out = append(out, m.Of(id))
		}
	}
	return out
}

// Findings returns the findings of every service with an SLO: errors
// first, then by service.
func (m *Model) Findings() []Finding {
	var out []Finding
	for _, c := range m.All() {
		out = append(out, c.Findings...)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Compare(levelRank(a.Level), levelRank(b.Level))
	})
	return out
}

func levelRank(level string) int {
	if level == Error {
		return 0
	}
	return 1
}

// Of returns the ceiling of one service (with or without an SLO of its
// own); an unknown service has no dependencies.
func (m *Model) Of(id string) Ceiling {
	critical, _ := m.graph.Criticality(id)
	c := Ceiling{
		Service: id, Critical: critical, Objectives: []Check{}, Dependencies: m.dependencies(id),
		AtMost: 1, MeasuredAtMost: 1, Unknown: []string{}, PulledDownBy: []string{}, Findings: []Finding{},
	}
	measuredComplete := true
	for _, d := range c.Dependencies {
		if d.Unknown {
			c.Unknown = append(c.Unknown, d.Service)
			measuredComplete = false
			continue
		}
		c.AtMost *= *d.Target
		if d.Measured == nil {
			measuredComplete = false
		} else {
			c.MeasuredAtMost *= *d.Measured
		}
	}
	if len(c.Unknown) == 0 {
		v := c.AtMost
		c.Ceiling = &v
	}
	if measuredComplete {
		v := c.MeasuredAtMost
		c.Measured = &v
	}
	for _, o := range m.own[id] {
		ch := Check{SLO: o.SLO, Target: o.Target, PulledDownBy: []string{}}
		if o.Target > c.AtMost+tolerance {
			ch.AboveCeiling = true
			ch.PulledDownBy = pulledDown(c.Dependencies, o.Target)
			if !c.AboveCeiling {
				c.AboveCeiling, c.PulledDownBy = true, ch.PulledDownBy
			}
		}
		c.Objectives = append(c.Objectives, ch)
	}
	if len(c.Objectives) > 0 {
		v := c.Objectives[0].Target
		c.Objective = &v
	}
	if c.Objective != nil && critical {
		promise := *c.Objective
		for i := range c.Dependencies {
			d := &c.Dependencies[i]
			switch {
			case d.Unknown:
				d.ExtraNine = NineNoSLO
			case wholeNines(*d.Target) >= wholeNines(promise)+1:
				d.ExtraNine = NineOK
			default:
				d.ExtraNine = NineShort
			}
		}
	}
	c.Findings = findings(c)
	return c
}

// dependencies walks the hard edges from id breadth first, in id order,
// so that each dependency is reached first along its shortest path with
// the smallest ids; the service itself is never its own dependency.
func (m *Model) dependencies(id string) []Dependency {
	if !m.graph.Has(id) {
		return []Dependency{}
	}
	via := map[string][]string{id: {id}}
	queue := []string{id}
	var out []Dependency
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		for _, e := range m.graph.Dependencies(from) {
			if e.Kind != catalog.Hard {
				continue
			}
			if _, seen := via[e.Service]; seen {
				continue
			}
			path := append(slices.Clip(via[from]), e.Service)
			via[e.Service] = path
			queue = append(queue, e.Service)
			d := Dependency{Service: e.Service, Via: path}
			if o, ok := m.offers[e.Service]; ok {
				t := o.target
				d.SLO, d.Target, d.Measured = o.slo, &t, o.measured
			} else {
				d.Unknown = true
			}
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Dependency) int { return strings.Compare(a.Service, b.Service) })
	if out == nil {
		return []Dependency{}
	}
	return out
}

// pulledDown returns the fewest known dependencies without which the
// others' product reaches target: the weakest first, since dropping the
// smallest factors raises a product the most.
func pulledDown(deps []Dependency, target float64) []string {
	known := make([]Dependency, 0, len(deps))
	product := 1.0
	for _, d := range deps {
		if !d.Unknown {
			known = append(known, d)
			product *= *d.Target
		}
	}
	slices.SortStableFunc(known, func(a, b Dependency) int { return cmp.Compare(*a.Target, *b.Target) })
	out := []string{}
	for _, d := range known {
		if product+tolerance >= target {
			break
		}
		out = append(out, d.Service)
		product /= *d.Target
	}
	return out
}

// wholeNines counts the leading nines of an availability: 0.999 and
// 0.9995 have three. The small margin keeps 0.9999, which is not exactly
// representable, at four.
func wholeNines(a float64) int {
	if a >= 1 {
		return math.MaxInt32
	}
	if a <= 0 {
		return 0
	}
	return int(math.Floor(-math.Log10(1-a) + 1e-6))
}

// oneMoreNine is the availability with one more whole nine than a: 0.9999
// for 0.999 and for 0.9995.
func oneMoreNine(a float64) float64 {
	return 1 - math.Pow(10, -float64(wholeNines(a)+1))
}

func findings(c Ceiling) []Finding {
	out := []Finding{}
	for _, ch := range c.Objectives {
		if ch.AboveCeiling {
			out = append(out, aboveCeiling(c, ch))
		}
	}
	for _, d := range c.Dependencies {
		switch {
		case d.Unknown && len(c.Objectives) > 0:
			out = append(out, noSLO(c, d))
		case d.ExtraNine == NineShort:
			out = append(out, extraNine(c, d))
		}
	}
	return out
}

func aboveCeiling(c Ceiling, ch Check) Finding {
	byID := map[string]Dependency{}
	for _, d := range c.Dependencies {
		byID[d.Service] = d
	}
	var factors []string
	for _, d := range c.Dependencies {
		if !d.Unknown {
			factors = append(factors, fmt.Sprintf("%s %s", d.Service, Percent(*d.Target)))
		}
	}
	known := strings.Join(factors, " × ")
	if len(c.Unknown) > 0 {
		known += "; unknown, so lower still: " + strings.Join(c.Unknown, ", ")
	}
	msg := fmt.Sprintf("SLO %s promises %s, above the %s that %s's hard dependencies allow at most (%s): pulled down by %s",
		ch.SLO, Percent(ch.Target), PercentDown(c.AtMost), c.Service, known, strings.Join(ch.PulledDownBy, ", "))
	var suggestions []string
	for _, id := range ch.PulledDownBy {
		d := byID[id]
		suggestions = append(suggestions, soften(c.Service, d))
		// What this dependency alone would need for the target to fit,
		// the others as they are.
		if need := ch.Target / (c.AtMost / *d.Target); need < 1 {
			suggestions = append(suggestions, fmt.Sprintf("add capacity or replicas to %s (in independent failure domains) and raise its objective to at least %s", id, PercentUp(need)))
		}
	}
	suggestions = append(suggestions, fmt.Sprintf("relax SLO %s to below %s, leaving room for %s's own failures", ch.SLO, PercentDown(c.AtMost), c.Service))
	return Finding{Level: Error, Kind: KindAboveCeiling, Service: c.Service, SLO: ch.SLO, Dependencies: ch.PulledDownBy, Message: msg, Suggestions: suggestions}
}

func noSLO(c Ceiling, d Dependency) Finding {
	msg := fmt.Sprintf("%s needs %s%s, which has no SLO: %s's ceiling is unknown", c.Service, d.Service, through(d), c.Service)
	if c.Critical {
		msg += fmt.Sprintf(", and critical %s cannot know that it offers one more nine than its %s", c.Service, Percent(c.Objectives[0].Target))
	}
	suggestions := []string{fmt.Sprintf("give %s an SLO", d.Service)}
	if c.Critical {
		suggestions[0] += fmt.Sprintf(" of at least %s", Percent(oneMoreNine(c.Objectives[0].Target)))
	}
	suggestions = append(suggestions, soften(c.Service, d))
	return Finding{Level: Warning, Kind: KindNoSLO, Service: c.Service, Dependencies: []string{d.Service}, Message: msg, Suggestions: suggestions}
}

func extraNine(c Ceiling, d Dependency) Finding {
	promise := c.Objectives[0].Target
	want := oneMoreNine(promise)
	msg := fmt.Sprintf("critical %s promises %s, so each hard dependency should offer roughly one more nine (%s); %s%s offers %s (SLO %s)",
		c.Service, Percent(promise), Percent(want), d.Service, through(d), Percent(*d.Target), d.SLO)
	suggestions := []string{
		fmt.Sprintf("add capacity or replicas to %s (in independent failure domains) and raise SLO %s to %s", d.Service, d.SLO, Percent(want)),
		soften(c.Service, d),
	}
	if n := wholeNines(*d.Target); n > 0 {
		suggestions = append(suggestions, fmt.Sprintf("relax %s's objective below %s", c.Service, Percent(1-math.Pow(10, -float64(n)))))
	}
	return Finding{Level: Warning, Kind: KindExtraNine, Service: c.Service, Dependencies: []string{d.Service}, Message: msg, Suggestions: suggestions}
}

// soften suggests making the last edge of the path to d soft.
func soften(service string, d Dependency) string {
	from := d.Via[len(d.Via)-2]
	s := fmt.Sprintf("make %s's dependency on %s soft, with a fallback (a cache, a default, a degraded answer)", from, d.Service)
	if from != service {
		s += " so that " + service + " does not need it"
	}
	return s
}

// through names the path to an indirect dependency.
func through(d Dependency) string {
	if len(d.Via) <= 2 {
		return ""
	}
	return " (through " + strings.Join(d.Via[1:len(d.Via)-1], " -> ") + ")"
}

// Percent spells an availability as a percentage with up to four
// decimals: 0.999 is "99.9%".
func Percent(a float64) string { return percent(math.Round(a * 1e6)) }

// PercentDown is Percent rounded down, for ceilings: what is shown is
// never above what is allowed.
func PercentDown(a float64) string { return percent(math.Floor(a*1e6 + 1e-6)) }

// PercentUp is Percent rounded up, for what must be reached.
func PercentUp(a float64) string { return percent(math.Ceil(a*1e6 - 1e-6)) }

// percent spells millionths as a percentage.
func percent(millionths float64) string {
	s := strconv.FormatFloat(millionths/1e4, 'f', 4, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}
