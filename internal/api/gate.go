package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/gate"
	"github.com/vigil-oncall/vigil/internal/release"
	"github.com/vigil-oncall/vigil/internal/store"
)

// gateAnswer is the release gate's answer.
type gateAnswer struct {
	Decision   string            `json:"decision"`
	Reasons    []gate.Reason     `json:"reasons"`
	Override   *gateOverrideView `json:"override,omitempty"`
	DecisionID int64             `json:"decision_id"`
	Service    string            `json:"service"`
	At         time.Time         `json:"at"`
	ChangeType string            `json:"change_type,omitempty"`
}

type gateOverrideView struct {
	store.GateOverride
	Active bool `json:"active"`
}

// gateCheck serves GET /api/v1/gate?service=ID[&at=TIME][&change_type=T].
func (s *Server) gateCheck(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	q := r.URL.Query()
	service := q.Get("service")
	if service == "" {
		return badRequest("service is required: GET /api/v1/gate?service=ID")
	}
	at, err := parseInstant(r, "at", s.now())
	if err != nil {
		return err
	}
	changeType := strings.ToLower(strings.TrimSpace(q.Get("change_type")))
	if !validChangeType(changeType) {
		return badRequest("change_type is lowercase letters, digits, '-' and '_', at most 64")
	}
	d, err := s.gate.Check(r.Context(), service, at, changeType)
	if err != nil {
		return err
	}
	answer := gateAnswer{Decision: d.Decision.Decision, Reasons: d.Reasons, DecisionID: d.ID, Service: d.Service, At: d.At, ChangeType: d.ChangeType}
	if d.Granted != nil {
		answer.Override = &gateOverrideView{GateOverride: *d.Granted, Active: true}
	}
	writeJSON(w, http.StatusOK, answer)
	return nil
}

func validChangeType(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// gateOverrideRequest grants an override: until ExpiresAt, or for ExpiresIn
// (such as "2h") from now.
type gateOverrideRequest struct {
	Service   string     `json:"service"`
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	ExpiresIn string     `json:"expires_in,omitempty"`
}

func (s *Server) createGateOverride(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req gateOverrideRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if s.org.Snapshot().Service(req.Service) == nil {
		return badRequest("service %.64q not found", req.Service)
	}
	if err := s.mayAct(p, []string{req.Service}, "override the release gate of"); err != nil {
		return err
	}
	o, err := s.gate.Grant(r.Context(), release.OverrideRequest{Service: req.Service, Reason: req.Reason, ExpiresAt: req.ExpiresAt, ExpiresIn: req.ExpiresIn}, p.Actor())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, gateOverrideView{GateOverride: o, Active: true})
	return nil
}

func (s *Server) listGateOverrides(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	now := s.now()
	var activeAt time.Time
	if r.URL.Query().Get("active") == "true" {
		activeAt = now
	}
	list, err := s.store.ListGateOverrides(r.Context(), r.URL.Query().Get("service"), activeAt, before, p.limit+1)
	if err != nil {
		return fmt.Errorf("list gate overrides: %w", err)
	}
	list, next := idPage(list, p.limit, func(o store.GateOverride) int64 { return o.ID })
	out := make([]gateOverrideView, len(list))
	for i, o := range list {
		out[i] = gateOverrideView{GateOverride: o, Active: now.Before(o.ExpiresAt)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"overrides": out, "next_cursor": next})
	return nil
}
