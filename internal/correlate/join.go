package correlate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// How failures travel through the dependency graph, which is what links
// the alerts of two services:
//
//   - along hard edges, any distance: a service cannot work without its
//     hard dependencies, so it fails when one of them fails, and so does
//     everything that needs it in turn;
//   - along a soft edge, one hop: a service degrades when a soft
//     dependency fails (it has a fallback), and a degraded service does
//     not take down what depends on it. A soft edge is therefore only ever
//     the last step of a failure's way up.
//
// A service's failure sources are every service whose failure can reach
// it that way: its direct dependencies of either kind, and everything those
// need through hard edges.

// DefaultHubShare is the share of all services that must depend on a
// service for it to count as a hub. Storage, authentication, a secrets
// store or DNS sit below nearly everything; sharing one proves nothing.
const DefaultHubShare = 0.5

// minHubDependents keeps small graphs free of hubs: in a shop of eight
// services, four sharing a database is a real link, not a coincidence.
const minHubDependents = 10

// Evidence is what the world says about a shared dependency while an alert
// is being placed: whether it alerted itself within the correlation
// window, or changed (a deploy, a config change) within the window before
// the first alert.
type Evidence interface {
	Alerting(service string) bool
	Changed(service string) bool
	// DependentsFailing reports whether enough of the services that need
	// it fail on their own, at once, to show it failing though it says
	// nothing (Index.CoFailing).
	DependentsFailing(service string) bool
}

// NoEvidence is Evidence that knows of nothing.
type NoEvidence struct{}

func (NoEvidence) Alerting(string) bool          { return false }
func (NoEvidence) Changed(string) bool           { return false }
func (NoEvidence) DependentsFailing(string) bool { return false }

// MinCoFailing is how many alerting services that fail on their own must
// need a silent dependency for it to count as failing. Two services may
// share a dependency and fail at once by chance; three rarely do, and a
// dependency that fails without alerting takes down all it serves.
const MinCoFailing = 3

// CoFailing names the dependencies the alerting services show failing.
// Only the alerting services that fail on their own count: one whose
// failure source is alerting too counts as that one. A dependency is shown
// failing when at least MinCoFailing of those need it and are not
// explained by a more specific one shown failing (fewer services depend on
// it): three services failing below one silent database show that
// database failing, not the storage below it too, and not anything else
// they happen to share. Hubs are never shown failing.
func (x *Index) CoFailing(alerting []string) []string {
	var on []int32
	for _, s := range alerting {
		if i, ok := x.index[s]; ok && !slices.Contains(on, i) {
			on = append(on, i)
		}
	}
	var own []int32   // failing on their own
	var needs []int32 // their sources, each once per service
	for _, i := range on {
		explained := false
		for _, j := range on {
			if j != i && contains(x.sources[i], j) {
				explained = true
				break
			}
		}
		if explained {
			continue
		}
		own = append(own, i)
		needs = append(needs, x.sources[i]...)
	}
	// The dependencies needed MinCoFailing times or more: runs of the
	// sorted list (a few hundred entries: cheaper than a count per
	// service of the graph).
	slices.Sort(needs)
	var deps []int32
	for k := 0; k < len(needs); {
		run := k
		for run < len(needs) && needs[run] == needs[k] {
			run++
		}
		if run-k >= MinCoFailing && !x.hub[needs[k]] {
			deps = append(deps, needs[k])
		}
		k = run
	}
	if len(deps) == 0 {
		return nil
	}
	x.bySpecificity(deps)
	accounted := map[int32]bool{}
	var out []string
	for _, d := range deps {
		var these []int32
		for _, i := range own {
			if !accounted[i] && contains(x.sources[i], d) {
				these = append(these, i)
			}
		}
		if len(these) < MinCoFailing {
			continue
		}
		out = append(out, x.ids[d])
		for _, i := range these {
			accounted[i] = true
		}
	}
	slices.Sort(out)
	return out
}

// Verdict is the answer for one alert and one open incident.
type Verdict struct {
	// Join says the alert belongs with the incident.
	Join bool
	// Explained says one of the incident's services is a failure source
	// of the alert's service: the incident explains the alert, the
	// strongest reason to join.
	Explained bool
	// Explains says the alert's service is a failure source of every one
	// of the incident's services: its failure explains the whole
	// incident, so an incident that opened before it alerted belongs with
	// its alert (and merges into the alert's). A hub never explains: below
	// nearly everything, its alert would pull every open incident
	// together.
	Explains bool
	// Reason explains the join, or why the two are related, for the
	// timeline: "checkout depends on payments-api".
	Reason string
	// Via names the shared dependencies whose evidence joined the two; the
	// first is the merged incident's prime suspect.
	Via []string
	// Shared names the dependencies the two share without evidence (hubs
	// left out): the incidents stay apart but are related through them.
	Shared []string
}

// Related reports whether the verdict, without joining, found a shared
// dependency worth showing a responder.
func (v Verdict) Related() bool { return !v.Join && len(v.Shared) > 0 }

// The strengths of a verdict, weakest first: no reason to join, evidence
// on a shared dependency, the alert explains the incident, the incident
// explains the alert.
const (
	StrengthNone = iota
	StrengthEvidence
	StrengthExplains
	StrengthExplained
)

// Strength orders the reasons to join, so that of several open incidents
// an alert joins the one most strongly linked: the server and the
// simulator place alerts by it.
func (v Verdict) Strength() int {
	switch {
	case !v.Join:
		return StrengthNone
	case v.Explained:
		return StrengthExplained
	case len(v.Via) == 0:
		return StrengthExplains
	}
	return StrengthEvidence
}

// A Rule decides whether an alert on a service joins an open incident on
// other services.
type Rule interface {
	Decide(service string, incident []string, ev Evidence) Verdict
}

// Index answers the join question for one dependency graph. It is built
// once per configuration and only read afterwards, so any number of
// goroutines may share it.
type Index struct {
	ids   []string
	index map[string]int32
	// sources[i] holds, sorted, the failure sources of service i.
	sources [][]int32
	// dependents[i] counts the services that have i among their sources.
	dependents []int32
	hub        []bool
}

// maxShared bounds the shared dependencies a verdict names: the most
// specific ones (those the fewest services depend on) explain a link best,
// and a responder reads a few names, not a list.
const maxShared = 3

// IndexOptions tune an Index.
type IndexOptions struct {
	// HubShare: a service that at least this share of all services has
	// among its failure sources is a hub (0 means DefaultHubShare; 1 or
	// more turns hubs off).
	HubShare float64
}

// NewIndex computes every service's failure sources and the hubs.
func NewIndex(g *catalog.Graph, o IndexOptions) *Index {
	share := o.HubShare
	if share <= 0 {
		share = DefaultHubShare
	}
	ids := g.IDs()
	x := &Index{ids: ids, index: make(map[string]int32, len(ids)), sources: make([][]int32, len(ids)),
		dependents: make([]int32, len(ids)), hub: make([]bool, len(ids))}
	for i, id := range ids {
		x.index[id] = int32(i)
	}
	type edge struct {
		to   int32
		hard bool
	}
	out := make([][]edge, len(ids))
	for i, id := range ids {
		for _, d := range g.Dependencies(id) {
			if to := x.index[d.Service]; to != int32(i) {
				out[i] = append(out[i], edge{to, d.Kind == catalog.Hard})
			}
		}
	}
	seen := make([]int32, len(ids)) // the last start that saw each service, plus one
	var stack []int32
	for i := range ids {
		mark := int32(i) + 1
		seen[i] = mark
		var found []int32
		// Direct dependencies of either kind, then hard edges only.
		for _, e := range out[i] {
			if seen[e.to] != mark {
				seen[e.to] = mark
				found = append(found, e.to)
				stack = append(stack, e.to)
			}
		}
		for len(stack) > 0 {
			cur := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, e := range out[cur] {
				if e.hard && seen[e.to] != mark {
					seen[e.to] = mark
					found = append(found, e.to)
					stack = append(stack, e.to)
				}
			}
		}
		slices.Sort(found)
		x.sources[i] = slices.Clip(found)
		for _, s := range found {
			x.dependents[s]++
		}
	}
	for i, n := range x.dependents {
		x.hub[i] = n >= minHubDependents && float64(n) >= share*float64(len(ids))
	}
	return x
}

// Hub reports whether the service is a hub: so many services depend on it
// that sharing it is no reason to join.
func (x *Index) Hub(service string) bool {
	i, ok := x.index[service]
	return ok && x.hub[i]
}

// Sources returns the failure sources of a service, sorted.
func (x *Index) Sources(service string) []string {
	i, ok := x.index[service]
	if !ok {
		return nil
	}
	out := make([]string, len(x.sources[i]))
	for k, s := range x.sources[i] {
		out[k] = x.ids[s]
	}
	return out
}

// Decide places an alert on service against an open incident on the given
// services, the first the one it opened on. It joins when the two are
// linked: a service of the incident is a failure source of the alert's
// (the incident explains the alert), or the alert's service is a failure
// source of the service the incident opened on (the alert explains the
// incident) — either direction, transitively, soft edges one hop. Services
// that only share a dependency join only on evidence for it; otherwise the
// verdict names what they share, so the incidents can say they are related.
// Shared dependencies are named most specific first. Alerts of the service
// itself are not correlation's business (its grouping rule decides), nor is
// any unknown service.
func (x *Index) Decide(service string, incident []string, ev Evidence) Verdict {
	i, ok := x.index[service]
	if !ok {
		return Verdict{}
	}
	// Direct links first: a service of the incident whose failure reaches
	// the alert's (it explains the alert), or the alert's failure reaching
	// the service the incident opened on, its first (the alert explains
	// the incident). An alert below only services that joined later
	// explains those at most, which the incident's own failure explains
	// already: that is no link.
	var v Verdict
	var explainedBy, explains string
	explainsAll, first := !x.hub[i], true
	for _, other := range incident {
		j, ok := x.index[other]
		if !ok || j == i {
			continue
		}
		if explainedBy == "" && contains(x.sources[i], j) {
			explainedBy = other
		}
		if !contains(x.sources[j], i) {
			explainsAll = false
		} else if first {
			explains = other
		}
		first = false
	}
	switch {
	case explainedBy != "":
		v = Verdict{Join: true, Explained: true, Reason: fmt.Sprintf("%s depends on %s", service, explainedBy)}
	case explains != "":
		v = Verdict{Join: true, Reason: fmt.Sprintf("%s depends on %s", explains, service)}
	}
	if v.Join {
		v.Explains = explains != "" && explainsAll
		return v
	}
	var via, shared []int32
	sharedWith := map[int32]string{}
	for _, other := range incident {
		j, ok := x.index[other]
		if !ok || j == i {
			continue
		}
		for _, d := range intersect(x.sources[i], x.sources[j]) {
			if x.hub[d] || slices.Contains(via, d) || slices.Contains(shared, d) {
				continue
			}
			dep := x.ids[d]
			if ev.Alerting(dep) || ev.Changed(dep) || ev.DependentsFailing(dep) {
				via = append(via, d)
				continue
			}
			shared = append(shared, d)
			sharedWith[d] = other
		}
	}
	if len(via) > 0 {
		names := x.mostSpecific(via)
		return Verdict{Join: true, Via: names, Reason: fmt.Sprintf("%s shares %s with the incident, and %s", service, strings.Join(names, ", "), evidenceOf(names[0], ev))}
	}
	if len(shared) > 0 {
		names := x.mostSpecific(shared)
		verb := "shows"
		if len(names) > 1 {
			verb = "show"
		}
		return Verdict{Shared: names, Reason: fmt.Sprintf("%s and %s both depend on %s, which %s no sign of trouble",
			service, sharedWith[x.index[names[0]]], strings.Join(names, ", "), verb)}
	}
	return Verdict{}
}

// mostSpecific names up to maxShared of the services, those the fewest
// services depend on first (then by id).
func (x *Index) mostSpecific(services []int32) []string {
	x.bySpecificity(services)
	services = services[:min(len(services), maxShared)]
	names := make([]string, len(services))
	for k, s := range services {
		names[k] = x.ids[s]
	}
	return names
}

// bySpecificity sorts services, those the fewest services depend on first
// (then by id).
func (x *Index) bySpecificity(services []int32) {
	slices.SortFunc(services, func(a, b int32) int {
		if c := cmp.Compare(x.dependents[a], x.dependents[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b) // ids are sorted
	})
}

// SharedWithEvidence names the dependencies that two or more of an
// incident's services share, that are neither hubs nor among the services,
// and that have evidence: those that joined the services, most specific
// first. The first is the incident's prime suspect.
func (x *Index) SharedWithEvidence(services []string, ev Evidence) []string {
	in := make(map[int32]bool, len(services))
	for _, s := range services {
		if i, ok := x.index[s]; ok {
			in[i] = true
		}
	}
	count := map[int32]int{}
	for i := range in {
		for _, d := range x.sources[i] {
			count[d]++
		}
	}
	var found []int32
	for d, n := range count {
		if n >= 2 && !x.hub[d] && !in[d] && (ev.Alerting(x.ids[d]) || ev.Changed(x.ids[d]) || ev.DependentsFailing(x.ids[d])) {
			found = append(found, d)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return x.mostSpecific(found)
}

func evidenceOf(dep string, ev Evidence) string {
	switch {
	case ev.Alerting(dep):
		return dep + " is alerting"
	case ev.Changed(dep):
		return dep + " changed just before"
	}
	return fmt.Sprintf("at least %d services that need %s fail at once", MinCoFailing, dep)
}

// contains reports whether the sorted list holds v.
func contains(sorted []int32, v int32) bool {
	_, found := slices.BinarySearch(sorted, v)
	return found
}

// intersect returns what two sorted lists share, in order.
func intersect(a, b []int32) []int32 {
	var out []int32
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			a = a[1:]
		case a[0] > b[0]:
			b = b[1:]
		default:
			out = append(out, a[0])
			a, b = a[1:], b[1:]
		}
	}
	return out
}
