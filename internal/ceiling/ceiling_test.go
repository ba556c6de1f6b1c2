package ceiling

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/slo"
)

func svc(id string, deps ...catalog.Dependency) catalog.Service {
	return catalog.Service{ID: id, DependsOn: deps}
}

func rc(id string, deps ...catalog.Dependency) catalog.Service {
	s := svc(id, deps...)
	s.RevenueCritical = true
	return s
}

func hard(id string) catalog.Dependency { return catalog.Dependency{Service: id, Kind: catalog.Hard} }
func soft(id string) catalog.Dependency { return catalog.Dependency{Service: id, Kind: catalog.Soft} }

func obj(service, name string, target float64) Objective {
	return Objective{SLO: name, Service: service, Target: target}
}

func measured(o Objective, m float64) Objective {
	o.Measured = &m
	return o
}

// dep is what a test expects of one dependency: "" target means unknown.
type dep struct {
	service, via, slo string
	target            float64
	measured          float64 // 0: none
	nine              string
}

type want struct {
	ceiling        float64 // -1: unknown (nil)
	atMost         float64
	measured       float64 // -1: nil
	measuredAtMost float64
	unknown        string
	above          bool
	pulled         string
	deps           []dep
	// findings are "level kind dependencies" in order.
	findings []string
}

func TestCeilings(t *testing.T) {
	chain := []catalog.Service{rc("a", hard("b")), svc("b", hard("c")), svc("c")}
	chainSLOs := []Objective{obj("a", "a-avail", 0.999), obj("b", "b-avail", 0.9995), obj("c", "c-avail", 0.9999)}
	cases := []struct {
		name       string
		services   []catalog.Service
		objectives []Objective
		of         string
		want       want
	}{
		{
			// a → b → c: 99.95% × 99.99% = 99.940005%, above a's 99.9%.
			// a promises three nines: b's 99.95% is three too (short),
			// c's 99.99% four (ok).
			name:       "chain",
			services:   chain,
			objectives: chainSLOs,
			of:         "a",
			want: want{
				ceiling: 0.99940005, atMost: 0.99940005, measured: -1, measuredAtMost: 1, pulled: "",
				deps: []dep{
					{service: "b", via: "a b", slo: "b-avail", target: 0.9995, nine: NineShort},
					{service: "c", via: "a b c", slo: "c-avail", target: 0.9999, nine: NineOK},
				},
				findings: []string{"warning extra_nine b"},
			},
		},
		{
			name:       "the middle of a chain",
			services:   chain,
			objectives: chainSLOs,
			of:         "b",
			want: want{
				ceiling: 0.9999, atMost: 0.9999, measured: -1, measuredAtMost: 1,
				deps: []dep{{service: "c", via: "b c", slo: "c-avail", target: 0.9999, nine: NineOK}},
			},
		},
		{
			name:       "the end of a chain needs nothing",
			services:   chain,
			objectives: []Objective{obj("c", "c-avail", 0.9999)},
			of:         "c",
			want:       want{ceiling: 1, atMost: 1, measured: 1, measuredAtMost: 1},
		},
		{
			// d is reached through b and c but counts once:
			// 99.95% × 99.95% × 99.9% = 99.800124975%. Without d the rest
			// allow 99.900025%, enough for 99.9%: d alone pulls a down.
			name: "diamond",
			services: []catalog.Service{
				rc("a", hard("c"), hard("b")), svc("b", hard("d")), svc("c", hard("d")), svc("d"),
			},
			objectives: []Objective{
				obj("a", "a-avail", 0.999), obj("b", "b", 0.9995), obj("c", "c", 0.9995), obj("d", "d", 0.999),
			},
			of: "a",
			want: want{
				ceiling: 0.99800124975, atMost: 0.99800124975, measured: -1, measuredAtMost: 1, above: true, pulled: "d",
				deps: []dep{
					{service: "b", via: "a b", slo: "b", target: 0.9995, nine: NineShort},
					{service: "c", via: "a c", slo: "c", target: 0.9995, nine: NineShort},
					{service: "d", via: "a b d", slo: "d", target: 0.999, nine: NineShort},
				},
				findings: []string{"error above_ceiling d", "warning extra_nine b", "warning extra_nine c", "warning extra_nine d"},
			},
		},
		{
			// a → b → a: a's ceiling is b's target alone (a is not its own
			// dependency), and b's is a's.
			name:       "cycle",
			services:   []catalog.Service{rc("a", hard("b")), svc("b", hard("a"))},
			objectives: []Objective{obj("a", "a", 0.999), obj("b", "b", 0.9999)},
			of:         "a",
			want: want{
				ceiling: 0.9999, atMost: 0.9999, measured: -1, measuredAtMost: 1,
				deps: []dep{{service: "b", via: "a b", slo: "b", target: 0.9999, nine: NineOK}},
			},
		},
		{
			name:       "cycle, the other way round",
			services:   []catalog.Service{rc("a", hard("b")), svc("b", hard("a"))},
			objectives: []Objective{obj("a", "a", 0.999), obj("b", "b", 0.9999)},
			of:         "b",
			want: want{
				ceiling: 0.999, atMost: 0.999, measured: -1, measuredAtMost: 1, above: true, pulled: "a",
				deps:     []dep{{service: "a", via: "b a", slo: "a", target: 0.999, nine: NineShort}},
				findings: []string{"error above_ceiling a", "warning extra_nine a"},
			},
		},
		{
			name:       "a self-edge is not a dependency",
			services:   []catalog.Service{rc("a", hard("a"))},
			objectives: []Objective{obj("a", "a", 0.999)},
			of:         "a",
			want:       want{ceiling: 1, atMost: 1, measured: 1, measuredAtMost: 1},
		},
		{
			// x promises 90% but a reaches it only through a soft edge, and
			// y's hard dependency on z is behind that soft edge too.
			name: "soft edges are ignored",
			services: []catalog.Service{
				rc("a", soft("x"), hard("y")), svc("x", hard("z")), svc("y"), svc("z"),
			},
			objectives: []Objective{obj("a", "a", 0.999), obj("x", "x", 0.9), obj("y", "y", 0.99999)},
			of:         "a",
			want: want{
				ceiling: 0.99999, atMost: 0.99999, measured: -1, measuredAtMost: 1,
				deps: []dep{{service: "y", via: "a y", slo: "y", target: 0.99999, nine: NineOK}},
			},
		},
		{
			// b promises 99.99% available but only 99% fast: the weakest
			// promise is what a can count on, 99% < 99.9%. Its measurement is
			// likewise the lower of the two.
			name:     "a dependency with two SLOs offers the lower target",
			services: []catalog.Service{rc("a", hard("b")), svc("b")},
			objectives: []Objective{
				obj("a", "a", 0.999),
				measured(obj("b", "b-avail", 0.9999), 0.9998), measured(obj("b", "b-latency", 0.99), 0.995),
			},
			of: "a",
			want: want{
				ceiling: 0.99, atMost: 0.99, measured: 0.995, measuredAtMost: 0.995, above: true, pulled: "b",
				deps:     []dep{{service: "b", via: "a b", slo: "b-latency", target: 0.99, measured: 0.995, nine: NineShort}},
				findings: []string{"error above_ceiling b", "warning extra_nine b"},
			},
		},
		{
			// b has no SLO: the ceiling is unknown, 99.95% (c) is only
			// what it stays under, and b is named.
			name:       "a dependency without an SLO is unknown",
			services:   []catalog.Service{rc("a", hard("b"), hard("c")), svc("b"), svc("c")},
			objectives: []Objective{measured(obj("a", "a", 0.999), 0.9991), measured(obj("c", "c", 0.9995), 0.9997)},
			of:         "a",
			want: want{
				ceiling: -1, atMost: 0.9995, measured: -1, measuredAtMost: 0.9997, unknown: "b",
				deps: []dep{
					{service: "b", via: "a b", nine: NineNoSLO},
					{service: "c", via: "a c", slo: "c", target: 0.9995, measured: 0.9997, nine: NineShort},
				},
				findings: []string{"warning no_slo b", "warning extra_nine c"},
			},
		},
		{
			// Above even what is known: c pulls it down; b cannot help.
			name:       "above the ceiling with a dependency unknown",
			services:   []catalog.Service{rc("a", hard("b"), hard("c")), svc("b"), svc("c")},
			objectives: []Objective{obj("a", "a", 0.9999), obj("c", "c", 0.9995)},
			of:         "a",
			want: want{
				ceiling: -1, atMost: 0.9995, measured: -1, measuredAtMost: 1, unknown: "b", above: true, pulled: "c",
				deps: []dep{
					{service: "b", via: "a b", nine: NineNoSLO},
					{service: "c", via: "a c", slo: "c", target: 0.9995, nine: NineShort},
				},
				findings: []string{"error above_ceiling c", "warning no_slo b", "warning extra_nine c"},
			},
		},
		{
			// Not critical: the ceiling holds but the extra-nine rule does
			// not apply, and a dependency without an SLO is still named.
			name:       "a service that is not critical",
			services:   []catalog.Service{svc("a", hard("b"), hard("c")), svc("b"), svc("c")},
			objectives: []Objective{obj("a", "a", 0.99), obj("c", "c", 0.995)},
			of:         "a",
			want: want{
				ceiling: -1, atMost: 0.995, measured: -1, measuredAtMost: 1, unknown: "b",
				deps: []dep{
					{service: "b", via: "a b"},
					{service: "c", via: "a c", slo: "c", target: 0.995},
				},
				findings: []string{"warning no_slo b"},
			},
		},
		{
			// Of three dependencies at 99%, 99.9% and 99.95%, dropping the
			// 99% one leaves 99.85005% < 99.9%; dropping 99.9% as well
			// leaves 99.95%: both pull a down.
			name:     "the fewest dependencies that pull it down, weakest first",
			services: []catalog.Service{svc("a", hard("p"), hard("q"), hard("r")), svc("p"), svc("q"), svc("r")},
			objectives: []Objective{
				obj("a", "a", 0.999), obj("p", "p", 0.9995), obj("q", "q", 0.999), obj("r", "r", 0.99),
			},
			of: "a",
			want: want{
				ceiling: 0.9995 * 0.999 * 0.99, atMost: 0.9995 * 0.999 * 0.99, measured: -1, measuredAtMost: 1, above: true, pulled: "r q",
				deps: []dep{
					{service: "p", via: "a p", slo: "p", target: 0.9995},
					{service: "q", via: "a q", slo: "q", target: 0.999},
					{service: "r", via: "a r", slo: "r", target: 0.99},
				},
				findings: []string{"error above_ceiling r q"},
			},
		},
		{
			name:     "measured beside the targets",
			services: chain,
			objectives: []Objective{
				obj("a", "a", 0.999), measured(obj("b", "b", 0.9999), 0.999), measured(obj("c", "c", 0.99999), 0.99995),
			},
			of: "a",
			want: want{
				ceiling: 0.9999 * 0.99999, atMost: 0.9999 * 0.99999, measured: 0.99895005, measuredAtMost: 0.99895005,
				deps: []dep{
					{service: "b", via: "a b", slo: "b", target: 0.9999, measured: 0.999, nine: NineOK},
					{service: "c", via: "a b c", slo: "c", target: 0.99999, measured: 0.99995, nine: NineOK},
				},
			},
		},
		{
			// One dependency has data, the other none yet.
			name:       "measured with a dependency without data",
			services:   []catalog.Service{svc("a", hard("b"), hard("c")), svc("b"), svc("c")},
			objectives: []Objective{obj("a", "a", 0.99), measured(obj("b", "b", 0.999), 0.998), obj("c", "c", 0.999)},
			of:         "a",
			want: want{
				ceiling: 0.998001, atMost: 0.998001, measured: -1, measuredAtMost: 0.998,
				deps: []dep{
					{service: "b", via: "a b", slo: "b", target: 0.999, measured: 0.998},
					{service: "c", via: "a c", slo: "c", target: 0.999},
				},
			},
		},
		{
			name:       "a service the graph does not know",
			services:   []catalog.Service{svc("a")},
			objectives: []Objective{obj("ghost", "ghost", 0.999)},
			of:         "ghost",
			want:       want{ceiling: 1, atMost: 1, measured: 1, measuredAtMost: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(catalog.NewGraph(tc.services), tc.objectives).Of(tc.of)
			w := tc.want
			checkNumber(t, "ceiling", c.Ceiling, w.ceiling)
			checkNumber(t, "measured", c.Measured, w.measured)
			if !near(c.AtMost, w.atMost) || !near(c.MeasuredAtMost, w.measuredAtMost) {
				t.Errorf("at most %v, measured at most %v; want %v, %v", c.AtMost, c.MeasuredAtMost, w.atMost, w.measuredAtMost)
			}
			if got := strings.Join(c.Unknown, " "); got != w.unknown {
				t.Errorf("unknown %q, want %q", got, w.unknown)
			}
			if c.AboveCeiling != w.above || strings.Join(c.PulledDownBy, " ") != w.pulled {
				t.Errorf("above %v pulled down by %q; want %v %q", c.AboveCeiling, c.PulledDownBy, w.above, w.pulled)
			}
			var deps []dep
			for _, d := range c.Dependencies {
				got := dep{service: d.Service, via: strings.Join(d.Via, " "), slo: d.SLO, nine: d.ExtraNine}
				if d.Target != nil {
					got.target = *d.Target
				}
				if d.Measured != nil {
					got.measured = *d.Measured
				}
				if d.Unknown != (d.Target == nil) {
					t.Errorf("dependency %s: unknown %v with target %v", d.Service, d.Unknown, d.Target)
				}
				deps = append(deps, got)
			}
			if !slices.Equal(deps, w.deps) {
				t.Errorf("dependencies\n got %+v\nwant %+v", deps, w.deps)
			}
			var findings []string
			for _, f := range c.Findings {
				findings = append(findings, f.Level+" "+f.Kind+" "+strings.Join(f.Dependencies, " "))
				if f.Message == "" || len(f.Suggestions) == 0 || f.Service != tc.of {
					t.Errorf("finding %+v: want a message, suggestions and the service", f)
				}
			}
			if !slices.Equal(findings, w.findings) {
				t.Errorf("findings\n got %q\nwant %q", findings, w.findings)
			}
		})
	}
}

func checkNumber(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	switch {
	case want < 0 && got != nil:
		t.Errorf("%s = %v, want unknown", what, *got)
	case want >= 0 && got == nil:
		t.Errorf("%s unknown, want %v", what, want)
	case want >= 0 && !near(*got, want):
		t.Errorf("%s = %v, want %v", what, *got, want)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// A service's own SLOs are each held against the ceiling, strictest first.
func TestEachOwnObjectiveIsChecked(t *testing.T) {
	m := New(catalog.NewGraph([]catalog.Service{rc("a", hard("b")), svc("b")}), []Objective{
		obj("a", "a-latency", 0.99), obj("a", "a-avail", 0.9999), obj("b", "b", 0.9995),
	})
	c := m.Of("a")
	if len(c.Objectives) != 2 {
		t.Fatalf("objectives %+v", c.Objectives)
	}
	strict, loose := c.Objectives[0], c.Objectives[1]
	if strict.SLO != "a-avail" || !strict.AboveCeiling || strings.Join(strict.PulledDownBy, ",") != "b" {
		t.Errorf("strictest %+v: want a-avail above the ceiling, pulled down by b", strict)
	}
	if loose.SLO != "a-latency" || loose.AboveCeiling || len(loose.PulledDownBy) != 0 {
		t.Errorf("loosest %+v: want a-latency within the ceiling", loose)
	}
	// The extra-nine rule reads the strictest promise: 99.99% wants five
	// nines, and b offers three.
	if c.Dependencies[0].ExtraNine != NineShort {
		t.Errorf("extra nine of b = %q, want short", c.Dependencies[0].ExtraNine)
	}
	f := c.Findings[0]
	want := "SLO a-avail promises 99.99%, above the 99.95% that a's hard dependencies allow at most (b 99.95%): pulled down by b"
	if f.Kind != KindAboveCeiling || f.SLO != "a-avail" || f.Message != want {
		t.Errorf("finding %q\nwant %q", f.Message, want)
	}
	wantSuggestions := []string{
		"make a's dependency on b soft, with a fallback (a cache, a default, a degraded answer)",
		"add capacity or replicas to b (in independent failure domains) and raise its objective to at least 99.99%",
		"relax SLO a-avail to below 99.95%, leaving room for a's own failures",
	}
	if !slices.Equal(f.Suggestions, wantSuggestions) {
		t.Errorf("suggestions\n got %q\nwant %q", f.Suggestions, wantSuggestions)
	}
}

func TestMessagesNameThePath(t *testing.T) {
	m := New(catalog.NewGraph([]catalog.Service{rc("checkout", hard("payments")), svc("payments", hard("ledger")), svc("ledger")}),
		[]Objective{obj("checkout", "checkout-availability", 0.999), obj("payments", "payments-availability", 0.9999)})
	c := m.Of("checkout")
	if len(c.Findings) != 1 {
		t.Fatalf("findings %+v", c.Findings)
	}
	f := c.Findings[0]
	want := "checkout needs ledger (through payments), which has no SLO: checkout's ceiling is unknown, and critical checkout cannot know that it offers one more nine than its 99.9%"
	if f.Kind != KindNoSLO || f.Message != want {
		t.Errorf("message %q\nwant %q", f.Message, want)
	}
	wantSuggestions := []string{
		"give ledger an SLO of at least 99.99%",
		"make payments's dependency on ledger soft, with a fallback (a cache, a default, a degraded answer) so that checkout does not need it",
	}
	if !slices.Equal(f.Suggestions, wantSuggestions) {
		t.Errorf("suggestions\n got %q\nwant %q", f.Suggestions, wantSuggestions)
	}
}

func TestAllAndFindings(t *testing.T) {
	m := New(catalog.NewGraph([]catalog.Service{rc("a", hard("b")), svc("b", hard("c")), svc("c"), svc("d", hard("c"))}),
		[]Objective{obj("a", "a", 0.9999), obj("b", "b", 0.999)})
	var ids []string
	for _, c := range m.All() {
		ids = append(ids, c.Service)
	}
	if strings.Join(ids, ",") != "a,b" {
		t.Errorf("All lists %v, want the services with an SLO: a, b", ids)
	}
	var got []string
	for _, f := range m.Findings() {
		got = append(got, f.Service+" "+f.Level+" "+f.Kind+" "+strings.Join(f.Dependencies, ","))
	}
	want := "a error above_ceiling b; a warning extra_nine b; a warning no_slo c; b warning no_slo c"
	if strings.Join(got, "; ") != want {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
}

func TestObjectivesOf(t *testing.T) {
	defs := []slo.SLO{{Name: "x", Service: "a", Objective: 0.999}, {Name: "y", Service: "b", Objective: 0.99}}
	got := ObjectivesOf(defs, map[string]float64{"y": 0.995})
	if len(got) != 2 || got[0].Measured != nil || got[1].Measured == nil || *got[1].Measured != 0.995 || got[1].Target != 0.99 {
		t.Errorf("ObjectivesOf = %+v", got)
	}
}

func TestWholeNines(t *testing.T) {
	for _, tc := range []struct {
		a     float64
		nines int
		more  string
	}{
		{0.5, 0, "90%"}, {0.9, 1, "99%"}, {0.95, 1, "99%"}, {0.99, 2, "99.9%"}, {0.995, 2, "99.9%"},
		{0.999, 3, "99.99%"}, {0.9995, 3, "99.99%"}, {0.9999, 4, "99.999%"}, {0.99999, 5, "99.9999%"},
	} {
		if got := wholeNines(tc.a); got != tc.nines {
			t.Errorf("wholeNines(%v) = %d, want %d", tc.a, got, tc.nines)
		}
		if got := Percent(oneMoreNine(tc.a)); got != tc.more {
			t.Errorf("one more nine than %v = %s, want %s", tc.a, got, tc.more)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		a              float64
		near, down, up string
	}{
		{0.999, "99.9%", "99.9%", "99.9%"},
		{0.99940005, "99.94%", "99.94%", "99.9401%"},
		{0.99800124975, "99.8001%", "99.8001%", "99.8002%"},
		{1, "100%", "100%", "100%"},
		{0.5, "50%", "50%", "50%"},
	} {
		if got := Percent(tc.a); got != tc.near {
			t.Errorf("Percent(%v) = %s, want %s", tc.a, got, tc.near)
		}
		if got := PercentDown(tc.a); got != tc.down {
			t.Errorf("PercentDown(%v) = %s, want %s", tc.a, got, tc.down)
		}
		if got := PercentUp(tc.a); got != tc.up {
			t.Errorf("PercentUp(%v) = %s, want %s", tc.a, got, tc.up)
		}
	}
}
