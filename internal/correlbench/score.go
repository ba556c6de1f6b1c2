package correlbench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Score is how an outcome compares with what was injected.
type Score struct {
	Alerts, Incidents int
	// Pairwise grouping: of the pairs of alerts put in one incident, the
	// share that belong to one failure (precision); of the pairs that
	// belong to one failure, the share put in one incident (recall).
	Precision, Recall, F1 float64
	// Root cause: of the failures with an alert, how often the root is the
	// first suspect of the failure's incident, and among the first three;
	// Deploy counts those whose root was deployed just before.
	Failures, Top1, Top3                   int
	DeployFailures, Top1Deploy, Top3Deploy int
	// Major incidents made, and those there should have been: one for
	// each failure whose alerts span two or more teams. IRT pages sent,
	// and those there should have been (one per major incident).
	Major, MajorWant       int
	IRTPages, IRTPagesWant int
}

// Evaluate scores an outcome. A failure's incident is the one holding most
// of its alerts (on a tie, the one its first alert went to: what its
// first responder looks at, else the first opened).
func Evaluate(w *World, in *Injected, out *Outcome) Score {
	s := Score{Alerts: len(in.Alerts), Incidents: len(out.Incidents)}
	type cell struct {
		incident int64
		failure  int
	}
	cells := map[cell]int{}
	byIncident := map[int64]int{}
	byFailure := map[int]int{}
	for i, a := range in.Alerts {
		inc := out.IncidentOf[i]
		cells[cell{inc, a.Failure}]++
		byIncident[inc]++
		byFailure[a.Failure]++
	}
	pairs := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	var together, related, both float64
	for _, n := range cells {
		both += pairs(n)
	}
	for _, n := range byIncident {
		together += pairs(n)
	}
	for _, n := range byFailure {
		related += pairs(n)
	}
	s.Precision, s.Recall = ratio(both, together), ratio(both, related)
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}

	// What each failure's alerts became: the teams they span, and the
	// incident holding most of them.
	teams := make([]map[string]bool, len(in.Failures))
	firstIncident := make([]int64, len(in.Failures))
	for i, a := range in.Alerts {
		if teams[a.Failure] == nil {
			teams[a.Failure] = map[string]bool{}
			firstIncident[a.Failure] = out.IncidentOf[i] // alerts are in time order
		}
		teams[a.Failure][w.Owner[a.Service]] = true
	}
	for f, failure := range in.Failures {
		if failure.Background || byFailure[f] == 0 {
			continue
		}
		var best int64
		for c, n := range cells {
			if c.failure != f {
				continue
			}
			m := cells[cell{best, f}]
			if best == 0 || n > m || n == m && (c.incident == firstIncident[f] || best != firstIncident[f] && c.incident < best) {
				best = c.incident
			}
		}
		if len(teams[f]) >= 2 {
			s.MajorWant++
		}
		s.Failures++
		suspects := out.Incidents[best].Suspects
		top := func(k int) bool {
			for _, sus := range suspects[:min(k, len(suspects))] {
				if sus.Service == failure.Root {
					return true
				}
			}
			return false
		}
		s.Top1 += b2i(top(1))
		s.Top3 += b2i(top(3))
		if failure.Deploy {
			s.DeployFailures++
			s.Top1Deploy += b2i(top(1))
			s.Top3Deploy += b2i(top(3))
		}
	}
	for _, inc := range out.Incidents {
		s.Major += b2i(inc.Major)
	}
	s.IRTPages, s.IRTPagesWant = out.IRTPages, s.MajorWant
	return s
}

// ratio is a/b, or 1 when there is nothing to get wrong.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 1
	}
	return a / b
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Row is one contender's score on one company.
type Row struct {
	Services  int
	Contender string
	Score     Score
}

// WriteTable prints the rows as a table.
func WriteTable(out io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join([]string{"services", "rule", "alerts", "incidents", "precision", "recall", "F1",
		"top-1", "top-3", "top-1 deploy", "top-3 deploy", "major/want", "IRT pages/want", ""}, "\t"))
	for _, r := range rows {
		s := r.Score
		share := func(n, of int) string {
			if of == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", float64(n)/float64(of))
		}
		fmt.Fprintln(tw, strings.Join([]string{
			fmt.Sprint(r.Services), r.Contender, fmt.Sprint(s.Alerts), fmt.Sprint(s.Incidents),
			fmt.Sprintf("%.3f", s.Precision), fmt.Sprintf("%.3f", s.Recall), fmt.Sprintf("%.3f", s.F1),
			share(s.Top1, s.Failures), share(s.Top3, s.Failures), share(s.Top1Deploy, s.DeployFailures), share(s.Top3Deploy, s.DeployFailures),
			fmt.Sprintf("%d/%d", s.Major, s.MajorWant), fmt.Sprintf("%d/%d", s.IRTPages, s.IRTPagesWant), "",
		}, "\t"))
	}
	return tw.Flush()
}
