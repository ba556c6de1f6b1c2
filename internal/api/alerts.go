package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/simulate"
	"github.com/vigil-oncall/vigil/internal/store"
)

// alertView is an alert as the API shows it: without the integration key
// it came through, a secret of the sender's (the service names where it
// came from).
type alertView struct {
	alert.Alert
	IntegrationKey string `json:"integration_key,omitempty"` // always empty: hides the alert's
}

func alertViews(alerts []alert.Alert) []alertView {
	out := make([]alertView, len(alerts))
	for i, a := range alerts {
		out[i] = alertView{Alert: a}
	}
	return out
}

// changeView is a change event without the integration key it came
// through.
type changeView struct {
	change.Event
	IntegrationKey string `json:"integration_key,omitempty"` // always empty: hides the event's
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	sts, err := statuses(r, nil)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	alerts, err := s.store.ListAlerts(r.Context(), store.AlertQuery{Service: q.Get("service"), Statuses: sts, DedupKey: q.Get("dedup_key"), BeforeID: before, Limit: p.limit + 1})
	if err != nil {
		return fmt.Errorf("list alerts: %w", err)
	}
	writeIDPage(w, "alerts", alertViews(alerts), p.limit, func(a alertView) int64 { return a.ID })
	return nil
}

// historyRecord is an alert as the simulator replays it.
type historyRecord struct {
	simulate.Alert
	id int64
}

// alertHistory serves GET /api/v1/history/alerts?from=&to=: the alerts
// opened in [from, to) (default: the 30 days to now), newest first, as
// "vigil export history" writes them for the simulator.
func (s *Server) alertHistory(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	period, err := reportPeriod(r, s.now().UTC())
	if err != nil {
		return err
	}
	alerts, err := s.store.ListAlerts(r.Context(), store.AlertQuery{From: period.From, To: period.To, BeforeID: before, Limit: p.limit + 1})
	if err != nil {
		return fmt.Errorf("alert history: %w", err)
	}
	records := make([]historyRecord, len(alerts))
	for i, a := range alerts {
		records[i] = historyRecord{id: a.ID, Alert: simulate.Alert{Timestamp: a.CreatedAt, Service: a.Service, Severity: string(a.Severity),
			Summary: a.Summary, DedupKey: a.DedupKey, AcknowledgedAt: a.AcknowledgedAt, ResolvedAt: a.ResolvedAt}}
	}
	writeIDPage(w, "alerts", records, p.limit, func(h historyRecord) int64 { return h.id })
	return nil
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := pathInt64(r, "id", "alert")
	if err != nil {
		return err
	}
	a, err := s.store.GetAlert(r.Context(), id)
	if err != nil {
		return fmt.Errorf("alert %d: %w", id, err)
	}
	writeJSON(w, http.StatusOK, alertView{Alert: a})
	return nil
}

func (s *Server) listChanges(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	q := store.ChangeQuery{BeforeID: before, Limit: p.limit + 1}
	if svc := r.URL.Query().Get("service"); svc != "" {
		q.Services = []string{svc}
	}
	changes, err := s.store.ListChanges(r.Context(), q)
	if err != nil {
		return fmt.Errorf("list changes: %w", err)
	}
	views := make([]changeView, len(changes))
	for i, c := range changes {
		views[i] = changeView{Event: c}
	}
	writeIDPage(w, "changes", views, p.limit, func(c changeView) int64 { return c.ID })
	return nil
}

// responderView is one responder of GET /api/v1/services/{id}/responders.
type responderView struct {
	Step  int      `json:"step"`
	After string   `json:"after"`
	User  userName `json:"user"`
	Why   string   `json:"why"`
	IRT   bool     `json:"irt"`
}

type userName struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

func (s *Server) serviceResponders(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	snap, id, err := s.pathService(r)
	if err != nil {
		return err
	}
	at, err := parseInstant(r, "at", s.now())
	if err != nil {
		return err
	}
	cov, responders, notes := routing.Responders(s.oncall, snap, id, at)
	views := make([]responderView, 0, len(responders))
	for _, rr := range responders {
		u := userName{ID: rr.User}
		if usr := snap.User(rr.User); usr != nil {
			u.Name = usr.Name
		}
		views = append(views, responderView{Step: rr.Step, After: duration.Format(rr.After), User: u, Why: rr.Why, IRT: rr.IRT})
	}
	coverage := map[string]any{"mode": cov.Mode, "irt": nil}
	if cov.IRT != nil {
		coverage["irt"] = cov.IRT.ID
	}
	if cov.Mode == catalog.CoverageBackup {
		coverage["after"] = duration.Format(cov.After)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"service": id, "at": at.UTC(), "critical": cov.Critical, "critical_because": nonNil(cov.Because),
		"coverage": coverage, "responders": views, "notes": nonNil(notes),
	})
	return nil
}

// maintenanceRequest schedules a maintenance window.
type maintenanceRequest struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason,omitempty"`
}

func (s *Server) listMaintenance(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	_, id, err := s.pathService(r)
	if err != nil {
		return err
	}
	ws, err := s.store.ListMaintenance(r.Context(), id)
	if err != nil {
		return fmt.Errorf("maintenance of %s: %w", id, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"maintenance_windows": nonNil(ws), "next_cursor": nil})
	return nil
}

func (s *Server) createMaintenance(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	_, id, err := s.pathService(r)
	if err != nil {
		return err
	}
	if err := s.mayAct(p, []string{id}, "schedule maintenance for"); err != nil {
		return err
	}
	var req maintenanceRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	mw := &store.MaintenanceWindow{Service: id, Start: req.Start.UTC(), End: req.End.UTC(), Reason: req.Reason}
	if err := s.pipeline.Incidents.AddMaintenance(r.Context(), mw, pipeline.Actor{Name: p.Actor(), Channel: "api"}); err != nil {
		return fmt.Errorf("schedule maintenance for %s: %w", id, err)
	}
	writeJSON(w, http.StatusCreated, mw)
	return nil
}

func (s *Server) deleteMaintenance(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	_, svc, err := s.pathService(r)
	if err != nil {
		return err
	}
	if err := s.mayAct(p, []string{svc}, "change maintenance of"); err != nil {
		return err
	}
	id, err := pathInt64(r, "mid", "maintenance window")
	if err != nil {
		return err
	}
	if err := s.pipeline.Incidents.DeleteMaintenance(r.Context(), svc, id, pipeline.Actor{Name: p.Actor(), Channel: "api"}); err != nil {
		return fmt.Errorf("delete maintenance window %d: %w", id, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
