// Package e2e holds end-to-end tests: they build the vigil binary, run it
// as a real process on a temporary SQLite database, and point a real
// Prometheus Alertmanager at it, as a user would. The package has no code
// of its own outside its tests.
package e2e
