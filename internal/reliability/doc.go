// Package reliability holds the tests that prove Vigil keeps its promises
// under failure: a vigil serve killed with SIGKILL mid-load and restarted on
// the same SQLite file, several replicas sharing one PostgreSQL with one of
// them killed, an alert storm, receivers that hang, refuse or fail, and
// hostile clients. The tests build the vigil binary once and run real
// processes on loopback; where real time would be too slow they drive the
// pipeline in process with a hand-moved clock.
//
// The short mode, which `go test ./...` runs, finishes in well under two
// minutes. VIGIL_SOAK=1 scales every load up (scripts/soak.sh runs it and
// prints the figures the tests write to VIGIL_RELIABILITY_FIGURES).
// The package has no code of its own outside its tests.
package reliability
