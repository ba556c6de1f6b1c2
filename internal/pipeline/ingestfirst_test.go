package pipeline

import (
	"testing"
	"time"
)

func TestRestAfter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name         string
		taken, batch int
		waiting      int
		rate         float64
		elapsed      time.Duration
		want         time.Duration
	}{
		{"storm: full batch, many arrivals", 64, 64, 0, 9000, 20 * ms, 180 * ms},
		{"arrivals at exactly stormRate", 64, 64, 0, 2000, 5 * ms, 45 * ms},
		{"steady load, processing behind", 64, 64, 0, 1999, 20 * ms, 0},
		{"caught up: a partial batch", 63, 64, 0, 9000, 20 * ms, 0},
		{"caught up, a few senders waiting", 5, 64, 31, 0, 2 * ms, 0},
		{"a storm's first moments: no rate yet, many senders waiting", 5, 64, 32, 0, 2 * ms, 18 * ms},
		{"a storm, many senders waiting", 64, 64, 64, 9000, 20 * ms, 180 * ms},
		{"a steady load measured, a long batch: many senders waiting", 64, 64, 40, 1000, 40 * ms, 0},
		{"caught up, many senders waiting, a storm's rate", 5, 64, 40, 9000, 2 * ms, 18 * ms},
		{"behind, no rate yet, a few senders waiting", 64, 64, 31, 0, 20 * ms, 0},
		{"nothing taken", 0, 64, 64, 9000, 20 * ms, 0},
		{"a clock that went nowhere", 64, 64, 64, 9000, 0, 0},
		{"a clock that went back", 64, 64, 64, 9000, -5 * ms, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := restAfter(tt.taken, tt.batch, tt.waiting, tt.rate, tt.elapsed); got != tt.want {
				t.Errorf("restAfter(%d, %d, %d, %g, %s) = %s, want %s", tt.taken, tt.batch, tt.waiting, tt.rate, tt.elapsed, got, tt.want)
			}
		})
	}
}

func TestBatchFor(t *testing.T) {
	tests := []struct {
		name    string
		waiting int
		rate    float64
		want    int
	}{
		{"a backlog and nobody sending", 0, 0, drainBatch},
		{"a trickle", 0, quietRate - 1, drainBatch},
		{"a steady load", 0, quietRate, processBatch},
		{"one sender waiting", 1, 0, processBatch},
		{"a storm", 200, 9000, processBatch},
	}
	for _, tt := range tests {
		if got := batchFor(tt.waiting, tt.rate); got != tt.want {
			t.Errorf("%s: batchFor(%d, %g) = %d, want %d", tt.name, tt.waiting, tt.rate, got, tt.want)
		}
	}
}

func TestIngestMeter(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	var m ingestMeter
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	steps := []struct {
		name    string
		at      time.Duration
		drained int
		process int // processing transactions started (+1) or ended (+1) just before
		want    float64
	}{
		{"the first drain has nothing to compare with", 0, 5, 0, 0},
		{"10ms with 20 events: not yet rateWindow", 10 * ms, 20, 0, 0},
		{"10ms more with 30: 50 events in 20ms", 20 * ms, 30, 0, 2500},
		{"processing started during the span: not counted", 40 * ms, 64, 1, 2500},
		{"processing still running: not counted", 50 * ms, 10, 0, 2500},
		{"processing ended during the span: not counted", 60 * ms, 60, 1, 2500},
		{"a clean span again: 4 in 10ms, not yet a window", 70 * ms, 4, 0, 2500},
		{"and 6 more in 10ms: 10 events in 20ms", 80 * ms, 6, 0, 500},
		{"a clock that went back is not counted", 75 * ms, 99, 0, 500},
	}
	for _, s := range steps {
		for range s.process {
			m.processing.Add(1)
		}
		m.drained(at(s.at), s.drained)
		if got := m.arrivalRate(at(s.at)); got != s.want {
			t.Errorf("%s: rate = %g, want %g", s.name, got, s.want)
		}
	}
	if got := m.arrivalRate(at(80*ms + time.Second)); got != 500 {
		t.Errorf("rate a second after the last measure = %g, want 500 still", got)
	}
	if got := m.arrivalRate(at(80*ms + time.Second + ms)); got != 0 {
		t.Errorf("stale rate = %g, want 0", got)
	}
}

func TestCommitSignal(t *testing.T) {
	s := newCommitSignal()
	first := s.next()
	select {
	case <-first:
		t.Fatal("signalled before any commit")
	default:
	}
	s.committed()
	select {
	case <-first:
	default:
		t.Fatal("a commit did not signal its waiters")
	}
	second := s.next()
	select {
	case <-second:
		t.Fatal("a waiter after the commit was signalled by it")
	default:
	}
	s.committed()
	<-second
}

func TestFillBatchTakesWhatIsQueuedUpToTheBound(t *testing.T) {
	tests := []struct {
		name              string
		queued, lastBatch int
		want              int
	}{
		{"idle: one request", 1, 0, 1},
		{"idle: everything queued", 10, 1, 10},
		{"under load: everything queued", 10, 64, 10},
		{"more than one commit may hold", maxCommitBatch + 5, 64, maxCommitBatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Committer{queue: &inboxQueue{requests: make(chan *inboxRequest, tt.queued)}}
			for range tt.queued {
				c.queue.requests <- &inboxRequest{}
			}
			got := c.fillBatch(nil, tt.lastBatch)
			if len(got) != tt.want {
				t.Errorf("fillBatch took %d requests, want %d", len(got), tt.want)
			}
			if left := len(c.queue.requests); left != tt.queued-tt.want {
				t.Errorf("%d requests left queued, want %d", left, tt.queued-tt.want)
			}
		})
	}
}
