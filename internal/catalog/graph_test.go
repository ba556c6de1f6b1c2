package catalog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func hard(id string) Dependency { return Dependency{Service: id, Kind: Hard} }
func soft(id string) Dependency { return Dependency{Service: id, Kind: Soft} }

func svc(id string, deps ...Dependency) Service {
	return Service{ID: id, DependsOn: deps}
}

func rc(id string, deps ...Dependency) Service {
	return Service{ID: id, RevenueCritical: true, DependsOn: deps}
}

// checkCriticality asserts the criticality of every id in want; an empty
// path means not critical.
func checkCriticality(t *testing.T, g *Graph, want map[string][]string) {
	t.Helper()
	for id, wantPath := range want {
		critical, because := g.Criticality(id)
		if critical != (len(wantPath) > 0) {
			t.Errorf("Criticality(%q) critical = %v, want %v", id, critical, len(wantPath) > 0)
		}
		if because == nil {
			t.Errorf("Criticality(%q) because is nil, want a non-nil slice", id)
		}
		if !slices.Equal(because, wantPath) {
			t.Errorf("Criticality(%q) because = %q, want %q", id, because, wantPath)
		}
	}
}

func TestCriticality(t *testing.T) {
	tests := []struct {
		name     string
		services []Service
		want     map[string][]string
	}{
		{
			name: "chain",
			services: []Service{
				rc("checkout", hard("payments")),
				svc("payments", hard("ledger-db")),
				svc("ledger-db"),
				svc("unrelated"),
			},
			want: map[string][]string{
				"checkout":  {"checkout"},
				"payments":  {"checkout", "payments"},
				"ledger-db": {"checkout", "payments", "ledger-db"},
				"unrelated": {},
			},
		},
		{
			name: "diamond ties go to the smallest path, whatever the configured order",
			services: []Service{
				rc("a", hard("c"), hard("b")),
				svc("c", hard("d")),
				svc("b", hard("d")),
				svc("d"),
			},
			want: map[string][]string{
				"b": {"a", "b"},
				"c": {"a", "c"},
				"d": {"a", "b", "d"},
			},
		},
		{
			name: "shorter path wins over smaller path",
			services: []Service{
				rc("a", hard("b"), hard("z")),
				svc("b", hard("c")),
				svc("c", hard("e")),
				svc("z", hard("e")),
				svc("e"),
			},
			want: map[string][]string{
				"e": {"a", "z", "e"},
			},
		},
		{
			name: "tie compares whole paths, not the last hop",
			// [a z1 t] < [b y1 t] although y1 < z1.
			services: []Service{
				rc("b", hard("y1")),
				rc("a", hard("z1")),
				svc("y1", hard("t")),
				svc("z1", hard("t")),
				svc("t"),
			},
			want: map[string][]string{
				"t":  {"a", "z1", "t"},
				"y1": {"b", "y1"},
				"z1": {"a", "z1"},
			},
		},
		{
			name: "several roots: the nearest root wins, then the smallest",
			services: []Service{
				rc("alpha", hard("x")),
				rc("beta", hard("shared")),
				rc("zeta", hard("db"), hard("shared")),
				svc("x", hard("db")),
				svc("db"),
				svc("shared"),
			},
			want: map[string][]string{
				"db":     {"zeta", "db"},
				"shared": {"beta", "shared"},
				"x":      {"alpha", "x"},
			},
		},
		{
			name: "soft edges do not propagate",
			services: []Service{
				rc("a", hard("b"), soft("e")),
				svc("b", soft("c")),
				svc("c", hard("d")),
				svc("d"),
				svc("e"),
			},
			want: map[string][]string{
				"a": {"a"},
				"b": {"a", "b"},
				"c": {},
				"d": {},
				"e": {},
			},
		},
		{
			name: "soft path does not hide a longer hard path",
			services: []Service{
				rc("a", soft("d"), hard("b")),
				svc("b", hard("c")),
				svc("c", hard("d")),
				svc("d"),
			},
			want: map[string][]string{
				"d": {"a", "b", "c", "d"},
			},
		},
		{
			name: "an edge given as both soft and hard is hard",
			services: []Service{
				rc("a", soft("x"), hard("x")),
				svc("x"),
			},
			want: map[string][]string{
				"x": {"a", "x"},
			},
		},
		{
			name: "a kind other than hard does not propagate",
			services: []Service{
				rc("a", Dependency{Service: "x"}, Dependency{Service: "y", Kind: "HARD"}),
				svc("x"),
				svc("y"),
			},
			want: map[string][]string{
				"x": {},
				"y": {},
			},
		},
		{
			name: "hard cycle through a revenue-critical service",
			services: []Service{
				svc("c", hard("a")),
				rc("a", hard("b")),
				svc("b", hard("c")),
			},
			want: map[string][]string{
				"a": {"a"},
				"b": {"a", "b"},
				"c": {"a", "b", "c"},
			},
		},
		{
			name: "cycle out of reach stays non-critical",
			services: []Service{
				rc("a"),
				svc("x", hard("y")),
				svc("y", hard("x")),
			},
			want: map[string][]string{
				"a": {"a"},
				"x": {},
				"y": {},
			},
		},
		{
			name: "cycle entered from a revenue-critical service",
			services: []Service{
				rc("a", hard("y")),
				svc("x", hard("y")),
				svc("y", hard("x")),
			},
			want: map[string][]string{
				"x": {"a", "y", "x"},
				"y": {"a", "y"},
			},
		},
		{
			name: "a revenue-critical service explains itself even when another reaches it",
			services: []Service{
				rc("a", hard("b")),
				rc("b", hard("c")),
				svc("c"),
			},
			want: map[string][]string{
				"a": {"a"},
				"b": {"b"},
				"c": {"b", "c"},
			},
		},
		{
			name: "self-edges",
			services: []Service{
				rc("a", hard("a")),
				svc("b", hard("b")),
			},
			want: map[string][]string{
				"a": {"a"},
				"b": {},
			},
		},
		{
			name: "edges to unknown services are ignored",
			services: []Service{
				rc("a", hard("ghost"), hard("b")),
				svc("b", hard("phantom")),
			},
			want: map[string][]string{
				"b":       {"a", "b"},
				"ghost":   {},
				"phantom": {},
			},
		},
		{
			name: "a repeated id keeps its first definition",
			services: []Service{
				svc("a", hard("b")),
				rc("a", hard("c")),
				svc("b"),
				svc("c"),
			},
			want: map[string][]string{
				"a": {},
				"b": {},
				"c": {},
			},
		},
		{
			name:     "empty catalog",
			services: nil,
			want: map[string][]string{
				"a": {},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCriticality(t, NewGraph(tt.services), tt.want)
		})
	}
}

func TestCriticalityFollowsOneEdgeChange(t *testing.T) {
	before := []Service{
		rc("checkout", hard("payments"), soft("recommendations")),
		svc("payments", hard("ledger-db")),
		svc("ledger-db"),
		svc("recommendations", hard("features")),
		svc("features"),
	}
	tests := []struct {
		name   string
		change func(services []Service)
		want   map[string][]string
	}{
		{
			name:   "unchanged",
			change: func([]Service) {},
			want: map[string][]string{
				"ledger-db":       {"checkout", "payments", "ledger-db"},
				"recommendations": {},
				"features":        {},
			},
		},
		{
			name:   "removing a hard edge",
			change: func(s []Service) { s[1].DependsOn = nil },
			want: map[string][]string{
				"payments":  {"checkout", "payments"},
				"ledger-db": {},
			},
		},
		{
			name:   "softening a hard edge",
			change: func(s []Service) { s[0].DependsOn = []Dependency{soft("payments"), soft("recommendations")} },
			want: map[string][]string{
				"payments":  {},
				"ledger-db": {},
			},
		},
		{
			name:   "hardening a soft edge",
			change: func(s []Service) { s[0].DependsOn = []Dependency{hard("payments"), hard("recommendations")} },
			want: map[string][]string{
				"recommendations": {"checkout", "recommendations"},
				"features":        {"checkout", "recommendations", "features"},
			},
		},
		{
			name: "adding a shortcut shortens the explanation",
			change: func(s []Service) {
				s[0].DependsOn = append(s[0].DependsOn, hard("ledger-db"))
			},
			want: map[string][]string{
				"ledger-db": {"checkout", "ledger-db"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			services := cloneServices(before)
			tt.change(services)
			checkCriticality(t, NewGraph(services), tt.want)
			// The graph built from the original catalog is not affected.
			checkCriticality(t, NewGraph(before), map[string][]string{
				"ledger-db": {"checkout", "payments", "ledger-db"},
				"features":  {},
			})
		})
	}
}

func cloneServices(services []Service) []Service {
	out := slices.Clone(services)
	for i := range out {
		out[i].DependsOn = slices.Clone(out[i].DependsOn)
	}
	return out
}

func TestCriticalityResultIsACopy(t *testing.T) {
	g := NewGraph([]Service{rc("a", hard("b")), svc("b")})
	_, because := g.Criticality("b")
	because[0] = "mutated"
	checkCriticality(t, g, map[string][]string{"b": {"a", "b"}})
}

func TestDependenciesAndDependents(t *testing.T) {
	g := NewGraph([]Service{
		svc("api", hard("db"), soft("cache"), hard("ghost"), soft("db")),
		svc("worker", soft("db"), hard("queue")),
		svc("db", hard("db")),
		svc("cache"),
		svc("queue"),
	})
	tests := []struct {
		id             string
		wantDependsOn  []Dependency
		wantDependents []Dependency
	}{
		{"api", []Dependency{soft("cache"), hard("db")}, []Dependency{}},
		{"worker", []Dependency{soft("db"), hard("queue")}, []Dependency{}},
		{"db", []Dependency{hard("db")}, []Dependency{hard("api"), hard("db"), soft("worker")}},
		{"cache", []Dependency{}, []Dependency{soft("api")}},
		{"queue", []Dependency{}, []Dependency{hard("worker")}},
		{"ghost", []Dependency{}, []Dependency{}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := g.Dependencies(tt.id); !slices.Equal(got, tt.wantDependsOn) || got == nil {
				t.Errorf("Dependencies(%q) = %v, want %v", tt.id, got, tt.wantDependsOn)
			}
			if got := g.Dependents(tt.id); !slices.Equal(got, tt.wantDependents) || got == nil {
				t.Errorf("Dependents(%q) = %v, want %v", tt.id, got, tt.wantDependents)
			}
		})
	}
}

// traversalGraph:
//
//	admin -soft-> web -hard-> api -hard-> db <-hard-> storage
//	                          api -soft-> search -hard-> db
//	report -hard-> batch -soft-> db
func traversalGraph() *Graph {
	return NewGraph([]Service{
		svc("web", hard("api")),
		svc("api", hard("db"), soft("search")),
		svc("batch", soft("db")),
		svc("report", hard("batch")),
		svc("db", hard("storage")),
		svc("storage", hard("db")),
		svc("search", hard("db")),
		svc("admin", soft("web")),
	})
}

func TestBlastRadius(t *testing.T) {
	g := traversalGraph()
	tests := []struct {
		id       string
		hardOnly bool
		want     []string
	}{
		{"db", true, []string{"api", "search", "storage", "web"}},
		{"db", false, []string{"admin", "api", "batch", "report", "search", "storage", "web"}},
		{"storage", true, []string{"api", "db", "search", "web"}},
		{"search", true, []string{}},
		{"search", false, []string{"admin", "api", "web"}},
		{"web", true, []string{}},
		{"web", false, []string{"admin"}},
		{"batch", true, []string{"report"}},
		{"admin", false, []string{}},
		{"ghost", false, []string{}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/hardOnly=%v", tt.id, tt.hardOnly), func(t *testing.T) {
			got := g.BlastRadius(tt.id, tt.hardOnly)
			if !slices.Equal(got, tt.want) || got == nil {
				t.Errorf("BlastRadius(%q, %v) = %q, want %q", tt.id, tt.hardOnly, got, tt.want)
			}
		})
	}
}

func TestBlastRadiusExcludesSelfOnSelfEdge(t *testing.T) {
	g := NewGraph([]Service{svc("db", hard("db")), svc("api", hard("db"))})
	if got, want := g.BlastRadius("db", true), []string{"api"}; !slices.Equal(got, want) {
		t.Errorf("BlastRadius = %q, want %q", got, want)
	}
	if got, want := g.Reachable("db"), []string{}; !slices.Equal(got, want) {
		t.Errorf("Reachable = %q, want %q", got, want)
	}
}

func TestReachable(t *testing.T) {
	g := traversalGraph()
	tests := []struct {
		id       string
		want     []string
		wantHard []string
	}{
		{"web", []string{"api", "db", "search", "storage"}, []string{"api", "db", "storage"}},
		{"api", []string{"db", "search", "storage"}, []string{"db", "storage"}},
		{"admin", []string{"api", "db", "search", "storage", "web"}, []string{}},
		{"report", []string{"batch", "db", "storage"}, []string{"batch"}},
		{"db", []string{"storage"}, []string{"storage"}},
		{"storage", []string{"db"}, []string{"db"}},
		{"ghost", []string{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := g.Reachable(tt.id); !slices.Equal(got, tt.want) || got == nil {
				t.Errorf("Reachable(%q) = %q, want %q", tt.id, got, tt.want)
			}
			if got := g.HardReachable(tt.id); !slices.Equal(got, tt.wantHard) || got == nil {
				t.Errorf("HardReachable(%q) = %q, want %q", tt.id, got, tt.wantHard)
			}
		})
	}
}

func TestLinked(t *testing.T) {
	g := traversalGraph()
	tests := []struct {
		a, b string
		want bool
	}{
		{"web", "storage", true},
		{"storage", "web", true},
		{"admin", "db", true},
		{"db", "storage", true},
		{"api", "search", true},
		{"batch", "api", false}, // they only share db
		{"report", "search", false},
		{"web", "web", true},
		{"web", "ghost", false},
		{"ghost", "ghost", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+"-"+tt.b, func(t *testing.T) {
			if got := g.Linked(tt.a, tt.b); got != tt.want {
				t.Errorf("Linked(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestLinkedThroughCycle(t *testing.T) {
	// b reaches a only through x, which a also reaches.
	g := NewGraph([]Service{
		svc("a", hard("x")),
		svc("x", hard("a")),
		svc("b", soft("x")),
	})
	if !g.Linked("a", "b") {
		t.Error("Linked(a, b) = false, want true")
	}
}

func TestRelated(t *testing.T) {
	g := traversalGraph()
	tests := []struct {
		name string
		ids  []string
		want [][]string
	}{
		{"none", nil, [][]string{}},
		{"one", []string{"db"}, [][]string{{"db"}}},
		{
			name: "unlinked, linked, unknown and repeated",
			ids:  []string{"search", "batch", "web", "ghost", "batch"},
			want: [][]string{{"batch"}, {"ghost"}, {"search", "web"}},
		},
		{
			name: "grouping is transitive",
			// report and api are not linked, but both are linked to db.
			ids:  []string{"report", "db", "api"},
			want: [][]string{{"api", "db", "report"}},
		},
		{
			name: "only shared dependency",
			ids:  []string{"report", "api"},
			want: [][]string{{"api"}, {"report"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := g.Related(tt.ids)
			if got == nil || !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("Related(%q) = %q, want %q", tt.ids, got, tt.want)
			}
		})
	}
}

func TestRelatedDoesNotModifyInput(t *testing.T) {
	ids := []string{"web", "api", "web"}
	traversalGraph().Related(ids)
	if want := []string{"web", "api", "web"}; !slices.Equal(ids, want) {
		t.Errorf("input became %q, want %q", ids, want)
	}
}

func TestHas(t *testing.T) {
	g := NewGraph([]Service{svc("a", hard("ghost"))})
	if !g.Has("a") || g.Has("ghost") {
		t.Errorf("Has(a) = %v, Has(ghost) = %v; want true, false", g.Has("a"), g.Has("ghost"))
	}
}

// referenceCriticality derives the critical paths by brute force, level by
// level, comparing whole candidate paths: an independent check of the
// single-search derivation.
func referenceCriticality(services []Service) map[string][]string {
	defined := map[string]Service{}
	for _, s := range services {
		if _, dup := defined[s.ID]; !dup {
			defined[s.ID] = s
		}
	}
	best := map[string][]string{}
	var level []string
	for id, s := range defined {
		if s.RevenueCritical {
			best[id] = []string{id}
			level = append(level, id)
		}
	}
	for len(level) > 0 {
		candidates := map[string][]string{}
		for _, from := range level {
			for _, d := range defined[from].DependsOn {
				if d.Kind != Hard {
					continue
				}
				if _, known := defined[d.Service]; !known {
					continue
				}
				if _, done := best[d.Service]; done {
					continue
				}
				path := append(slices.Clone(best[from]), d.Service)
				if cur, ok := candidates[d.Service]; !ok || slices.Compare(path, cur) < 0 {
					candidates[d.Service] = path
				}
			}
		}
		level = level[:0]
		for id, path := range candidates {
			best[id] = path
			level = append(level, id)
		}
	}
	for id := range defined {
		if _, ok := best[id]; !ok {
			best[id] = []string{}
		}
	}
	return best
}

// referenceReach is the transitive closure of the depends_on relation over
// the known services, computed by Floyd–Warshall: reach[a][b] says a depends
// on b, directly or not.
func referenceReach(services []Service, hardOnly bool) map[string]map[string]bool {
	position := map[string]int{}
	for _, s := range services {
		if _, dup := position[s.ID]; !dup {
			position[s.ID] = len(position)
		}
	}
	matrix := make([][]bool, len(position))
	for i := range matrix {
		matrix[i] = make([]bool, len(position))
	}
	defined := map[string]bool{} // only the first definition of an id counts
	for _, s := range services {
		if defined[s.ID] {
			continue
		}
		defined[s.ID] = true
		for _, d := range s.DependsOn {
			if to, known := position[d.Service]; known && (!hardOnly || d.Kind == Hard) {
				matrix[position[s.ID]][to] = true
			}
		}
	}
	for k := range matrix {
		for i := range matrix {
			if !matrix[i][k] {
				continue
			}
			for j := range matrix {
				matrix[i][j] = matrix[i][j] || matrix[k][j]
			}
		}
	}
	reach := map[string]map[string]bool{}
	for a, i := range position {
		reach[a] = map[string]bool{}
		for b, j := range position {
			reach[a][b] = matrix[i][j]
		}
	}
	return reach
}

// servicesFromBytes turns fuzz input into a small catalog: one byte for the
// number of services, one for which are revenue-critical, then three bytes
// per edge (from, to, kind). Targets past the last service are unknown ids.
func servicesFromBytes(data []byte) []Service {
	if len(data) < 2 {
		return nil
	}
	names := []string{"a", "ab", "b", "ba", "c", "ca", "d", "e"}
	n := int(data[0])%len(names) + 1
	services := make([]Service, n)
	for i := range services {
		services[i] = Service{ID: names[i], RevenueCritical: data[1]&(1<<i) != 0}
	}
	for rest := data[2:]; len(rest) >= 3; rest = rest[3:] {
		from := int(rest[0]) % n
		to := fmt.Sprintf("ghost%d", rest[1])
		if int(rest[1]) < len(names) {
			to = names[rest[1]]
		}
		kind := []string{Hard, Soft, "", "weird"}[rest[2]%4]
		services[from].DependsOn = append(services[from].DependsOn, Dependency{Service: to, Kind: kind})
	}
	return services
}

func checkAgainstReference(t *testing.T, services []Service) {
	t.Helper()
	g := NewGraph(services)
	checkCriticality(t, g, referenceCriticality(services))

	for _, hardOnly := range []bool{false, true} {
		reach := referenceReach(services, hardOnly)
		for _, a := range g.ids {
			var wantDeps, wantBlast []string
			for _, b := range g.ids {
				if a == b {
					continue
				}
				if reach[a][b] {
					wantDeps = append(wantDeps, b)
				}
				if reach[b][a] {
					wantBlast = append(wantBlast, b)
				}
				if !hardOnly {
					if got, want := g.Linked(a, b), reach[a][b] || reach[b][a]; got != want {
						t.Errorf("Linked(%q, %q) = %v, want %v", a, b, got, want)
					}
				}
			}
			gotDeps := g.Reachable(a)
			if hardOnly {
				gotDeps = g.HardReachable(a)
			}
			if !slices.Equal(gotDeps, wantDeps) {
				t.Errorf("reachable from %q (hardOnly=%v) = %q, want %q", a, hardOnly, gotDeps, wantDeps)
			}
			if got := g.BlastRadius(a, hardOnly); !slices.Equal(got, wantBlast) {
				t.Errorf("BlastRadius(%q, %v) = %q, want %q", a, hardOnly, got, wantBlast)
			}
		}
	}
}

func TestGraphMatchesReference(t *testing.T) {
	tests := []struct {
		name     string
		services []Service
	}{
		{"layered", generateServices(150, 15, 3)},
		{"dense", generateServices(40, 8, 6)},
		{"narrow and deep", generateServices(100, 3, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkAgainstReference(t, tt.services)
		})
	}
}

func FuzzNewGraph(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{7, 0b1, 0, 1, 0, 1, 2, 0, 2, 0, 0})
	f.Add([]byte{7, 0b101, 0, 3, 0, 0, 2, 0, 2, 3, 0, 3, 7, 1, 7, 4, 0})
	f.Add([]byte{3, 0xff, 0, 0, 0, 1, 1, 0, 2, 200, 0, 3, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstReference(t, servicesFromBytes(data))
	})
}

// generateServices builds a deterministic layered catalog of n services,
// width to a layer: each service depends on deps services of the next layer, about 60% of the edges hard; every 25th
// service also depends hard on one in the layer above, closing cycles; every
// 50th service is revenue-critical (2%).
func generateServices(n, width, deps int) []Service {
	rng := rand.New(rand.NewPCG(1, 2))
	services := make([]Service, n)
	for i := range services {
		services[i] = Service{ID: fmt.Sprintf("svc-%05d", i), RevenueCritical: i%50 == 0}
	}
	for i := range services {
		layerStart := i - i%width
		if next := layerStart + width; next < n {
			for range deps {
				to := next + rng.IntN(min(width, n-next))
				kind := Soft
				if rng.IntN(10) < 6 {
					kind = Hard
				}
				services[i].DependsOn = append(services[i].DependsOn, Dependency{Service: services[to].ID, Kind: kind})
			}
		}
		if i%25 == 0 && layerStart > 0 {
			to := layerStart - width + rng.IntN(width)
			services[i].DependsOn = append(services[i].DependsOn, hard(services[to].ID))
		}
	}
	return services
}

func BenchmarkNewGraph10k(b *testing.B) {
	services := generateServices(10_000, 500, 3)
	b.ReportAllocs()
	for b.Loop() {
		NewGraph(services)
	}
}

func BenchmarkBlastRadius10k(b *testing.B) {
	g := NewGraph(generateServices(10_000, 500, 3))
	// The last layer has the most transitive dependents.
	id := "svc-09999"
	for _, hardOnly := range []bool{true, false} {
		b.Run(fmt.Sprintf("hardOnly=%v", hardOnly), func(b *testing.B) {
			b.ReportAllocs()
			var hit []string
			for b.Loop() {
				hit = g.BlastRadius(id, hardOnly)
			}
			b.ReportMetric(float64(len(hit)), "services")
		})
	}
}

func BenchmarkLinked10k(b *testing.B) {
	g := NewGraph(generateServices(10_000, 500, 3))
	b.ReportAllocs()
	for b.Loop() {
		// Unlinked pair in the same layer: both directions are searched in full.
		g.Linked("svc-00001", "svc-00002")
	}
}

func BenchmarkCriticality10k(b *testing.B) {
	g := NewGraph(generateServices(10_000, 500, 3))
	b.ReportAllocs()
	for b.Loop() {
		g.Criticality("svc-09999")
	}
}
