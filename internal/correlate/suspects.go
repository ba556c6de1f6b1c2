// Package correlate decides which alerts belong together across services
// and ranks the services that may cause an incident. It is pure: the
// dependency graph, the failing services and the recent changes come in;
// a ranked list of suspects with reasons goes out.
package correlate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/incident"
)

// Graph is what ranking needs of the catalog's dependency graph.
type Graph interface {
	// Reachable lists every transitive dependency of id (any edge kind).
	Reachable(id string) []string
	// Linked reports whether a reaches b or b reaches a.
	Linked(a, b string) bool
}

// ChangeLookback is how far before the first alert change events count.
const ChangeLookback = 6 * time.Hour

// Scores. A change just before the first alert outranks everything: a
// deploy ten minutes before the pages is the prime suspect.
const (
	scoreFailingRoot    = 100 // failing, and none of its own dependencies fail
	scoreFailing        = 60  // failing, below another failing service
	scoreCommon         = 30  // a dependency shared by affected services
	scorePerDependent   = 5   // for each affected service that depends on it
	scoreRecentChange   = 200 // changed within 30 minutes before the first alert
	scoreChangeHour     = 100 // within the hour
	scoreChangeLookback = 20  // within ChangeLookback
)

// Suspects ranks the services that may cause an incident whose alerts are
// on failing (at least one service), best first. Changes are the recent
// change events of any service; those after firstAlert or older than
// ChangeLookback are ignored. Prime names the shared dependencies through
// which evidence joined the failing services (Index.SharedWithEvidence):
// they come first, in their order.
func Suspects(g Graph, failing []string, changes []change.Event, firstAlert time.Time, prime []string) []incident.Suspect {
	failingSet := map[string]bool{}
	for _, s := range failing {
		failingSet[s] = true
	}
	type candidate struct {
		id      string
		prime   int // its place in prime, plus one; 0 when not there
		score   int
		reasons []string
		changes []int64
	}
	cands := map[string]*candidate{}
	get := func(id string) *candidate {
		c, ok := cands[id]
		if !ok {
			c = &candidate{id: id}
			cands[id] = c
		}
		return c
	}
	// How many affected services depend (transitively) on each service.
	dependents := map[string][]string{}
	for _, s := range sortedKeys(failingSet) {
		for _, dep := range g.Reachable(s) {
			if dep != s {
				dependents[dep] = append(dependents[dep], s)
			}
		}
	}
	for _, s := range sortedKeys(failingSet) {
		c := get(s)
		below := false
		for _, dep := range g.Reachable(s) {
			if dep != s && failingSet[dep] {
				below = true
			}
		}
		if below {
			c.score += scoreFailing
			c.reasons = append(c.reasons, "alerting, and one of its own dependencies is alerting too")
		} else {
			c.score += scoreFailingRoot
			c.reasons = append(c.reasons, "alerting, and none of its dependencies is: the deepest failing service")
		}
		if n := len(dependents[s]); n > 0 {
			c.score += n * scorePerDependent
			c.reasons = append(c.reasons, fmt.Sprintf("%d alerting service(s) depend on it: %s", n, strings.Join(dependents[s], ", ")))
		}
	}
	for dep, users := range dependents {
		if failingSet[dep] || len(users) < 2 {
			continue
		}
		c := get(dep)
		c.score += scoreCommon + len(users)*scorePerDependent
		c.reasons = append(c.reasons, fmt.Sprintf("a dependency common to %d alerting services: %s", len(users), strings.Join(users, ", ")))
	}
	for k, id := range prime {
		if failingSet[id] {
			continue // alerting itself: ranked as a failing service
		}
		c := get(id)
		c.prime = k + 1
		c.reasons = append(c.reasons, fmt.Sprintf("correlation joined %s through it, on evidence that it fails", strings.Join(dependents[id], ", ")))
	}
	// Changes on candidates (and on any changed service the failing ones
	// depend on, which becomes a candidate through its change).
	for _, ch := range changes {
		if ch.At.After(firstAlert) || firstAlert.Sub(ch.At) > ChangeLookback {
			continue
		}
		_, isCandidate := cands[ch.Service]
		if !isCandidate && len(dependents[ch.Service]) == 0 {
			continue
		}
		c := get(ch.Service)
		if !isCandidate {
			c.score += len(dependents[ch.Service]) * scorePerDependent
			c.reasons = append(c.reasons, fmt.Sprintf("a dependency of %s", strings.Join(dependents[ch.Service], ", ")))
		}
		before := firstAlert.Sub(ch.At)
		switch {
		case before <= 30*time.Minute:
			c.score += scoreRecentChange
		case before <= time.Hour:
			c.score += scoreChangeHour
		default:
			c.score += scoreChangeLookback
		}
		c.changes = append(c.changes, ch.ID)
		c.reasons = append(c.reasons, fmt.Sprintf("changed %s before the first alert: %s", roundDuration(before), ch.Summary))
	}
	out := make([]*candidate, 0, len(cands))
	for _, c := range cands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if pi, pj := out[i].prime, out[j].prime; pi != pj {
			return pj == 0 || pi != 0 && pi < pj
		}
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].id < out[j].id
	})
	suspects := make([]incident.Suspect, len(out))
	for i, c := range out {
		ch := c.changes
		if ch == nil {
			ch = []int64{}
		}
		suspects[i] = incident.Suspect{Service: c.id, Reasons: c.reasons, Changes: ch}
	}
	return suspects
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "seconds"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	default:
		return fmt.Sprintf("%.1f hours", d.Hours())
	}
}
