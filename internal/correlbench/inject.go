package correlbench

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Scenario says which failures to inject and how their alerts arrive.
type Scenario struct {
	// Failures is how many services fail, one after another with
	// exponentially distributed gaps of MeanGap on average.
	Failures int
	MeanGap  time.Duration
	// Window is the correlation window: a failure's dependents alert at a
	// uniformly random moment within it.
	Window time.Duration
	// The chance that the failing service alerts (within RootDelay), and
	// that each service it reaches alerts: through hard edges (failed) and
	// through a last soft edge (degraded).
	RootAlerts, FailedAlerts, DegradedAlerts float64
	RootDelay                                time.Duration
	// DeployShare of the failing services were deployed one to four
	// minutes before they failed.
	DeployShare float64
	// Noise is the share of all alerts that belong to no failure: each
	// alerts on a random service at a random moment.
	Noise float64
	// DeploysPerDay is how often each service is deployed, failure or
	// not: changes that prove nothing.
	DeploysPerDay float64
	Seed          uint64
}

// DefaultScenario is the benchmark's scenario for n services. Failures
// start every three minutes on average at 1,000 services (twenty an hour,
// a bad day), and more often in larger companies by the square root of
// their size: in a graph of domains of the same size, the chance that two
// failures at once touch each other then stays about the same, so the
// sizes compare scale, not luck.
func DefaultScenario(n int) Scenario {
	s := Scenario{
		Window:     5 * time.Minute,
		RootAlerts: 0.9, FailedAlerts: 0.5, DegradedAlerts: 0.3,
		RootDelay:     time.Minute,
		DeployShare:   0.3,
		Noise:         0.1,
		DeploysPerDay: 1,
		Seed:          1,
		MeanGap:       time.Duration(float64(3*time.Minute) * math.Sqrt(1000/float64(n))).Round(time.Second),
	}
	// Enough failures that a few large cascades, which weigh most in
	// pairwise scores, do not decide the result alone.
	s.Failures = 400
	if n <= 100 {
		s.Failures = 100
	}
	return s
}

// Failure is one injected cause: a service that failed, or a background
// alert, which is a failure of its own.
type Failure struct {
	Root       string
	At         time.Time
	Deploy     bool // the root was deployed just before
	Background bool
}

// Alert is one injected alert, of one failure.
type Alert struct {
	Service string
	At      time.Time
	Failure int
}

// Change is one injected change event: a root's deploy (Failure is its
// index) or a routine one (Failure is -1).
type Change struct {
	Service string
	At      time.Time
	Failure int
}

// Injected is what a scenario did to a world, each list in time order.
type Injected struct {
	Start, End time.Time
	Failures   []Failure
	Alerts     []Alert
	Changes    []Change
}

// Inject plays a scenario on a world from start.
func Inject(w *World, s Scenario, start time.Time) *Injected {
	rng := rand.New(rand.NewPCG(s.Seed, 0x636f7272))
	between := func(lo, hi time.Duration) time.Duration {
		return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
	}
	hub := map[string]bool{}
	for _, h := range w.Hubs {
		hub[h] = true
	}
	var roots []string
	for _, id := range w.Services {
		if !hub[id] {
			roots = append(roots, id)
		}
	}
	in := &Injected{Start: start}
	at := start
	for f := range s.Failures {
		at = at.Add(time.Duration(rng.ExpFloat64() * float64(s.MeanGap)))
		root := roots[rng.IntN(len(roots))]
		failure := Failure{Root: root, At: at, Deploy: rng.Float64() < s.DeployShare}
		in.Failures = append(in.Failures, failure)
		if failure.Deploy {
			in.Changes = append(in.Changes, Change{Service: root, At: at.Add(-between(time.Minute, 4*time.Minute)), Failure: f})
		}
		if rng.Float64() < s.RootAlerts {
			in.Alerts = append(in.Alerts, Alert{Service: root, At: at.Add(between(0, s.RootDelay)), Failure: f})
		}
		failed, degraded := w.Affected(root)
		for _, svc := range failed {
			if rng.Float64() < s.FailedAlerts {
				in.Alerts = append(in.Alerts, Alert{Service: svc, At: at.Add(between(0, s.Window)), Failure: f})
			}
		}
		for _, svc := range degraded {
			if rng.Float64() < s.DegradedAlerts {
				in.Alerts = append(in.Alerts, Alert{Service: svc, At: at.Add(between(0, s.Window)), Failure: f})
			}
		}
	}
	in.End = at.Add(s.Window)
	span := in.End.Sub(start)
	if s.Noise > 0 && s.Noise < 1 {
		background := int(float64(len(in.Alerts))*s.Noise/(1-s.Noise) + 0.5)
		for range background {
			svc := w.Services[rng.IntN(len(w.Services))]
			f := len(in.Failures)
			when := start.Add(between(0, span))
			in.Failures = append(in.Failures, Failure{Root: svc, At: when, Background: true})
			in.Alerts = append(in.Alerts, Alert{Service: svc, At: when, Failure: f})
		}
	}
	routine := int(s.DeploysPerDay * float64(len(w.Services)) * span.Hours() / 24)
	for range routine {
		in.Changes = append(in.Changes, Change{Service: w.Services[rng.IntN(len(w.Services))], At: start.Add(between(0, span)), Failure: -1})
	}
	slices.SortStableFunc(in.Alerts, func(a, b Alert) int { return a.At.Compare(b.At) })
	slices.SortStableFunc(in.Changes, func(a, b Change) int { return a.At.Compare(b.At) })
	return in
}
