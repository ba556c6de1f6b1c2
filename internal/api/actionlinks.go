package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/web/secure"
)

// The action links' pages are HTML for a person who followed a link from
// a notification: they answer everything themselves.

// errLinkRefused is a valid link whose user may no longer act on its
// incident: they left the configuration, or the teams that let them.
var errLinkRefused = errors.New("its user may no longer act on this incident")

// linkAction verifies an action link and checks that its user may still
// act on its incident: a link acts for its user only as long as they could.
func (s *Server) linkAction(ctx context.Context, token string) (links.Action, incident.Incident, error) {
	a, err := s.signer.Verify(token)
	if err != nil {
		return a, incident.Incident{}, err
	}
	inc, err := s.store.GetIncident(ctx, a.IncidentID)
	if err != nil {
		return a, inc, err
	}
	if !auth.UserMayActOnIncident(s.org.Snapshot(), a.UserID, inc) {
		return a, inc, errLinkRefused
	}
	return a, inc, nil
}

// actionLinkGet shows what a signed link would do; it changes nothing, so
// that mail scanners following links do not acknowledge.
func (s *Server) actionLinkGet(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if s.signer == nil {
		writeError(w, http.StatusNotFound, "not_found", "links are not enabled")
		return
	}
	a, inc, err := s.linkAction(r.Context(), r.PathValue("token"))
	if err != nil {
		s.linkError(w, err)
		return
	}
	writeLinkPage(w, http.StatusOK, func(out io.Writer) error { return links.ConfirmPage(out, a, inc.Title, r.URL.Path) })
}

func (s *Server) actionLinkPost(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if s.signer == nil {
		writeError(w, http.StatusNotFound, "not_found", "links are not enabled")
		return
	}
	token := r.PathValue("token")
	a, inc, err := s.linkAction(r.Context(), token)
	if err == nil {
		_, inc, err = s.pipeline.Inbound.UseLink(r.Context(), token)
	}
	switch {
	case err == nil:
		writeLinkPage(w, http.StatusOK, linkResult(fmt.Sprintf("Incident #%d (%s) is now %s.", inc.ID, inc.Title, inc.Status)))
	case errors.Is(err, pipeline.ErrLinkUsed):
		writeLinkPage(w, http.StatusConflict, linkResult("This link was already used."))
	case errors.Is(err, pipeline.ErrIncidentClosed):
		writeLinkPage(w, http.StatusConflict, linkResult(fmt.Sprintf("Incident #%d is already resolved.", a.IncidentID)))
	default:
		s.linkError(w, err)
	}
}

// linkError answers a link that does nothing: 404 for an incident that
// does not exist, 403 for a link that is not valid or whose user may no
// longer act, 500 (logged) for a failure of the server.
func (s *Server) linkError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeLinkPage(w, http.StatusNotFound, linkResult("This link is not valid: its incident does not exist."))
	case errors.Is(err, links.ErrMalformed), errors.Is(err, links.ErrBadSignature), errors.Is(err, links.ErrExpired), errors.Is(err, errLinkRefused):
		writeLinkPage(w, http.StatusForbidden, linkResult("This link is not valid: "+err.Error()+"."))
	default:
		s.log.Error("action link", "err", err)
		writeLinkPage(w, http.StatusInternalServerError, linkResult("This link could not be used now; try again later."))
	}
}

func linkResult(message string) func(io.Writer) error {
	return func(out io.Writer) error { return links.ResultPage(out, message) }
}

// writeLinkPage answers an action link's page with the headers of every
// page the UI serves. The link's token is in the URL, so no referrer
// leaves the page and nothing keeps a copy.
func writeLinkPage(w http.ResponseWriter, status int, page func(io.Writer) error) {
	hdr := w.Header()
	secure.Headers(hdr)
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = page(w)
}
