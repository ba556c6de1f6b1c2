package correlbench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/correlate"
)

// scripts/correlation-bench.sh runs these. By hand:
//
//	go test -run '^$' -bench 'Correlation|Decide' -benchtime 1x ./internal/correlbench/
var (
	sizesFlag = flag.String("correlbench.sizes", "100,1000,10000", "company sizes, in services, comma-separated")
	noiseFlag = flag.Float64("correlbench.noise", 0.1, "share of all alerts that belong to no failure")
	seedFlag  = flag.Uint64("correlbench.seed", 1, "seed of the generated companies and failures")
)

// benchStart is when every benchmark scenario begins: a Monday morning.
var benchStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// BenchmarkCorrelation feeds each company's injected failures through the
// pipeline once per contender and prints the table of scores. The
// dependency-graph rule's scores are reported as metrics too.
func BenchmarkCorrelation(b *testing.B) {
	var rows []Row
	for _, field := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 50 {
			b.Fatalf("-correlbench.sizes: %q is not a number of services of at least 50", field)
		}
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			w := NewWorld(n, *seedFlag)
			s := DefaultScenario(n)
			s.Noise, s.Seed = *noiseFlag, *seedFlag
			in := Inject(w, s, benchStart)
			var these []Row
			for b.Loop() {
				these = these[:0]
				for _, c := range Contenders() {
					out, err := Run(context.Background(), b.TempDir(), w, in, s.Window, c)
					if err != nil {
						b.Fatalf("%s: %v", c.Name, err)
					}
					these = append(these, Row{Services: n, Contender: c.Name, Score: Evaluate(w, in, out)})
				}
			}
			own := these[len(these)-1].Score
			b.ReportMetric(own.Precision, "precision")
			b.ReportMetric(own.Recall, "recall")
			b.ReportMetric(own.F1, "F1")
			rows = append(rows, these...)
		})
	}
	fmt.Println()
	if err := WriteTable(os.Stdout, rows); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDecide measures the join decision per alert at 10,000 services:
// for each injected alert, the dependencies its window shows failing, and
// a verdict against every group of alerts of the window before it (the
// open incidents an alert is placed against). The index is built once per
// configuration, outside the loop.
func BenchmarkDecide(b *testing.B) {
	w := NewWorld(10000, *seedFlag)
	s := DefaultScenario(10000)
	s.Seed = *seedFlag
	in := Inject(w, s, benchStart)
	x := correlate.NewIndex(catalog.NewGraph(w.Bundle.Services), correlate.IndexOptions{})
	type placement struct {
		service  string
		alerting []string
		groups   [][]string
	}
	places := make([]placement, len(in.Alerts))
	decisions := 0
	for i, a := range in.Alerts {
		byFailure := map[int][]string{}
		var order []int
		p := placement{service: a.Service, alerting: []string{a.Service}}
		for j := i - 1; j >= 0 && a.At.Sub(in.Alerts[j].At) <= s.Window; j-- {
			o := in.Alerts[j]
			if _, ok := byFailure[o.Failure]; !ok {
				order = append(order, o.Failure)
			}
			byFailure[o.Failure] = append(byFailure[o.Failure], o.Service)
			p.alerting = append(p.alerting, o.Service)
		}
		for _, f := range order {
			p.groups = append(p.groups, byFailure[f])
		}
		decisions += len(p.groups)
		places[i] = p
	}
	b.ResetTimer()
	k := 0
	for b.Loop() {
		p := places[k%len(places)]
		k++
		ev := failingEvidence(x.CoFailing(p.alerting))
		for _, g := range p.groups {
			x.Decide(p.service, g, ev)
		}
	}
	b.ReportMetric(float64(decisions)/float64(len(places)), "incidents/alert")
}

// failingEvidence knows of the dependencies shown failing only.
type failingEvidence []string

func (failingEvidence) Alerting(string) bool { return false }
func (failingEvidence) Changed(string) bool  { return false }
func (f failingEvidence) DependentsFailing(s string) bool {
	for _, d := range f {
		if d == s {
			return true
		}
	}
	return false
}

// BenchmarkIndex measures building the correlation index of a 10,000-service
// company, once per configuration.
func BenchmarkIndex(b *testing.B) {
	g := catalog.NewGraph(NewWorld(10000, *seedFlag).Bundle.Services)
	for b.Loop() {
		correlate.NewIndex(g, correlate.IndexOptions{})
	}
}
