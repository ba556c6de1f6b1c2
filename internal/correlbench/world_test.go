package correlbench

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/correlate"
)

func TestNewWorldHasARealisticShape(t *testing.T) {
	for _, n := range []int{100, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			w := NewWorld(n, 7)
			if problems := config.Validate(w.Bundle); len(problems) > 0 {
				t.Fatalf("the generated configuration is invalid: %v", problems[:min(3, len(problems))])
			}
			if len(w.Services) != n || len(w.Bundle.Services) != n {
				t.Fatalf("%d services, want %d", len(w.Services), n)
			}
			g := catalog.NewGraph(w.Bundle.Services)
			x := correlate.NewIndex(g, correlate.IndexOptions{})
			for _, h := range w.Hubs {
				if !x.Hub(h) {
					t.Errorf("%s is not a hub: most services must share it", h)
				}
			}
			var hard, soft, cyclic int
			for _, s := range w.Bundle.Services {
				for _, d := range s.DependsOn {
					if d.Kind == catalog.Hard {
						hard++
					} else {
						soft++
					}
				}
				for _, d := range s.DependsOn {
					if slices.Contains(g.Reachable(d.Service), s.ID) {
						cyclic++
						break
					}
				}
				if x.Hub(s.ID) != slices.Contains(w.Hubs, s.ID) {
					t.Errorf("%s: a hub that is not generated as one, or the other way", s.ID)
				}
			}
			if soft == 0 || hard < 2*soft {
				t.Errorf("%d hard and %d soft edges, want both, mostly hard", hard, soft)
			}
			if cyclic == 0 {
				t.Error("no service is on a cycle")
			}
			owned := map[string]int{}
			for _, s := range w.Bundle.Services {
				owned[s.Owner]++
			}
			for team, k := range owned {
				if team != platformTeam && (k < 3 || k > 8) {
					t.Errorf("team %s owns %d services, want three to eight", team, k)
				}
			}
			if w.Bundle.Teams[len(w.Bundle.Teams)-1].Kind != catalog.KindGlobalIRT {
				t.Error("no global IRT")
			}
		})
	}
	if a, b := NewWorld(100, 3), NewWorld(100, 3); fmt.Sprint(a.Bundle.Services) != fmt.Sprint(b.Bundle.Services) {
		t.Error("the same seed makes another company")
	}
}

// tiny is a hand-made world:
//
//	a -> b (hard)   e -> a (hard)   c ~> b (soft)   d -> c (hard)   f ~> a (soft)   g -> f (hard)
func tiny() *World {
	w := &World{up: map[string][]dependent{}}
	for _, e := range []struct {
		from, to string
		hard     bool
	}{{"a", "b", true}, {"e", "a", true}, {"c", "b", false}, {"d", "c", true}, {"f", "a", false}, {"g", "f", true}} {
		w.up[e.to] = append(w.up[e.to], dependent{e.from, e.hard})
	}
	return w
}

func TestAffected(t *testing.T) {
	w := tiny()
	for _, c := range []struct {
		root             string
		failed, degraded []string
	}{
		// b fails: a and e need it hard; c needs it softly and degrades,
		// which d, needing c, does not notice; f degrades with a.
		{"b", []string{"a", "e"}, []string{"c", "f"}},
		{"a", []string{"e"}, []string{"f"}},
		{"c", []string{"d"}, nil},
		{"e", nil, nil},
	} {
		failed, degraded := w.Affected(c.root)
		if !slices.Equal(failed, c.failed) || !slices.Equal(degraded, c.degraded) {
			t.Errorf("Affected(%s) = %v, %v; want %v, %v", c.root, failed, degraded, c.failed, c.degraded)
		}
	}
}

func TestInjectFollowsTheScenario(t *testing.T) {
	w := NewWorld(200, 1)
	s := DefaultScenario(200)
	s.Failures = 60
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	in := Inject(w, s, start)
	var background, deploys, rootAlerts, failureAlerts int
	for f, failure := range in.Failures {
		if failure.Background {
			background++
			continue
		}
		if slices.Contains(w.Hubs, failure.Root) {
			t.Errorf("failure %d is on hub %s", f, failure.Root)
		}
		if failure.Deploy {
			deploys++
		}
	}
	for i, a := range in.Alerts {
		if i > 0 && a.At.Before(in.Alerts[i-1].At) {
			t.Fatal("alerts are not in time order")
		}
		f := in.Failures[a.Failure]
		if f.Background {
			continue
		}
		failureAlerts++
		failed, degraded := w.Affected(f.Root)
		switch {
		case a.Service == f.Root:
			rootAlerts++
			if d := a.At.Sub(f.At); d < 0 || d > s.RootDelay {
				t.Errorf("root alert %d comes %s after its failure", i, d)
			}
		case slices.Contains(failed, a.Service) || slices.Contains(degraded, a.Service):
			if d := a.At.Sub(f.At); d < 0 || d > s.Window {
				t.Errorf("alert %d comes %s after its failure, beyond the window", i, d)
			}
		default:
			t.Errorf("alert %d on %s is not reached by failure %d on %s", i, a.Service, a.Failure, f.Root)
		}
	}
	if background != int(float64(failureAlerts)/9+0.5) {
		t.Errorf("%d background alerts for %d of failures: want 10%% of all", background, failureAlerts)
	}
	if rootAlerts < 45 || rootAlerts == 60 {
		t.Errorf("%d of 60 roots alert, want about 90%%", rootAlerts)
	}
	if deploys < 10 || deploys > 30 {
		t.Errorf("%d of 60 roots were deployed, want about 30%%", deploys)
	}
	for _, c := range in.Changes {
		if c.Failure < 0 {
			continue
		}
		f := in.Failures[c.Failure]
		if c.Service != f.Root || !f.Deploy || f.At.Sub(c.At) < time.Minute || f.At.Sub(c.At) > 4*time.Minute {
			t.Errorf("deploy %+v does not come one to four minutes before its root's failure at %s", c, f.At)
		}
	}
}
