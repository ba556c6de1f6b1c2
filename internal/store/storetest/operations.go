package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/store"
)

// run is a pending run of op on service, requested at minute m.
func run(op, service string, incident int64, m int) *ops.Run {
	return &ops.Run{Operation: op, Service: service, Incident: incident, Status: ops.StatusPending, Actor: "user:alice", Channel: "web",
		Params: map[string]string{"region": "eu-1"}, Request: "POST http://127.0.0.1:9400/v1/services/" + service + "/drain\n",
		RequestedAt: at(m), Timeout: duration.Duration(30 * time.Minute)}
}

// runLabel shows a run as "op@service#incident:status".
func runLabel(r ops.Run) string {
	return fmt.Sprintf("%s@%s#%d:%s", r.Operation, r.Service, r.Incident, r.Status)
}

func runLabels(rs []ops.Run) string { return labels(rs, runLabel) }

// testOperationRuns covers a run's life: stored whole, one active run per
// service and operation, claimed, finished and listed.
func testOperationRuns(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	drain := run("drain", "payments-api", 7, 0)
	drain.RequestedAt = drain.RequestedAt.In(time.FixedZone("CET", 3600)).Add(999 * time.Nanosecond)
	update(t, s, func(tx store.Tx) error { return tx.InsertOperationRun(drain) })
	if drain.ID == 0 {
		t.Fatal("InsertOperationRun set no ID")
	}
	want := *drain
	want.RequestedAt = at(0)
	assertSame(t, "stored run", query(t, s.GetOperationRun, drain.ID), want)
	if _, err := s.GetOperationRun(ctx, drain.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetOperationRun of no run = %v, want ErrNotFound", err)
	}

	// One active run per service and operation.
	err := s.Update(ctx, func(tx store.Tx) error { return tx.InsertOperationRun(run("drain", "payments-api", 0, 1)) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second pending drain of payments-api = %v, want ErrConflict", err)
	}
	restart, other := run("restart", "payments-api", 7, 2), run("drain", "checkout", 0, 3)
	update(t, s, func(tx store.Tx) error { return tx.InsertOperationRun(restart) })
	update(t, s, func(tx store.Tx) error { return tx.InsertOperationRun(other) })

	// Claimed oldest first; a claimed run is still active.
	var pending []ops.Run
	update(t, s, func(tx store.Tx) error {
		var err error
		if pending, err = tx.PendingOperationRuns(2); err != nil {
			return err
		}
		for i := range pending {
			ops.Claim(&pending[i], "replica-a", at(5))
			if err := tx.UpdateOperationRun(&pending[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if got, want := runLabels(pending), "drain@payments-api#7:running restart@payments-api#7:running"; got != want {
		t.Errorf("claimed = %s, want %s", got, want)
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.InsertOperationRun(run("drain", "payments-api", 0, 6)) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a drain of payments-api while one runs = %v, want ErrConflict", err)
	}

	// A claim that ended leaves its run abandoned; others' are not.
	abandoned := func(now int) string {
		var rs []ops.Run
		update(t, s, func(tx store.Tx) error {
			var err error
			rs, err = tx.AbandonedOperationRuns(at(now), 10)
			return err
		})
		return runLabels(rs)
	}
	if got := abandoned(30); got != "" {
		t.Errorf("abandoned within the claim = %q, want none", got)
	}
	if got, want := abandoned(40), "drain@payments-api#7:running restart@payments-api#7:running"; got != want {
		t.Errorf("abandoned after the claim = %q, want %q", got, want)
	}

	// Finished, the service may run the operation again.
	update(t, s, func(tx store.Tx) error {
		r, err := tx.GetOperationRun(drain.ID)
		if err != nil {
			return err
		}
		ops.Finish(&r, "HTTP 200 OK\n{\"ok\": true}", nil, at(6))
		return tx.UpdateOperationRun(&r)
	})
	again := run("drain", "payments-api", 8, 10)
	update(t, s, func(tx store.Tx) error { return tx.InsertOperationRun(again) })
	// But an old run cannot be made active beside it.
	err = s.Update(ctx, func(tx store.Tx) error {
		r, err := tx.GetOperationRun(drain.ID)
		if err != nil {
			return err
		}
		r.Status = ops.StatusRunning
		return tx.UpdateOperationRun(&r)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("making a finished run active beside another = %v, want ErrConflict", err)
	}
	got := query(t, s.GetOperationRun, drain.ID)
	if got.Status != ops.StatusSucceeded || got.Output != "HTTP 200 OK\n{\"ok\": true}" || got.FinishedAt == nil || !got.FinishedAt.Equal(at(6)) || got.ClaimedUntil != nil {
		t.Errorf("finished run = %+v", got)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		return tx.UpdateOperationRun(&ops.Run{ID: 999999, Operation: "x", Service: "y", Actor: "z", Status: ops.StatusFailed, RequestedAt: t0})
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateOperationRun of no run = %v, want ErrNotFound", err)
	}

	for _, c := range []struct {
		name string
		q    store.OperationRunQuery
		want string
	}{
		{"all, newest first", store.OperationRunQuery{}, "drain@payments-api#8:pending drain@checkout#0:pending restart@payments-api#7:running drain@payments-api#7:succeeded"},
		{"service", store.OperationRunQuery{Service: "payments-api"}, "drain@payments-api#8:pending restart@payments-api#7:running drain@payments-api#7:succeeded"},
		{"incident", store.OperationRunQuery{IncidentID: 7}, "restart@payments-api#7:running drain@payments-api#7:succeeded"},
		{"operation", store.OperationRunQuery{Operation: "drain"}, "drain@payments-api#8:pending drain@checkout#0:pending drain@payments-api#7:succeeded"},
		{"statuses", store.OperationRunQuery{Statuses: []string{ops.StatusRunning, ops.StatusSucceeded}}, "restart@payments-api#7:running drain@payments-api#7:succeeded"},
		{"period", store.OperationRunQuery{From: at(2), To: at(10)}, "drain@checkout#0:pending restart@payments-api#7:running"},
		{"page", store.OperationRunQuery{BeforeID: other.ID, Limit: 1}, "restart@payments-api#7:running"},
		{"no match", store.OperationRunQuery{Service: "nope"}, ""},
	} {
		if got := runLabels(query(t, s.ListOperationRuns, c.q)); got != c.want {
			t.Errorf("ListOperationRuns %s = %q, want %q", c.name, got, c.want)
		}
	}

	// The toil report reads the runs of a period, oldest first.
	reports, ok := s.(store.ReportOperations)
	if !ok {
		t.Fatal("the store does not implement store.ReportOperations")
	}
	manual, err := reports.ReportOperations(ctx, at(0), at(10))
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, "ReportOperations", manual, []report.ManualOperation{
		{Service: "payments-api", Operation: "drain", Actor: "user:alice", At: at(0)},
		{Service: "payments-api", Operation: "restart", Actor: "user:alice", At: at(2)},
		{Service: "checkout", Operation: "drain", Actor: "user:alice", At: at(3)},
	})
}

// testOperationRunsRejected: what no run may hold is refused on both
// backends alike, and nothing is stored.
func testOperationRunsRejected(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	for _, c := range []struct {
		name string
		edit func(r *ops.Run)
		want string
	}{
		{"no operation", func(r *ops.Run) { r.Operation = "" }, "operation is empty"},
		{"no service", func(r *ops.Run) { r.Service = "" }, "service is empty"},
		{"no actor", func(r *ops.Run) { r.Actor = "" }, "actor is empty"},
		{"unknown status", func(r *ops.Run) { r.Status = "done" }, `status "done" is not one of`},
		{"no request time", func(r *ops.Run) { r.RequestedAt = time.Time{} }, "requested_at is required"},
		{"negative incident", func(r *ops.Run) { r.Incident = -1 }, "incident -1 is negative"},
		{"NUL in the service", func(r *ops.Run) { r.Service = "a\x00b" }, "service contains a NUL byte"},
		{"invalid UTF-8 in a parameter", func(r *ops.Run) { r.Params = map[string]string{"region": "\xff"} }, "parameter region is not valid UTF-8"},
		{"invalid UTF-8 in the output", func(r *ops.Run) { r.Output = "\xff" }, "output is not valid UTF-8"},
	} {
		r := run("drain", "payments-api", 0, 0)
		c.edit(r)
		err := s.Update(context.Background(), func(tx store.Tx) error { return tx.InsertOperationRun(r) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: InsertOperationRun = %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if got := runLabels(query(t, s.ListOperationRuns, store.OperationRunQuery{})); got != "" {
		t.Errorf("runs stored after refusals: %s", got)
	}
	if _, err := s.ListOperationRuns(context.Background(), store.OperationRunQuery{Service: "a\x00"}); err == nil {
		t.Error("ListOperationRuns with a NUL in the service: no error")
	}
}
