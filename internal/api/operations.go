package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/opsrun"
	"github.com/vigil-oncall/vigil/internal/store"
)

func (s *Server) operationRoutes() []route {
	return []route{
		{"GET", "/api/v1/operations", anyToken, s.listOperations},
		{"POST", "/api/v1/services/{id}/operations/{op}", anyToken, s.runOperation},
		{"GET", "/api/v1/operations/runs", anyToken, s.listOperationRuns},
		{"GET", "/api/v1/operations/runs/{id}", anyToken, s.getOperationRun},
	}
}

// listOperations serves GET /api/v1/operations[?service=ID]: the org's
// operations, or those a service offers with each parameter's default
// the value its runs take when none is given (the service's own first).
func (s *Server) listOperations(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	snap := s.org.Snapshot()
	all := snap.Bundle.Operations
	if id := r.URL.Query().Get("service"); id != "" {
		svc := snap.Service(id)
		if svc == nil {
			return notFound("service %.64q not found", id)
		}
		all = ops.Offered(all, svc)
		for i := range all {
			all[i].Params = withServiceDefaults(all[i].Params, svc.OperationParams[all[i].ID])
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"operations": nonNil(all), "next_cursor": nil})
	return nil
}

// withServiceDefaults copies params with the service's values as
// defaults; a secret's value is never shown.
func withServiceDefaults(params []ops.Param, values map[string]string) []ops.Param {
	out := make([]ops.Param, len(params))
	for i, p := range params {
		if v := values[p.Name]; v != "" {
			p.Default = v
		}
		if p.Secret && p.Default != "" {
			p.Default = ops.Mask
		}
		out[i] = p
	}
	return out
}

// operationRequest is the body of POST /api/v1/services/{id}/operations/{op}.
type operationRequest struct {
	Incident int64             `json:"incident,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
	DryRun   bool              `json:"dry_run,omitempty"`
	Channel  string            `json:"channel,omitempty"` // "cli" from the CLI, "web" from the web UI; "api" otherwise
}

// runWaitSlack is how long past a run's timeout its request waits for it
// to be recorded, and maxRunWait how long a request waits at most: less
// than the server's write timeout, so that a longer run is answered 202
// and followed through GET /api/v1/operations/runs/{id}.
const (
	runWaitSlack = 5 * time.Second
	maxRunWait   = 45 * time.Second
)

// runOperation serves POST /api/v1/services/{id}/operations/{op}: a dry
// run answers the rendered request, secrets masked, and sends nothing; a
// run answers once it finished (202 with the run still going when the
// request cannot wait that long).
func (s *Server) runOperation(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if s.ops == nil {
		return refusal(http.StatusServiceUnavailable, "unavailable", "this server runs no operations")
	}
	var req operationRequest
	if err := decodeOptionalJSON(w, r, &req); err != nil {
		return err
	}
	service, op := r.PathValue("id"), r.PathValue("op")
	snap := s.org.Snapshot()
	if snap.Service(service) == nil {
		return notFound("service %.64q not found", service)
	}
	if err := ops.Authorize(p, snap, service); err != nil {
		return forbidden("%v", err)
	}
	if req.Incident < 0 {
		return badRequest("incident: %d is not an incident number", req.Incident)
	}
	want := opsrun.Request{Service: service, Operation: op, Incident: req.Incident, Params: req.Params, Actor: p.Actor(),
		Channel: actionChannel(req.Channel)}
	if req.DryRun {
		run, prep, err := s.ops.Prepare(want)
		if err != nil {
			return operationErr(err)
		}
		if req.Incident != 0 {
			if _, err := s.store.GetIncident(r.Context(), req.Incident); err != nil {
				return fmt.Errorf("incident %d: %w", req.Incident, err)
			}
		}
		run.Status = "dry_run"
		writeJSON(w, http.StatusOK, map[string]any{"dry_run": true, "run": runView(run), "request": prep.Shown})
		return nil
	}
	run, err := s.ops.Start(r.Context(), want)
	if err != nil {
		return operationErr(err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), min(run.Timeout.Std()+runWaitSlack, maxRunWait))
	defer cancel()
	if run, err = s.ops.Wait(ctx, run.ID); err != nil {
		return fmt.Errorf("operation run %d: %w", run.ID, err)
	}
	status := http.StatusOK
	if run.Active() {
		status = http.StatusAccepted
	}
	writeJSON(w, status, map[string]any{"run": runView(run)})
	return nil
}

// operationErr answers what the runner refused.
func operationErr(err error) error {
	switch {
	case errors.Is(err, opsrun.ErrBusy):
		return conflict("%v", err)
	case errors.Is(err, opsrun.ErrInvalid):
		return badRequest("%s", strings.TrimPrefix(err.Error(), opsrun.ErrInvalid.Error()+": "))
	}
	return err
}

// runView is a run as the API shows it: without the runner's claim.
func runView(r ops.Run) ops.Run {
	r.Claim, r.ClaimedUntil = "", nil
	if r.Params == nil {
		r.Params = map[string]string{}
	}
	return r
}

func (s *Server) listOperationRuns(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	query := store.OperationRunQuery{Service: q.Get("service"), Operation: q.Get("operation"), BeforeID: before, Limit: p.limit + 1}
	if v := q.Get("incident"); v != "" {
		if query.IncidentID, err = strconv.ParseInt(v, 10, 64); err != nil || query.IncidentID <= 0 {
			return badRequest("incident: %.20q is not an incident number", v)
		}
	}
	if v := q.Get("status"); v != "" {
		query.Statuses = strings.Split(v, ",")
	}
	runs, err := s.store.ListOperationRuns(r.Context(), query)
	if err != nil {
		return fmt.Errorf("list operation runs: %w", err)
	}
	for i := range runs {
		runs[i] = runView(runs[i])
	}
	writeIDPage(w, "runs", runs, p.limit, func(r ops.Run) int64 { return r.ID })
	return nil
}

func (s *Server) getOperationRun(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := pathInt64(r, "id", "operation run")
	if err != nil {
		return err
	}
	run, err := s.store.GetOperationRun(r.Context(), id)
	if err != nil {
		return fmt.Errorf("operation run %d: %w", id, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": runView(run)})
	return nil
}
