package pipeline

import (
	"testing"
	"time"
)

func TestRestAfter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name                  string
		taken, batch, waiting int
		elapsed               time.Duration
		want                  time.Duration
	}{
		{"storm: full batch, many senders waiting", 64, 64, 40, 20 * ms, 180 * ms},
		{"exactly stormSenders waiting", 64, 64, 16, 5 * ms, 45 * ms},
		{"a few senders waiting: steady load", 64, 64, 15, 20 * ms, 0},
		{"caught up: a partial batch", 63, 64, 40, 20 * ms, 0},
		{"nothing taken", 0, 64, 40, 20 * ms, 0},
		{"nobody waiting", 64, 64, 0, 20 * ms, 0},
		{"a clock that went nowhere", 64, 64, 40, 0, 0},
		{"a clock that went back", 64, 64, 40, -5 * ms, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := restAfter(tt.taken, tt.batch, tt.waiting, tt.elapsed); got != tt.want {
				t.Errorf("restAfter(%d, %d, %d, %s) = %s, want %s", tt.taken, tt.batch, tt.waiting, tt.elapsed, got, tt.want)
			}
		})
	}
}
