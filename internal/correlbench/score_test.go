package correlbench

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/incident"
)

// TestEvaluate scores a hand-made outcome. Failure 0 (root a, deployed
// just before) alerts on a and b, of team t1; failure 1 (root c) on c (t2)
// and d (t3); x alerts on its own. Incident 10 holds a, b and d, 11 holds
// c, 12 holds x.
//
// Pairs in one incident: ab, ad, bd (3); pairs of one failure: ab, cd (2);
// both: ab. Precision 1/3, recall 1/2, F1 2/5. Failure 0's incident is 10,
// whose first suspect is a: found. Failure 1 has one alert in 10 and one in
// 11: its incident is 11, where its first alert went; c is third there.
// Failure 1 spans two teams: one major incident wanted, one made (10).
func TestEvaluate(t *testing.T) {
	w := &World{Owner: map[string]string{"a": "t1", "b": "t1", "c": "t2", "d": "t3", "x": "t4"}}
	in := &Injected{
		Failures: []Failure{{Root: "a", Deploy: true}, {Root: "c"}, {Root: "x", Background: true}},
		Alerts: []Alert{
			{Service: "a", Failure: 0}, {Service: "b", Failure: 0}, {Service: "c", Failure: 1},
			{Service: "d", Failure: 1}, {Service: "x", Failure: 2},
		},
	}
	suspects := func(ids ...string) []incident.Suspect {
		var out []incident.Suspect
		for _, id := range ids {
			out = append(out, incident.Suspect{Service: id})
		}
		return out
	}
	out := &Outcome{
		IncidentOf: []int64{10, 10, 11, 10, 12},
		Incidents: map[int64]incident.Incident{
			10: {ID: 10, Major: true, Suspects: suspects("a", "b")},
			11: {ID: 11, Suspects: suspects("z", "y", "c")},
			12: {ID: 12, Suspects: suspects("x")},
		},
		IRTPages: 2,
	}
	got := Evaluate(w, in, out)
	want := Score{Alerts: 5, Incidents: 3, Precision: 1.0 / 3, Recall: 0.5, F1: 0.4,
		Failures: 2, Top1: 1, Top3: 2, DeployFailures: 1, Top1Deploy: 1, Top3Deploy: 1,
		Major: 1, MajorWant: 1, IRTPages: 2, IRTPagesWant: 1}
	if !near(got.Precision, want.Precision) || !near(got.Recall, want.Recall) || !near(got.F1, want.F1) {
		t.Errorf("precision, recall, F1 = %v, %v, %v; want %v, %v, %v", got.Precision, got.Recall, got.F1, want.Precision, want.Recall, want.F1)
	}
	got.Precision, got.Recall, got.F1 = want.Precision, want.Recall, want.F1
	if got != want {
		t.Errorf("Evaluate =\n%+v\nwant\n%+v", got, want)
	}

	// One incident per alert: no pair put together, none wrongly.
	out.IncidentOf = []int64{1, 2, 3, 4, 5}
	out.Incidents = map[int64]incident.Incident{1: {}, 2: {}, 3: {}, 4: {}, 5: {}}
	if s := Evaluate(w, in, out); s.Precision != 1 || s.Recall != 0 || s.F1 != 0 {
		t.Errorf("one incident per alert: precision, recall, F1 = %v, %v, %v; want 1, 0, 0", s.Precision, s.Recall, s.F1)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	err := WriteTable(&buf, []Row{{Services: 100, Contender: "dependency graph", Score: Score{Alerts: 5, Incidents: 3,
		Precision: 1.0 / 3, Recall: 0.5, F1: 0.4, Failures: 2, Top1: 1, Top3: 2, Major: 1, MajorWant: 1, IRTPages: 2, IRTPagesWant: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("table:\n%s\nwant a header and a row", buf.String())
	}
	if got, want := strings.Fields(lines[1]), []string{"100", "dependency", "graph", "5", "3", "0.333", "0.500", "0.400", "0.50", "1.00", "-", "-", "1/1", "2/1"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("row = %q, want %q", got, want)
	}
}
