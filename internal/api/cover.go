package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/cover"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/swap"
)

// coverRoutes are the endpoints of cover requests (shift swaps).
func (s *Server) coverRoutes() []route {
	return []route{
		{"GET", "/api/v1/cover_requests", anyToken, s.listCoverRequests},
		{"POST", "/api/v1/cover_requests", anyToken, s.createCoverRequest},
		{"GET", "/api/v1/cover_requests/{id}", anyToken, s.getCoverRequest},
		{"POST", "/api/v1/cover_requests/{id}/accept", anyToken, s.acceptCoverRequest},
		{"POST", "/api/v1/cover_requests/{id}/cancel", anyToken, s.cancelCoverRequest},
	}
}

// coverErr answers the errors of cover requests.
func coverErr(err error) error {
	switch {
	case errors.Is(err, cover.ErrInvalid):
		return badRequest("%v", err)
	case errors.Is(err, cover.ErrNotAllowed):
		return forbidden("%v", err)
	case errors.Is(err, cover.ErrClosed):
		return conflict("%v", err)
	case errors.Is(err, swap.ErrNotFound):
		return notFound("%v", err)
	}
	return err
}

// coverRequestBody makes a request for cover.
type coverRequestBody struct {
	Schedule string `json:"schedule"`
	// Requester defaults to the caller's user; an admin may ask for anyone.
	Requester string    `json:"requester,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Open      bool      `json:"open,omitempty"`
	Message   string    `json:"message,omitempty"`
}

// actingUser is the user a caller acts as: the one named, else the
// caller's own; only admins and that user may.
func actingUser(p auth.Principal, named, doing string) (string, error) {
	if p.Role != auth.RoleAdmin && p.Role != auth.RoleUser {
		return "", forbidden("token role %.64q may not %s", p.Role, doing)
	}
	user := named
	if user == "" {
		user = p.UserID
	}
	if user == "" {
		return "", badRequest("name the user to %s for: this token is not a user's", doing)
	}
	if !auth.ActsFor(p, user) {
		return "", forbidden("only admins and %s themself may %s for %s", user, doing, user)
	}
	return user, nil
}

// createCoverRequest serves POST /api/v1/cover_requests.
func (s *Server) createCoverRequest(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var body coverRequestBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	requester, err := actingUser(p, body.Requester, "ask for cover")
	if err != nil {
		return err
	}
	req, err := s.swaps.Request(r.Context(), cover.Request{
		Schedule: body.Schedule, Requester: requester, Start: body.Start, End: body.End, Open: body.Open, Message: body.Message,
	}, p.Actor())
	if err != nil {
		return coverErr(err)
	}
	writeJSON(w, http.StatusCreated, req)
	return nil
}

func (s *Server) getCoverRequest(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := pathInt64(r, "id", "cover request")
	if err != nil {
		return err
	}
	req, err := s.swaps.Get(r.Context(), id)
	if err != nil {
		return coverErr(err)
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}

// listCoverRequests serves GET /api/v1/cover_requests?schedule=&user=&status=.
func (s *Server) listCoverRequests(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	lp, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	statuses, err := statusList(r, "status", string(cover.Open), string(cover.Accepted), string(cover.Cancelled), string(cover.Expired))
	if err != nil {
		return err
	}
	q := store.CoverRequestQuery{Schedule: r.URL.Query().Get("schedule"), User: r.URL.Query().Get("user"), Statuses: statuses,
		BeforeID: before, Limit: lp.limit + 1}
	var out []cover.Request
	// Expiry is known once each is read: read on until the page is full.
	for range 100 {
		rs, next, err := s.swaps.List(r.Context(), q)
		if err != nil {
			return err
		}
		out = append(out, rs...)
		if next == 0 || len(out) > lp.limit {
			break
		}
		q.BeforeID = next
	}
	writeIDPage(w, "cover_requests", out, lp.limit, func(c cover.Request) int64 { return c.ID })
	return nil
}

// acceptBody names who takes the shifts over.
type acceptBody struct {
	// User defaults to the caller's user; an admin may accept for anyone.
	User string `json:"user,omitempty"`
}

// acceptCoverRequest serves POST /api/v1/cover_requests/{id}/accept: the
// first to accept gets an override that replaces the requester; anyone
// later gets 409.
func (s *Server) acceptCoverRequest(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathInt64(r, "id", "cover request")
	if err != nil {
		return err
	}
	var body acceptBody
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body); err != nil {
			return err
		}
	}
	user, err := actingUser(p, body.User, "accept cover")
	if err != nil {
		return err
	}
	req, err := s.swaps.Accept(r.Context(), id, user, p.Actor())
	if err != nil {
		return coverErr(err)
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}

// cancelCoverRequest serves POST /api/v1/cover_requests/{id}/cancel: the
// requester or an admin withdraws an open request.
func (s *Server) cancelCoverRequest(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathInt64(r, "id", "cover request")
	if err != nil {
		return err
	}
	req, err := s.swaps.Cancel(r.Context(), id, p.Actor(), func(c cover.Request) error {
		if !auth.ActsFor(p, c.Requester) {
			return forbidden("only admins and %s themself may withdraw %s's request", c.Requester, c.Requester)
		}
		return nil
	})
	if err != nil {
		return coverErr(err)
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}
