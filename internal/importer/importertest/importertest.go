// Package importertest holds what the importers' tests share: writing an
// import out and reading it back as Vigil would, and comparing who is on
// call, instant by instant, between the source's own rules and Vigil's
// schedule engine.
package importertest

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/importer"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

// Load writes res to a temporary directory as `vigil import` does, reads
// it back with config.Load (failing on any problem, as `vigil validate`
// would) and compiles every schedule.
func Load(t testing.TB, res *importer.Result) (dir string, b *config.Bundle, engines map[string]*schedule.Engine) {
	t.Helper()
	dir = t.TempDir()
	if _, err := importer.Write(dir, res); err != nil {
		t.Fatalf("write: %v", err)
	}
	loaded, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range loaded.Problems {
		t.Errorf("the imported configuration has a problem: %s", p)
	}
	if t.Failed() {
		t.FailNow()
	}
	engines = map[string]*schedule.Engine{}
	for _, s := range loaded.Bundle.Schedules {
		e, err := schedule.Compile(s, schedule.Options{})
		if err != nil {
			t.Fatalf("schedule %s does not compile: %v", s.ID, err)
		}
		engines[s.ID] = e
	}
	return dir, &loaded.Bundle, engines
}

// Transitions are the instants in [from, to) where loc's UTC offset
// changes, to the second.
func Transitions(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	_, prev := from.In(loc).Zone()
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		if _, off := t.Add(time.Hour).In(loc).Zone(); off != prev {
			lo, hi := t, t.Add(time.Hour)
			for hi.Sub(lo) > time.Second {
				mid := lo.Add(hi.Sub(lo) / 2)
				if _, o := mid.In(loc).Zone(); o == prev {
					lo = mid
				} else {
					hi = mid
				}
			}
			out = append(out, hi)
			prev = off
		}
	}
	return out
}

// Source answers who is on call at an instant by the source's own rules,
// as Vigil user ids (the test maps the source's ids).
type Source func(at time.Time) []string

// Fidelity is what one comparison checked.
type Fidelity struct {
	Sampled    int // the instants of the sample
	Boundaries int // of them, next to a restriction boundary (within a second)
	NearDST    int // of them, within two hours of a DST change
	Swept      int // instants of the sweep every 15 minutes
}

// Compare checks, over [from, to), that the union of Vigil's answers on
// the engines equals the source's answer: at n sampled instants (every
// DST change and restriction boundary given, a second before and at each,
// then the instants where either side changes, then random ones), and
// every 15 minutes. Each disagreement is an error naming the instant.
func Compare(t *testing.T, name string, rng *rand.Rand, from, to time.Time, n int, src Source, engines []*schedule.Engine, dst, boundaries []time.Time) Fidelity {
	t.Helper()
	vigil := func(at time.Time) []string {
		var who []string
		for _, e := range engines {
			who = append(who, e.OnCall(at)...)
		}
		return set(who)
	}
	var f Fidelity
	mismatches := 0
	check := func(at time.Time) {
		got, want := vigil(at), set(src(at))
		if !slices.Equal(got, want) {
			mismatches++
			if mismatches <= 10 {
				t.Errorf("%s at %s: Vigil has %v on call, the source %v", name, at.Format(time.RFC3339), got, want)
			}
		}
	}

	// Where the answers change: Vigil's shift edges, and the source's
	// found by bisection between quarter hours.
	var changes []time.Time
	for _, e := range engines {
		shifts, err := e.Shifts(from, to)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shifts {
			changes = append(changes, s.Start, s.End)
		}
	}
	step := 15 * time.Minute
	prev := set(src(from))
	for at := from.Add(step); at.Before(to); at = at.Add(step) {
		cur := set(src(at))
		if !slices.Equal(cur, prev) {
			lo, hi := at.Add(-step), at
			for hi.Sub(lo) > time.Second {
				mid := lo.Add(hi.Sub(lo) / 2)
				if slices.Equal(set(src(mid)), prev) {
					lo = mid
				} else {
					hi = mid
				}
			}
			changes = append(changes, hi)
		}
		prev = cur
		check(at)
		f.Swept++
	}

	var sample []time.Time
	add := func(ts ...time.Time) {
		for _, at := range ts {
			if !at.Before(from) && at.Before(to) && len(sample) < n {
				sample = append(sample, at)
			}
		}
	}
	for _, d := range dst {
		add(d.Add(-time.Second), d, d.Add(time.Hour), d.Add(-time.Hour))
	}
	inWindow := func(ts []time.Time) []time.Time {
		var out []time.Time
		for _, x := range ts {
			if !x.Before(from) && x.Before(to) {
				out = append(out, x)
			}
		}
		return out
	}
	spread := func(ts []time.Time, k int) []time.Time {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		if len(ts) <= k {
			return ts
		}
		out := make([]time.Time, k)
		for i := range k {
			out[i] = ts[i*len(ts)/k]
		}
		return out
	}
	for _, b := range spread(inWindow(boundaries), n/8) {
		add(b.Add(-time.Second), b)
	}
	for _, c := range spread(inWindow(changes), n/4) {
		add(c.Add(-time.Second), c)
	}
	for len(sample) < n {
		add(from.Add(time.Duration(rng.Int64N(int64(to.Sub(from))))).Truncate(time.Second))
	}
	for _, at := range sample {
		check(at)
		for _, b := range boundaries {
			if d := at.Sub(b); d >= -time.Second && d <= time.Second {
				f.Boundaries++
				break
			}
		}
		for _, d := range dst {
			if diff := at.Sub(d); diff > -2*time.Hour && diff < 2*time.Hour {
				f.NearDST++
				break
			}
		}
	}
	f.Sampled = len(sample)
	if mismatches > 10 {
		t.Errorf("%s: %d disagreements in all", name, mismatches)
	}
	if f.NearDST == 0 || len(boundaries) > 0 && f.Boundaries == 0 {
		t.Errorf("%s: the sample has %d instants near a DST change and %d at a restriction boundary", name, f.NearDST, f.Boundaries)
	}
	return f
}

func set(who []string) []string {
	out := slices.Clone(who)
	sort.Strings(out)
	return slices.Compact(out)
}

// Windows are the two 8-week stretches of the year after start centred on
// loc's DST changes, each with its change.
func Windows(loc *time.Location, start time.Time) (windows [][2]time.Time, changes []time.Time) {
	for _, c := range Transitions(loc, start, start.AddDate(1, 0, 0)) {
		windows = append(windows, [2]time.Time{c.AddDate(0, 0, -28), c.AddDate(0, 0, 28)})
		changes = append(changes, c)
	}
	return windows, changes
}

// Add sums what two comparisons checked.
func (f *Fidelity) Add(g Fidelity) {
	f.Sampled += g.Sampled
	f.Boundaries += g.Boundaries
	f.NearDST += g.NearDST
	f.Swept += g.Swept
}

// CompareSchedule runs Compare with 200 instants over each of the two
// 8-week windows around the DST changes of loc in the year after now, and
// logs what each checked.
func CompareSchedule(t *testing.T, name string, rng *rand.Rand, loc *time.Location, now time.Time, src Source, engines []*schedule.Engine, boundaries func(from, to time.Time) []time.Time) Fidelity {
	t.Helper()
	windows, changes := Windows(loc, now)
	if len(windows) != 2 {
		t.Fatalf("%s: %d DST changes in the year after %s in %s, want 2", name, len(windows), now.Format(time.RFC3339), loc)
	}
	var total Fidelity
	for i, w := range windows {
		f := Compare(t, name, rng, w[0], w[1], 200, src, engines, changes[i:i+1], boundaries(w[0], w[1]))
		t.Logf("%s (%d Vigil schedules), 8 weeks around %s: %d sampled (%d at restriction boundaries, %d near the DST change), %d swept every 15 min",
			name, len(engines), changes[i].Format(time.RFC3339), f.Sampled, f.Boundaries, f.NearDST, f.Swept)
		total.Add(f)
	}
	return total
}

// Time reads an RFC 3339 time or fails the test.
func Time(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// CheckImport checks the outcome of importing bad input: an error naming
// wantErr when one is wanted; else a configuration that validates and a
// report that says report.
func CheckImport(t *testing.T, res *importer.Result, err error, wantErr, report string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want one containing %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range config.Validate(&res.Bundle) {
		t.Errorf("invalid configuration: %s", p)
	}
	Load(t, res) // written out, it reads back without a problem
	if text := string(res.Report.Markdown(res.Counts())); !strings.Contains(text, report) {
		t.Errorf("the report lacks %q:\n%s", report, text)
	}
}

// ReportHas checks that the report names each of wants, written as
// "kind | name | what" (a prefix of the item's what is enough).
func ReportHas(t *testing.T, res *importer.Result, wants ...string) {
	t.Helper()
	var lines []string
	for _, it := range append(res.Report.Skipped(), res.Report.Changed()...) {
		lines = append(lines, it.Kind+" | "+it.Name+" | "+it.What)
	}
	text := strings.Join(lines, "\n")
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
}

// Now is when the fixtures are imported: 1 February 2026, before both DST
// changes of 2026 in every zone they use.
func Now() time.Time { return time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) }

// Importer is a vendor's Import.
type Importer func(context.Context, importer.Source, importer.Options) (*importer.Result, error)

// Import runs a vendor's import of src at Now, failing the test on an
// error.
func Import(t testing.TB, run Importer, src importer.Source) *importer.Result {
	t.Helper()
	res, err := run(context.Background(), src, importer.Options{Now: Now()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// BadInput is a case of a vendor's test of bad input: the fixture with
// Files replaced (an empty content removes one), and what must come of
// it (see CheckImport).
type BadInput struct {
	Name    string
	Files   map[string]string
	WantErr string // "" when the import must succeed
	Report  string // part of the report, when it succeeds
}

// InMemory reads the files as they are.
func InMemory(_ testing.TB, f Files) importer.Source { return f }

// OnDisk writes the files to a temporary directory and reads that.
func OnDisk(t testing.TB, f Files) importer.Source {
	t.Helper()
	src, err := importer.NewDir(f.Write(t))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// CheckBadInputs imports, at Now, the fixture as each case changes it,
// read through source (InMemory or OnDisk), and checks the outcome with
// CheckImport.
func CheckBadInputs(t *testing.T, run Importer, fixture Files, source func(testing.TB, Files) importer.Source, cases []BadInput) {
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			res, err := run(context.Background(), source(t, fixture.With(tt.Files)), importer.Options{Now: Now()})
			CheckImport(t, res, err, tt.WantErr, tt.Report)
		})
	}
}

// FromAPI checks that the import from live, a vendor's API, gives the
// configuration the saved files give (offline), and returns it.
func FromAPI(t *testing.T, run Importer, live, offline importer.Source) *importer.Result {
	t.Helper()
	res, err := run(context.Background(), live, importer.Options{Now: Now()})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Bundle, Import(t, run, offline).Bundle) {
		t.Errorf("the API import differs from the files' import")
	}
	return res
}

// WrongToken checks that the import from a vendor's API with a wrong
// token fails saying the API refused it.
func WrongToken(t *testing.T, run Importer, api importer.Source) {
	t.Helper()
	if _, err := run(context.Background(), api, importer.Options{Now: Now()}); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Errorf("a wrong token: %v", err)
	}
}

// Imported is a vendor's fixture imported at Now and read back as Vigil
// would (see Load), for the fidelity tests.
type Imported struct {
	Res     *importer.Result
	Bundle  *config.Bundle
	Engines map[string]*schedule.Engine
	// ByEmail maps each user's email to its Vigil id.
	ByEmail map[string]string
}

// ImportAndLoad imports src at Now and reads the result back.
func ImportAndLoad(t testing.TB, run Importer, src importer.Source) *Imported {
	t.Helper()
	res := Import(t, run, src)
	_, b, engines := Load(t, res)
	return &Imported{Res: res, Bundle: b, Engines: engines, ByEmail: ByEmail(b)}
}

// EnginesOf are the engines of the Vigil schedules made from the source's
// schedule id: none when it was not carried over.
func (im *Imported) EnginesOf(id string) []*schedule.Engine {
	var es []*schedule.Engine
	for _, v := range im.Res.Schedules[id] {
		es = append(es, im.Engines[v])
	}
	return es
}

// Tally sums what a vendor's fidelity test compared, schedule by
// schedule.
type Tally struct {
	Fidelity
	Schedules int
}

// Schedule counts one schedule's comparison.
func (s *Tally) Schedule(f Fidelity) {
	s.Add(f)
	s.Schedules++
}

// Done checks that the fixture's want schedules were compared and logs
// the sums; boundaries names what the boundaries sampled are.
func (s *Tally) Done(t *testing.T, vendor, boundaries string, want int) {
	t.Helper()
	if s.Schedules != want {
		t.Errorf("compared %d schedules, want the fixture's %d", s.Schedules, want)
	}
	t.Logf("%s: %d schedules, %d sampled instants (%d at %s boundaries, %d near DST changes), %d swept: no disagreement",
		vendor, s.Schedules, s.Sampled, s.Boundaries, boundaries, s.NearDST, s.Swept)
}

// ByEmail maps each imported user's email to its Vigil id, for tests that
// map the source's users to Vigil's.
func ByEmail(b *config.Bundle) map[string]string {
	m := map[string]string{}
	for _, u := range b.Users {
		m[u.Email] = u.ID
	}
	return m
}
