package vigiltest

import (
	"context"
	"sync"
	"testing"
)

// Background runs each of runs in a goroutine of its own, on a context
// that ends with the test: the test's cleanup cancels it and waits until
// every run has returned. For a server's loops (a pipeline's Run, say)
// that a test leaves running while it speaks to the server.
func Background(tb testing.TB, runs ...func(context.Context)) {
	tb.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range runs {
		wg.Go(func() { run(ctx) })
	}
	tb.Cleanup(func() {
		stop()
		wg.Wait()
	})
}
