package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/pipeline"
)

// Contact method self-service: a test notification, and the verification
// of a phone number before it can be paged. Admins may do these for
// anyone, a user token for its own user.

// ownContactMethod reads the user and contact method the path names,
// checking that p may act for the user.
func (s *Server) ownContactMethod(r *http.Request, p auth.Principal) (user, method string, err error) {
	if user, err = s.pathUserFor(r, p, "do this for"); err != nil {
		return "", "", err
	}
	method = r.PathValue("cm")
	for _, cm := range s.org.Snapshot().User(user).ContactMethods {
		if cm.ID == method {
			return user, method, nil
		}
	}
	return "", "", notFound("user %s has no contact method %.64q", user, method)
}

// testContactMethod serves POST /api/v1/users/{id}/contact_methods/{cm}/test:
// it queues a test notification and answers 202 with its id.
func (s *Server) testContactMethod(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	user, method, err := s.ownContactMethod(r, p)
	if err != nil {
		return err
	}
	n, err := s.pipeline.Dispatcher.SendTest(r.Context(), user, method, pipeline.Actor{Name: p.Actor(), Channel: "api"})
	if err != nil {
		return fmt.Errorf("queue a test notification: %w", err)
	}
	writeJSON(w, http.StatusAccepted, map[string]any{
		"notification_id": n.ID, "user": user, "contact_method": method, "status": n.Status,
	})
	return nil
}

// verificationView answers the verification endpoints.
type verificationView struct {
	User              string     `json:"user"`
	ContactMethod     string     `json:"contact_method"`
	NeedsVerification bool       `json:"needs_verification"`
	Verified          bool       `json:"verified"`
	ExpiresAt         *time.Time `json:"expires_at,omitempty"`
}

// writeVerification answers the verification state of a contact method;
// verified, when set, says the code was just confirmed.
func (s *Server) writeVerification(w http.ResponseWriter, r *http.Request, status int, user, method string, expires *time.Time, verified bool) error {
	needed, known, err := s.pipeline.Phones.Reachable(r.Context(), user, method)
	if err != nil {
		return fmt.Errorf("read the verification: %w", err)
	}
	writeJSON(w, status, verificationView{User: user, ContactMethod: method, NeedsVerification: needed, Verified: known || verified, ExpiresAt: expires})
	return nil
}

// getVerification serves GET .../contact_methods/{cm}/verification: whether
// the method must be verified before it is paged, and whether it is.
func (s *Server) getVerification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	user, method, err := s.ownContactMethod(r, p)
	if err != nil {
		return err
	}
	return s.writeVerification(w, r, http.StatusOK, user, method, nil, false)
}

// startVerification serves POST .../contact_methods/{cm}/verification: it
// sends a six-digit code to the number and answers 202 with its expiry.
func (s *Server) startVerification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	user, method, err := s.ownContactMethod(r, p)
	if err != nil {
		return err
	}
	expires, err := s.pipeline.Phones.Start(r.Context(), user, method, p.Actor())
	if err != nil {
		return fmt.Errorf("send a verification code: %w", err)
	}
	return s.writeVerification(w, r, http.StatusAccepted, user, method, &expires, false)
}

// confirmVerification serves POST .../verification/confirm with {"code"}.
func (s *Server) confirmVerification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	user, method, err := s.ownContactMethod(r, p)
	if err != nil {
		return err
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.pipeline.Phones.Confirm(r.Context(), user, method, req.Code, p.Actor()); err != nil {
		return fmt.Errorf("confirm the code: %w", err)
	}
	return s.writeVerification(w, r, http.StatusOK, user, method, nil, true)
}
