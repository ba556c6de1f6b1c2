package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/phone"
	"github.com/vigil-oncall/vigil/internal/pipeline"
)

// Contact method self-service: a test notification, and the verification
// of a phone number before it can be paged. Admins may do these for
// anyone, a user token for its own user.

// ownContactMethod checks that the user and contact method exist and that
// p may act for the user; it answers the error itself.
func (s *Server) ownContactMethod(w http.ResponseWriter, r *http.Request, p auth.Principal) (user, method string, ok bool) {
	user, method = r.PathValue("id"), r.PathValue("cm")
	u := s.org.Snapshot().User(user)
	if u == nil {
		writeError(w, http.StatusNotFound, "not_found", "user %q not found", user)
		return "", "", false
	}
	if !auth.ActsFor(p, user) {
		writeError(w, http.StatusForbidden, "forbidden", "only admins and %s themself may do this", user)
		return "", "", false
	}
	for _, cm := range u.ContactMethods {
		if cm.ID == method {
			return user, method, true
		}
	}
	writeError(w, http.StatusNotFound, "not_found", "user %s has no contact method %q", user, method)
	return "", "", false
}

// testContactMethod serves POST /api/v1/users/{id}/contact_methods/{cm}/test:
// it queues a test notification and answers 202 with its id.
func (s *Server) testContactMethod(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	user, method, ok := s.ownContactMethod(w, r, p)
	if !ok {
		return
	}
	n, err := s.pipeline.Dispatcher.SendTest(r.Context(), user, method, pipeline.Actor{Name: p.Actor(), Channel: "api"})
	if err != nil {
		s.verificationError(w, "queue a test notification", err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{
		"notification_id": n.ID, "user": user, "contact_method": method, "status": n.Status,
	})
}

// verificationView answers the verification endpoints.
type verificationView struct {
	User              string     `json:"user"`
	ContactMethod     string     `json:"contact_method"`
	NeedsVerification bool       `json:"needs_verification"`
	Verified          bool       `json:"verified"`
	ExpiresAt         *time.Time `json:"expires_at,omitempty"`
}

// getVerification serves GET .../contact_methods/{cm}/verification: whether
// the method must be verified before it is paged, and whether it is.
func (s *Server) getVerification(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	user, method, ok := s.ownContactMethod(w, r, p)
	if !ok {
		return
	}
	needed, verified, err := s.pipeline.Phones.Reachable(r.Context(), user, method)
	if err != nil {
		s.verificationError(w, "read the verification", err)
		return
	}
	writeJSON(w, http.StatusOK, verificationView{User: user, ContactMethod: method, NeedsVerification: needed, Verified: verified})
}

// startVerification serves POST .../contact_methods/{cm}/verification: it
// sends a six-digit code to the number and answers 202 with its expiry.
func (s *Server) startVerification(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	user, method, ok := s.ownContactMethod(w, r, p)
	if !ok {
		return
	}
	expires, err := s.pipeline.Phones.Start(r.Context(), user, method, p.Actor())
	if err != nil {
		s.verificationError(w, "send a verification code", err)
		return
	}
	needed, verified, err := s.pipeline.Phones.Reachable(r.Context(), user, method)
	if err != nil {
		s.verificationError(w, "read the verification", err)
		return
	}
	writeJSON(w, http.StatusAccepted, verificationView{User: user, ContactMethod: method, NeedsVerification: needed, Verified: verified, ExpiresAt: &expires})
}

// confirmVerification serves POST .../verification/confirm with {"code"}.
func (s *Server) confirmVerification(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	user, method, ok := s.ownContactMethod(w, r, p)
	if !ok {
		return
	}
	var req struct {
		Code string `json:"code"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if err := s.pipeline.Phones.Confirm(r.Context(), user, method, req.Code, p.Actor()); err != nil {
		s.verificationError(w, "confirm the code", err)
		return
	}
	needed, _, err := s.pipeline.Phones.Reachable(r.Context(), user, method)
	if err != nil {
		s.verificationError(w, "read the verification", err)
		return
	}
	writeJSON(w, http.StatusOK, verificationView{User: user, ContactMethod: method, NeedsVerification: needed, Verified: true})
}

// verificationError answers the errors of the contact method endpoints.
func (s *Server) verificationError(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "%v", err)
	case errors.Is(err, pipeline.ErrInvalid):
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
	case errors.Is(err, phone.ErrCodeWrong):
		writeError(w, http.StatusUnprocessableEntity, "wrong_code", "%v", err)
	case errors.Is(err, phone.ErrNoCode):
		writeError(w, http.StatusConflict, "no_code", "%v", err)
	case errors.Is(err, phone.ErrCodeExpired):
		writeError(w, http.StatusGone, "expired", "%v", err)
	case errors.Is(err, phone.ErrTooManyAttempts), errors.Is(err, phone.ErrResendTooSoon):
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, "rate_limited", "%v", err)
	case errors.Is(err, phone.ErrVerificationDisabled):
		writeError(w, http.StatusServiceUnavailable, "unavailable", "%v", err)
	case errors.Is(err, phone.ErrDeliveryFailed):
		s.log.Warn(what, "err", err)
		writeError(w, http.StatusBadGateway, "delivery_failed", "%s: %v", what, err)
	default:
		s.internalError(w, what, err)
	}
}
