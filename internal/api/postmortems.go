package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/learning"
	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/store"
)

// postmortemRoutes are the post-mortem and action item endpoints.
func (s *Server) postmortemRoutes() []route {
	return []route{
		{"POST", "/api/v1/incidents/{id}/postmortem", anyToken, s.draftPostmortem},
		{"GET", "/api/v1/incidents/{id}/postmortem", anyToken, s.incidentPostmortem},
		{"GET", "/api/v1/postmortems", anyToken, s.listPostmortems},
		{"GET", "/api/v1/postmortems/required", anyToken, s.requiredPostmortems},
		{"GET", "/api/v1/postmortems/{id}", anyToken, s.getPostmortem},
		{"PUT", "/api/v1/postmortems/{id}", anyToken, s.editPostmortem},
		{"GET", "/api/v1/postmortems/{id}/markdown", anyToken, s.postmortemMarkdown},
		{"GET", "/api/v1/postmortems/{id}/history", anyToken, s.postmortemHistory},
		{"POST", "/api/v1/postmortems/{id}/action_items", anyToken, s.addActionItem},
		{"GET", "/api/v1/action_items", anyToken, s.listActionItems},
		{"GET", "/api/v1/action_items/{id}", anyToken, s.getActionItem},
		{"PUT", "/api/v1/action_items/{id}", anyToken, s.editActionItem},
	}
}

// postmortemErr answers the errors of post-mortems: a second draft or a
// stale edit is a conflict, a refused status change too, bad input 400.
func postmortemErr(err error) error {
	switch {
	case errors.Is(err, learning.ErrExists), errors.Is(err, postmortem.ErrStale),
		errors.Is(err, postmortem.ErrTransition), errors.Is(err, postmortem.ErrPublished):
		return conflict("%v", err)
	case errors.Is(err, postmortem.ErrInvalid):
		return badRequest("%v", err)
	}
	return err
}

// writePostmortem answers a post-mortem with its version as the ETag, for
// clients that send it back in If-Match.
func writePostmortem(w http.ResponseWriter, status int, pm postmortem.Postmortem) {
	w.Header().Set("ETag", etag(pm.Version))
	writeJSON(w, status, pm)
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// mayWritePostmortem refuses p unless they may act on the incident's
// services or responded to it.
func (s *Server) mayWritePostmortem(r *http.Request, p auth.Principal, incidentID int64) error {
	inc, err := s.store.GetIncident(r.Context(), incidentID)
	if err != nil {
		return fmt.Errorf("incident %d: %w", incidentID, err)
	}
	snap := s.org.Snapshot()
	if auth.CanAct(p, snap, inc.Services) || p.Role == auth.RoleUser && auth.UserMayActOnIncident(snap, p.UserID, inc) {
		return nil
	}
	return forbidden("you may not write the post-mortem of incident %d: it is on %s", incidentID, strings.Join(inc.Services, ", "))
}

func (s *Server) draftPostmortem(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathInt64(r, "id", "incident")
	if err != nil {
		return err
	}
	if err := decodeOptionalJSON(w, r, &struct{}{}); err != nil {
		return err
	}
	if err := s.mayWritePostmortem(r, p, id); err != nil {
		return err
	}
	pm, err := s.postmortems.Draft(r.Context(), id, p.Actor())
	if err != nil {
		return postmortemErr(err)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/postmortems/%d", pm.ID))
	writePostmortem(w, http.StatusCreated, pm)
	return nil
}

func (s *Server) incidentPostmortem(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := pathInt64(r, "id", "incident")
	if err != nil {
		return err
	}
	return s.answerPostmortem(w, r, id)
}

func (s *Server) getPostmortem(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := pathInt64(r, "id", "post-mortem")
	if err != nil {
		return err
	}
	return s.answerPostmortem(w, r, id)
}

func (s *Server) answerPostmortem(w http.ResponseWriter, r *http.Request, id int64) error {
	pm, err := s.postmortems.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("incident %d has no post-mortem", id)
	}
	if err != nil {
		return err
	}
	writePostmortem(w, http.StatusOK, pm)
	return nil
}

// postmortemBody is what PUT takes: the edit, and the read-only fields of
// a post-mortem as GET answered it, so that one read can be sent back
// changed. Read-only fields are ignored.
type postmortemBody struct {
	postmortem.Edit
	ID              any `json:"id"`
	IncidentID      any `json:"incident_id"`
	Title           any `json:"title"`
	Facts           any `json:"facts"`
	OwnerTeam       any `json:"owner_team"`
	Required        any `json:"required"`
	RequiredBecause any `json:"required_because"`
	Due             any `json:"due"`
	Overdue         any `json:"overdue"`
	CreatedAt       any `json:"created_at"`
	CreatedBy       any `json:"created_by"`
	UpdatedAt       any `json:"updated_at"`
	UpdatedBy       any `json:"updated_by"`
	PublishedAt     any `json:"published_at"`
	Channel         any `json:"channel"`
}

func (s *Server) editPostmortem(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathInt64(r, "id", "post-mortem")
	if err != nil {
		return err
	}
	var body postmortemBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if err := ifMatch(r, &body.Edit); err != nil {
		return err
	}
	if _, err := s.postmortems.Get(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return notFound("incident %d has no post-mortem", id)
	} else if err != nil {
		return err
	}
	if err := s.mayWritePostmortem(r, p, id); err != nil {
		return err
	}
	pm, err := s.postmortems.Edit(r.Context(), id, body.Edit, p.Actor())
	if err != nil {
		return postmortemErr(err)
	}
	writePostmortem(w, http.StatusOK, pm)
	return nil
}

// ifMatch reads the version an If-Match header names into the edit; the
// body's version, when both are given, must agree.
func ifMatch(r *http.Request, e *postmortem.Edit) error {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil {
		return badRequest("If-Match %.40q is not a version this server gave", h)
	}
	if e.Version != nil && *e.Version != v {
		return badRequest("If-Match names version %d, the body version %d", v, *e.Version)
	}
	e.Version = &v
	return nil
}

func (s *Server) postmortemMarkdown(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := pathInt64(r, "id", "post-mortem")
	if err != nil {
		return err
	}
	md, err := s.postmortems.Markdown(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("incident %d has no post-mortem", id)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="postmortem-%d.md"`, id))
	_, _ = w.Write([]byte(md))
	return nil
}

func (s *Server) postmortemHistory(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := pathInt64(r, "id", "post-mortem")
	if err != nil {
		return err
	}
	lp, err := parseList(r)
	if err != nil {
		return err
	}
	if _, err := s.store.GetPostmortem(r.Context(), id); err != nil {
		return fmt.Errorf("post-mortem %d: %w", id, err)
	}
	h, err := s.postmortems.History(r.Context(), id, lp.limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": nonNil(h), "next_cursor": nil})
	return nil
}

// statusList reads a comma-separated list of statuses, each one of valid.
func statusList(r *http.Request, name string, valid ...string) ([]string, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return nil, nil
	}
	var out []string
	for _, v := range strings.Split(raw, ",") {
		v = strings.TrimSpace(v)
		if !slices.Contains(valid, v) {
			return nil, badRequest("unknown %s %.40q (%s)", name, v, strings.Join(valid, ", "))
		}
		out = append(out, v)
	}
	return out, nil
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (*bool, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return nil, nil
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		return nil, badRequest("%s must be true or false, got %.40q", name, raw)
	}
	return &v, nil
}

// teamParam reads ?team=, which must name a team.
func (s *Server) teamParam(r *http.Request) (string, error) {
	team := r.URL.Query().Get("team")
	if team != "" && s.org.Snapshot().Team(team) == nil {
		return "", badRequest("no team %.64q", team)
	}
	return team, nil
}

var postmortemStatuses = []string{string(postmortem.StatusDraft), string(postmortem.StatusInReview), string(postmortem.StatusPublished)}

func (s *Server) listPostmortems(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	lp, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	statuses, err := statusList(r, "status", postmortemStatuses...)
	if err != nil {
		return err
	}
	team, err := s.teamParam(r)
	if err != nil {
		return err
	}
	overdue, err := boolParam(r, "overdue")
	if err != nil {
		return err
	}
	if overdue != nil && *overdue && statuses == nil {
		statuses = postmortemStatuses[:2] // a published one is never overdue
	}
	// Overdue is known once each is read: read on, a page at a time,
	// until the page is full.
	q := store.PostmortemQuery{Statuses: statuses, Team: team, BeforeID: before, Limit: lp.limit + 1}
	var out []postmortem.Postmortem
	for range 100 {
		pms, err := s.postmortems.List(r.Context(), q)
		if err != nil {
			return err
		}
		for _, pm := range pms {
			if overdue == nil || pm.Overdue == *overdue {
				out = append(out, pm)
			}
		}
		if len(pms) < q.Limit || len(out) > lp.limit {
			break
		}
		q.BeforeID = pms[len(pms)-1].ID
	}
	writeIDPage(w, "postmortems", out, lp.limit, func(pm postmortem.Postmortem) int64 { return pm.ID })
	return nil
}

func (s *Server) requiredPostmortems(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	q := learning.RequiredQuery{}
	var err error
	if q.Team, err = s.teamParam(r); err != nil {
		return err
	}
	now := s.now()
	if q.From, err = parseInstant(r, "from", now.Add(-90*24*time.Hour)); err != nil {
		return err
	}
	if q.To, err = parseInstant(r, "to", now.Add(time.Minute)); err != nil {
		return err
	}
	if raw := r.URL.Query().Get("incident"); raw != "" {
		if q.IncidentID, err = strconv.ParseInt(raw, 10, 64); err != nil || q.IncidentID <= 0 {
			return badRequest("incident must be an incident id, got %.40q", raw)
		}
	}
	states, err := statusList(r, "state", "unfinished", "overdue")
	if err != nil {
		return err
	}
	q.Unfinished, q.Overdue = slices.Contains(states, "unfinished"), slices.Contains(states, "overdue")
	reqs, err := s.postmortems.Required(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"requirements": reqs, "next_cursor": nil})
	return nil
}

var itemStatuses = []string{string(postmortem.ItemOpen), string(postmortem.ItemDone), string(postmortem.ItemWontDo)}

func (s *Server) listActionItems(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	lp, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	q := store.ActionItemQuery{BeforeID: before, Limit: lp.limit + 1}
	if q.Statuses, err = statusList(r, "status", itemStatuses...); err != nil {
		return err
	}
	if q.Team, err = s.teamParam(r); err != nil {
		return err
	}
	if raw := r.URL.Query().Get("incident"); raw != "" {
		if q.IncidentID, err = strconv.ParseInt(raw, 10, 64); err != nil || q.IncidentID <= 0 {
			return badRequest("incident must be an incident id, got %.40q", raw)
		}
	}
	overdue, err := boolParam(r, "overdue")
	if err != nil {
		return err
	}
	if overdue != nil {
		// Overdue: open past the due time; not overdue: the rest.
		now := s.now()
		if *overdue {
			if q.Statuses != nil && !slices.Contains(q.Statuses, string(postmortem.ItemOpen)) {
				writeJSON(w, http.StatusOK, map[string]any{"action_items": []postmortem.ActionItem{}, "next_cursor": nil})
				return nil
			}
			q.Statuses, q.DueBefore = []string{string(postmortem.ItemOpen)}, now
		}
		items, err := s.postmortems.Items(r.Context(), q)
		if err != nil {
			return err
		}
		if !*overdue {
			items = slices.DeleteFunc(items, func(it postmortem.ActionItem) bool { return it.Overdue })
		}
		writeIDPage(w, "action_items", items, lp.limit, func(it postmortem.ActionItem) int64 { return it.ID })
		return nil
	}
	items, err := s.postmortems.Items(r.Context(), q)
	if err != nil {
		return err
	}
	writeIDPage(w, "action_items", items, lp.limit, func(it postmortem.ActionItem) int64 { return it.ID })
	return nil
}

// pathItem reads the action item the path names.
func (s *Server) pathItem(r *http.Request) (postmortem.ActionItem, error) {
	id, err := pathInt64(r, "id", "action item")
	if err != nil {
		return postmortem.ActionItem{}, err
	}
	it, err := s.postmortems.ItemOf(r.Context(), id)
	if err != nil {
		return it, err
	}
	it.Overdue = it.IsOverdue(s.now())
	return it, nil
}

func (s *Server) getActionItem(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	it, err := s.pathItem(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}

// itemBody is what the action item endpoints take.
type itemBody struct {
	postmortem.ItemChange
	Channel any `json:"channel"`
}

func (s *Server) addActionItem(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathInt64(r, "id", "post-mortem")
	if err != nil {
		return err
	}
	var body itemBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if _, err := s.store.GetPostmortem(r.Context(), id); err != nil {
		return fmt.Errorf("post-mortem %d: %w", id, err)
	}
	if err := s.mayWritePostmortem(r, p, id); err != nil {
		return err
	}
	pm, err := s.postmortems.AddItem(r.Context(), id, body.ItemChange, p.Actor())
	if err != nil {
		return postmortemErr(err)
	}
	writePostmortem(w, http.StatusCreated, pm)
	return nil
}

func (s *Server) editActionItem(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	it, err := s.pathItem(r)
	if err != nil {
		return err
	}
	var body itemBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	// The owner team tracks its items, besides who writes the post-mortem.
	if !s.inTeam(p, it.OwnerTeam) {
		if err := s.mayWritePostmortem(r, p, it.IncidentID); err != nil {
			return err
		}
	}
	pm, err := s.postmortems.EditItem(r.Context(), it, body.ItemChange, p.Actor())
	if err != nil {
		return postmortemErr(err)
	}
	for _, updated := range pm.ActionItems {
		if updated.ID == it.ID {
			w.Header().Set("ETag", etag(pm.Version))
			writeJSON(w, http.StatusOK, updated)
			return nil
		}
	}
	return fmt.Errorf("action item %d: %w", it.ID, store.ErrNotFound)
}

// inTeam reports whether p is a user token of a member of team.
func (s *Server) inTeam(p auth.Principal, team string) bool {
	t := s.org.Snapshot().Team(team)
	return p.Role == auth.RoleUser && t != nil && slices.Contains(t.Members, p.UserID)
}
