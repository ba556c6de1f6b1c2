package notify

import (
	"errors"
	"math/rand/v2"
	"time"
)

// Retry policy of one contact method.
const (
	// BackoffBase is the longest wait after the first failed attempt.
	BackoffBase = 2 * time.Second
	// BackoffCap bounds the wait between two attempts.
	BackoffCap = 5 * time.Minute
	// MaxAttemptsPerMethod is how many times one contact method is tried
	// before the notification fails over to the person's next method.
	MaxAttemptsPerMethod = 4
)

// Backoff returns how long to wait after failed attempt number attempt
// (1 for the first). The ceiling doubles from BackoffBase up to BackoffCap;
// the wait is drawn with equal jitter from [ceiling/2, ceiling], so that
// receivers recovering from an outage are not hit by every retry at once
// and no retry comes sooner than half the ceiling. rnd returns a value in
// [0, 1); nil uses math/rand/v2.
func Backoff(attempt int, rnd func() float64) time.Duration {
	ceiling := BackoffCap
	if attempt < 1 {
		attempt = 1
	}
	// Past 2^shift the ceiling is over the cap anyway; stopping there keeps
	// the shift from overflowing.
	if shift := attempt - 1; shift < 30 && BackoffBase<<shift < BackoffCap {
		ceiling = BackoffBase << shift
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	r := rnd()
	if !(r >= 0) { // also catches NaN
		r = 0
	}
	if r >= 1 {
		r = 1
	}
	half := ceiling / 2
	return half + time.Duration(r*float64(ceiling-half))
}

// Retryable reports whether a failed send may succeed when tried again:
// every error except a PermanentError. A cancelled or timed-out send is
// retryable, since the message may not have left.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var perm *PermanentError
	return !errors.As(err, &perm)
}

// NextAttempt says what follows failed attempt number attempts (1-based) of
// one contact method: another attempt after delay, or, when retry is false,
// failover to the next method because err is permanent or the method has
// had MaxAttemptsPerMethod attempts.
func NextAttempt(attempts int, err error, rnd func() float64) (delay time.Duration, retry bool) {
	if !Retryable(err) || attempts >= MaxAttemptsPerMethod {
		return 0, false
	}
	return Backoff(attempts, rnd), true
}
