package vigiltest

import (
	"context"
	"sync/atomic"
	"testing"
)

// TestBackground: the runs go at once and side by side (each waits for
// the other to have started), last until the test ends, and have all
// returned when its cleanup is done.
func TestBackground(t *testing.T) {
	var returned atomic.Int32
	started := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	run := func(i int) func(context.Context) {
		return func(ctx context.Context) {
			close(started[i])
			<-started[1-i]
			<-ctx.Done()
			returned.Add(1)
		}
	}
	t.Run("inner", func(t *testing.T) {
		Background(t, run(0), run(1))
		<-started[0]
		<-started[1]
		if n := returned.Load(); n != 0 {
			t.Errorf("%d runs returned while the test ran, want 0", n)
		}
	})
	if n := returned.Load(); n != 2 {
		t.Errorf("%d runs returned after the test's cleanup, want 2", n)
	}
}
