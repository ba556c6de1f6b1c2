package notify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func fixed(v float64) func() float64 { return func() float64 { return v } }

func TestBackoffExact(t *testing.T) {
	tests := []struct {
		attempt int
		rnd     float64
		want    time.Duration
	}{
		// ceiling 2s, 4s, 8s ... 256s, then the 5m cap; wait = ceiling/2 + rnd*ceiling/2
		{attempt: 1, rnd: 0, want: 1 * time.Second}, {attempt: 1, rnd: 0.5, want: 1500 * time.Millisecond},
		{attempt: 2, rnd: 0, want: 2 * time.Second}, {attempt: 2, rnd: 0.25, want: 2500 * time.Millisecond},
		{attempt: 3, rnd: 0.5, want: 6 * time.Second},
		{attempt: 4, rnd: 0, want: 8 * time.Second},
		{attempt: 8, rnd: 0, want: 128 * time.Second}, {attempt: 8, rnd: 1, want: 256 * time.Second},
		{attempt: 9, rnd: 0, want: 150 * time.Second}, {attempt: 9, rnd: 0.5, want: 225 * time.Second}, {attempt: 9, rnd: 1, want: 300 * time.Second},
		{attempt: 40, rnd: 0.5, want: 225 * time.Second},
		{attempt: math.MaxInt, rnd: 0, want: 150 * time.Second},
		// out-of-range attempts count as the first
		{attempt: 0, rnd: 0, want: 1 * time.Second},
		{attempt: -7, rnd: 0, want: 1 * time.Second},
		{attempt: math.MinInt, rnd: 0.5, want: 1500 * time.Millisecond},
		// a broken random source cannot leave the bounds
		{attempt: 1, rnd: -3, want: 1 * time.Second},
		{attempt: 1, rnd: 7, want: 2 * time.Second},
		{attempt: 1, rnd: math.NaN(), want: 1 * time.Second},
		{attempt: 1, rnd: math.Inf(1), want: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("attempt %d rnd %v", tt.attempt, tt.rnd), func(t *testing.T) {
			if got := Backoff(tt.attempt, fixed(tt.rnd)); got != tt.want {
				t.Fatalf("Backoff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ceilings := map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 5: 32 * time.Second, 8: 256 * time.Second, 9: 5 * time.Minute, 20: 5 * time.Minute}
	for attempt, ceiling := range ceilings {
		for range 1000 {
			got := Backoff(attempt, rng.Float64)
			if got < ceiling/2 || got > ceiling {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", attempt, got, ceiling/2, ceiling)
			}
		}
	}
	// The default source stays within bounds too.
	for range 1000 {
		if got := Backoff(3, nil); got < 4*time.Second || got > 8*time.Second {
			t.Fatalf("Backoff(3, nil) = %v, want within [4s, 8s]", got)
		}
	}
}

func TestRetryable(t *testing.T) {
	perm := &PermanentError{Err: errors.New("550 no such user")}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},
		{name: "plain", err: errors.New("connection reset"), want: true},
		{name: "permanent", err: perm, want: false},
		{name: "wrapped permanent", err: fmt.Errorf("send: %w", perm), want: false},
		{name: "joined with permanent", err: errors.Join(errors.New("x"), perm), want: false},
		{name: "cancelled", err: context.Canceled, want: true},
		{name: "deadline", err: fmt.Errorf("post: %w", context.DeadlineExceeded), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Retryable(tt.err); got != tt.want {
				t.Fatalf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestNextAttempt(t *testing.T) {
	transient := errors.New("503")
	perm := &PermanentError{Err: errors.New("404")}
	tests := []struct {
		name      string
		attempts  int
		err       error
		wantDelay time.Duration
		wantRetry bool
	}{
		{name: "first failure", attempts: 1, err: transient, wantDelay: 1 * time.Second, wantRetry: true},
		{name: "third failure", attempts: 3, err: transient, wantDelay: 4 * time.Second, wantRetry: true},
		{name: "last attempt used", attempts: MaxAttemptsPerMethod, err: transient},
		{name: "beyond the last", attempts: MaxAttemptsPerMethod + 3, err: transient},
		{name: "permanent fails over at once", attempts: 1, err: perm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delay, retry := NextAttempt(tt.attempts, tt.err, fixed(0))
			if delay != tt.wantDelay || retry != tt.wantRetry {
				t.Fatalf("NextAttempt = %v, %v; want %v, %v", delay, retry, tt.wantDelay, tt.wantRetry)
			}
		})
	}
	if MaxAttemptsPerMethod != 4 {
		t.Fatalf("MaxAttemptsPerMethod = %d; the README documents 4", MaxAttemptsPerMethod)
	}
}

func BenchmarkBackoff(b *testing.B) {
	rnd := fixed(0.5)
	for i := 0; b.Loop(); i++ {
		Backoff(i%12+1, rnd)
	}
}
