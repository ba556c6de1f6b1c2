package correlbench

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/correlate"
)

// TestDependencyGraphBeatsTheBaselines runs a small company's failures
// through the pipeline for every contender.
func TestDependencyGraphBeatsTheBaselines(t *testing.T) {
	w := NewWorld(100, 2)
	s := DefaultScenario(100)
	s.Failures = 15
	in := Inject(w, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	scores := map[string]Score{}
	for _, c := range Contenders() {
		out, err := Run(context.Background(), t.TempDir(), w, in, s.Window, c)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		scores[c.Name] = Evaluate(w, in, out)
	}
	own := scores["dependency graph"]
	if own.F1 < 0.8 || own.Precision < 0.8 {
		t.Errorf("dependency graph: %+v, want F1 and precision of 0.8 or more", own)
	}
	for name, s := range scores {
		if s.F1 > own.F1 {
			t.Errorf("%s has F1 %.3f, above the dependency graph's %.3f", name, s.F1, own.F1)
		}
		if s.Alerts != len(in.Alerts) {
			t.Errorf("%s: %d alerts scored, %d injected", name, s.Alerts, len(in.Alerts))
		}
	}
	if one := scores["one incident per alert"]; one.Incidents != len(in.Alerts) || one.Major != 0 || one.IRTPages != 0 {
		t.Errorf("one incident per alert: %+v", one)
	}
	if own.MajorWant == 0 || own.Major == 0 || own.IRTPages < own.Major {
		t.Errorf("dependency graph: %d major incidents, %d wanted, %d IRT pages: want some, each paging the IRT", own.Major, own.MajorWant, own.IRTPages)
	}
}

// TestSharedDependencyRule is the rule correlation followed before, kept
// as a baseline: any shared dependency joins, soft edges and hubs alike.
func TestSharedDependencyRule(t *testing.T) {
	dep := func(id, kind string) catalog.Dependency { return catalog.Dependency{Service: id, Kind: kind} }
	g := catalog.NewGraph([]catalog.Service{
		{ID: "web", DependsOn: []catalog.Dependency{dep("api", "hard"), dep("search", "soft")}},
		{ID: "api", DependsOn: []catalog.Dependency{dep("storage", "hard"), dep("auth", "hard")}},
		{ID: "search", DependsOn: []catalog.Dependency{dep("storage", "hard")}},
		{ID: "batch", DependsOn: []catalog.Dependency{dep("storage", "soft")}},
		{ID: "storage"}, {ID: "auth"}, {ID: "mail"},
	})
	var r correlate.Rule = sharedDependency{g}
	for _, c := range []struct {
		service  string
		incident []string
		want     bool
	}{
		{"api", []string{"web"}, true},      // web depends on api
		{"web", []string{"storage"}, true},  // transitive
		{"storage", []string{"web"}, true},  // the other direction
		{"search", []string{"api"}, true},   // a common dependency: storage
		{"batch", []string{"search"}, true}, // soft edges count
		{"mail", []string{"web", "api"}, false},
		{"auth", []string{"search"}, false}, // nothing in common
		{"web", []string{"web"}, false},     // the same service alone: grouping decides
		{"web", []string{"web", "api"}, true},
	} {
		if got := r.Decide(c.service, c.incident, correlate.NoEvidence{}).Join; got != c.want {
			t.Errorf("Decide(%s, %v).Join = %v, want %v", c.service, c.incident, got, c.want)
		}
	}
}
