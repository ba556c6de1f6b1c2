// Package opsrun runs operations: it turns a person's request into a
// stored run, has exactly one replica execute it through its driver (an
// HTTP call to the platform, or a program run without a shell), and
// leaves every run on the incident's timeline and in the audit log.
//
// A run is stored pending by the replica that took the request, which
// hands the rendered call (secrets and all, which are never stored) to
// its own runner; the runner claims it in the store, executes it and
// records how it went. A pending run no runner claimed within
// ops.StartWithin fails unrun, and a running run whose runner stopped
// (a replica that died) fails with the reason once its claim ends: it is
// never run again on its own, since what became of it on the platform
// is unknown.
package opsrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// ErrInvalid wraps a request that cannot run as asked: a parameter or a
// rendered value refused, an environment value the server lacks.
var ErrInvalid = errors.New("invalid operation request")

// ErrBusy wraps a request refused because the service already has a run
// of the operation waiting or running.
var ErrBusy = errors.New("operation already running")

// Store is what the runner needs of the database.
type Store interface {
	Update(ctx context.Context, fn func(store.Tx) error) error
	GetOperationRun(ctx context.Context, id int64) (ops.Run, error)
}

// Options configures a Runner.
type Options struct {
	Store Store
	// Org returns the configuration in force.
	Org func() *org.Snapshot
	Now func() time.Time
	// Getenv reads the server's environment for {{env.NAME}}, and PATH
	// for the programs of exec drivers.
	Getenv func(string) string
	Logger *slog.Logger
	// Client sends the requests of http drivers; nil means one that
	// follows no redirect (a 3xx is the platform's answer, and no header
	// is carried to another host). Each run's timeout bounds its request.
	Client *http.Client
	// Poll is how often Run looks for abandoned and stale runs (handed
	// runs wake it at once); zero means 5s.
	Poll time.Duration
}

// Runner takes requests for runs and executes the runs this replica
// holds. Create it with New; Run drives it, or RunOnce from tests.
type Runner struct {
	store  Store
	org    func() *org.Snapshot
	now    func() time.Time
	getenv func(string) string
	log    *slog.Logger
	client *http.Client
	poll   time.Duration
	// claim names this runner in the runs it holds.
	claim string
	wake  chan struct{}

	mu sync.Mutex
	// handed are the runs this replica took and has not claimed yet,
	// with what to send.
	handed map[int64]*ops.Prepared
	// done is closed when a run this replica took has finished here.
	done map[int64]chan struct{}
}

// Bounds of one RunOnce.
const (
	batch = 64
	// finishWithin bounds recording a run's end after a stop was asked
	// for: the run happened, and its record must not be lost with it.
	finishWithin = 10 * time.Second
	waitPoll     = 100 * time.Millisecond
)

// New returns a runner.
func New(o Options) *Runner {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	var id [6]byte
	_, _ = rand.Read(id[:]) // crypto/rand does not fail on supported platforms
	return &Runner{store: o.Store, org: o.Org, now: o.Now, getenv: o.Getenv, log: o.Logger, client: o.Client, poll: o.Poll,
		claim: "runner-" + hex.EncodeToString(id[:]), wake: make(chan struct{}, 1),
		handed: map[int64]*ops.Prepared{}, done: map[int64]chan struct{}{}}
}

// Request is a person's request to run an operation on a service.
type Request struct {
	Service   string
	Operation string
	// Incident is the incident it is run from, 0 for none.
	Incident int64
	Params   map[string]string
	Actor    string // "user:alice", "token:tok-1"
	Channel  string // api, cli or web
}

// Prepare renders a request without running it: the run as it would be
// stored (not yet stored: ID 0, pending) and the call it would send. Only
// the configuration is read, so it is also the dry run.
func (r *Runner) Prepare(req Request) (ops.Run, *ops.Prepared, error) {
	snap := r.org()
	svc := snap.Service(req.Service)
	if svc == nil {
		return ops.Run{}, nil, fmt.Errorf("there is no service %q: %w", req.Service, store.ErrNotFound)
	}
	op := snap.Operation(req.Operation)
	if op == nil || !ops.Offers(svc, op.ID) {
		return ops.Run{}, nil, fmt.Errorf("service %s offers no operation %q: %w", svc.ID, req.Operation, store.ErrNotFound)
	}
	params, err := op.Resolve(req.Params, svc.OperationParams[op.ID])
	if err != nil {
		return ops.Run{}, nil, err
	}
	prep, err := ops.Prepare(op, ops.Values{Service: svc.ID, Incident: req.Incident, Actor: req.Actor, Params: params, Getenv: r.getenv})
	if err != nil {
		return ops.Run{}, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	run := ops.Run{Operation: op.ID, Service: svc.ID, Incident: req.Incident, Status: ops.StatusPending, Actor: req.Actor,
		Channel: req.Channel, Params: op.MaskParams(params), Request: prep.Shown.String(), RequestedAt: r.now().UTC(),
		Timeout: duration.Duration(prep.Timeout)}
	return run, prep, nil
}

// Start stores a requested run and hands it to this replica's runner: it
// answers the stored run, still pending. ErrBusy when the service has a
// run of the operation waiting or running; store.ErrNotFound for an
// unknown service, operation or incident.
func (r *Runner) Start(ctx context.Context, req Request) (ops.Run, error) {
	run, prep, err := r.Prepare(req)
	if err != nil {
		return ops.Run{}, err
	}
	err = r.store.Update(ctx, func(tx store.Tx) error {
		if run.Incident != 0 {
			if _, err := tx.GetIncident(run.Incident); err != nil {
				return fmt.Errorf("incident %d: %w", run.Incident, err)
			}
		}
		if err := tx.InsertOperationRun(&run); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: %s on %s is already waiting or running; try again when it has finished", ErrBusy, run.Operation, run.Service)
			}
			return err
		}
		return record(tx, &run, "operation.run", fmt.Sprintf("%s on %s requested by %s", run.Operation, run.Service, run.Actor), run.RequestedAt)
	})
	if err != nil {
		return ops.Run{}, err
	}
	r.mu.Lock()
	r.handed[run.ID] = prep
	r.done[run.ID] = make(chan struct{})
	r.mu.Unlock()
	r.Wake()
	return run, nil
}

// Wake tells Run there is a run to claim.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Wait returns the run once it has finished, or as it stands when ctx
// ends first.
func (r *Runner) Wait(ctx context.Context, id int64) (ops.Run, error) {
	r.mu.Lock()
	done := r.done[id]
	r.mu.Unlock()
	t := time.NewTicker(waitPoll)
	defer t.Stop()
	for {
		run, err := r.store.GetOperationRun(context.WithoutCancel(ctx), id)
		if err != nil || !run.Active() {
			return run, err
		}
		select {
		case <-ctx.Done():
			return run, nil
		case <-done: // finished here; read it back
			done = nil
		case <-t.C: // finished elsewhere (expired, abandoned)?
		}
	}
}

// Run drives the runner until ctx ends: runs are claimed when handed over
// and executed at once, each in its own goroutine, and abandoned or stale
// runs are failed every Poll. Runs still executing when ctx ends are
// stopped and recorded as failed.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(r.poll)
	defer t.Stop()
	for {
		// Each pass executes what it claimed before it returns; passes
		// overlap so that a long run holds up no other.
		wg.Add(1)
		go func() { // owner: Run, which waits for it
			defer wg.Done()
			if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("operations runner failed", "err", err)
			}
		}()
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// RunOnce fails abandoned and stale runs, claims the runs handed to this
// replica, executes them concurrently and records how each went. It
// reports how many runs it finished.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	n, err := r.reap(ctx)
	if err != nil {
		return n, err
	}
	claimed, err := r.claimHanded(ctx)
	if err != nil {
		return n, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(claimed))
	for i, c := range claimed {
		wg.Add(1)
		go func() { // owner: RunOnce, which waits for it
			defer wg.Done()
			errs[i] = r.execute(ctx, c.run, c.prep)
		}()
	}
	wg.Wait()
	return n + len(claimed), errors.Join(errs...)
}

type claimedRun struct {
	run  ops.Run
	prep *ops.Prepared
}

// claimHanded claims the pending runs this replica took. A run it cannot
// claim any more (expired meanwhile) is dropped.
func (r *Runner) claimHanded(ctx context.Context) ([]claimedRun, error) {
	r.mu.Lock()
	taken := r.handed
	r.handed = map[int64]*ops.Prepared{}
	r.mu.Unlock()
	if len(taken) == 0 {
		return nil, nil
	}
	var claimed []claimedRun
	err := r.store.Update(ctx, func(tx store.Tx) error {
		claimed = claimed[:0]
		now := r.now().UTC()
		for _, id := range slices.Sorted(maps.Keys(taken)) {
			run, err := tx.GetOperationRun(id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if run.Status != ops.StatusPending {
				continue
			}
			ops.Claim(&run, r.claim, now)
			if err := tx.UpdateOperationRun(&run); err != nil {
				return err
			}
			claimed = append(claimed, claimedRun{run, taken[id]})
		}
		return nil
	})
	if err != nil {
		// Hand them back: the next pass tries again, until they expire.
		r.mu.Lock()
		maps.Copy(r.handed, taken)
		r.mu.Unlock()
		return nil, fmt.Errorf("claim operation runs: %w", err)
	}
	for id := range taken {
		if !slices.ContainsFunc(claimed, func(c claimedRun) bool { return c.run.ID == id }) {
			r.finished(id)
		}
	}
	return claimed, nil
}

// reap fails the runs nobody will finish: pending ones no runner claimed
// within ops.StartWithin, and running ones whose runner's claim ended.
func (r *Runner) reap(ctx context.Context) (int, error) {
	var n int
	err := r.store.Update(ctx, func(tx store.Tx) error {
		n = 0
		now := r.now().UTC()
		pending, err := tx.PendingOperationRuns(batch)
		if err != nil {
			return err
		}
		for i := range pending {
			run := &pending[i]
			if now.Sub(run.RequestedAt) <= ops.StartWithin {
				break // oldest first: the rest are younger
			}
			ops.Expire(run, now)
			if err := r.finish(tx, run); err != nil {
				return err
			}
			n++
		}
		abandoned, err := tx.AbandonedOperationRuns(now, batch)
		if err != nil {
			return err
		}
		for i := range abandoned {
			ops.Abandon(&abandoned[i], now)
			if err := r.finish(tx, &abandoned[i]); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("fail stale operation runs: %w", err)
	}
	return n, nil
}

// execute sends a claimed run's call and records how it went.
func (r *Runner) execute(ctx context.Context, run ops.Run, prep *ops.Prepared) error {
	defer r.finished(run.ID)
	output, sendErr := r.send(ctx, prep)
	if sendErr != nil && ctx.Err() != nil {
		sendErr = fmt.Errorf("the server stopped while it ran (%v); check the platform", sendErr)
	}
	output = prep.MaskSecrets(output)
	if sendErr != nil {
		sendErr = errors.New(prep.MaskSecrets(sendErr.Error()))
	}
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishWithin)
	defer cancel()
	err := r.store.Update(recordCtx, func(tx store.Tx) error {
		stored, err := tx.GetOperationRun(run.ID)
		if err != nil {
			return err
		}
		if stored.Status != ops.StatusRunning || stored.Claim != r.claim {
			// Taken for abandoned meanwhile (this server stalled past its
			// claim): that record stands.
			r.log.Warn("operation run finished after it was failed as abandoned", "run", run.ID, "status", stored.Status)
			return nil
		}
		ops.Finish(&stored, output, sendErr, r.now().UTC())
		return r.finish(tx, &stored)
	})
	if err != nil {
		return fmt.Errorf("record operation run %d: %w", run.ID, err)
	}
	return nil
}

// finish writes a finished run back with its timeline entry and audit
// entry.
func (r *Runner) finish(tx store.Tx, run *ops.Run) error {
	if err := tx.UpdateOperationRun(run); err != nil {
		return err
	}
	return record(tx, run, "operation."+run.Status, ops.Summary(run), *run.FinishedAt)
}

// record puts a run on its incident's timeline (when it has one) and in
// the audit log.
func record(tx store.Tx, run *ops.Run, action, message string, at time.Time) error {
	body, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("encode operation run %d: %w", run.ID, err)
	}
	if run.Incident != 0 {
		entry := &incident.TimelineEntry{IncidentID: run.Incident, At: at, Kind: TimelineKind, Actor: run.Actor, Channel: run.Channel,
			Message: message, Data: body}
		if err := tx.AppendTimeline(entry); err != nil {
			return err
		}
	}
	return tx.Audit(store.AuditEntry{At: at, Actor: run.Actor, Action: action, Kind: AuditKind, ObjID: fmt.Sprint(run.ID),
		After: body, Details: ops.Bound(message, 500)})
}

// TimelineKind and AuditKind mark runs on a timeline and in the audit log.
const (
	TimelineKind = "operation"
	AuditKind    = "operation_run"
)

// finished tells whoever waits on a run this replica took that it ended.
func (r *Runner) finished(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.done[id]; ok {
		close(ch)
		delete(r.done, id)
	}
}
