package vigiltest

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/clock"
)

// Clock is the clock for a test that runs on "now" rather than on an
// instant of its own: the wall clock, or the instant the test run pins
// with VIGIL_TEST_NOW (scripts/test.sh sweeps the suite over several).
func Clock(t testing.TB) func() time.Time {
	t.Helper()
	now, err := clock.FromEnv(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return now
}

// ManualClock is a clock a test sets and moves; safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock reading at.
func NewManualClock(at time.Time) *ManualClock { return &ManualClock{t: at} }

// Now reads the clock.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock by d.
func (c *ManualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
