package vigiltest

import (
	"os"
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
