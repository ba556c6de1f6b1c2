package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// resourceKind describes one configured kind exposed as a REST collection.
type resourceKind struct {
	kind     string // store kind
	plural   string // collection path and list envelope key
	singular string
	// list returns the kind's objects in the snapshot, each rendered as the
	// API shows it to the caller only when asked: a page or one object, not
	// the whole collection.
	list func(s *org.Snapshot) []view
	// find returns the object with this id, from the snapshot's index.
	find func(s *org.Snapshot, id string) (view, bool)
	// decode reads a request body into the domain value and returns its id.
	decode func(w http.ResponseWriter, r *http.Request) (any, *string, bool)
}

// view is an object as the API shows it to a caller.
type view struct {
	id     string
	render func(p auth.Principal) any
}

// kindOf builds the resource kind of a configured type, whose objects the
// snapshot holds in items and indexes by id in lookup. render, when set,
// turns an object into its API form for a caller (services carry derived
// fields; users hide their contact methods from others).
func kindOf[T any](kind, plural, singular string, items func(*org.Snapshot) []T, lookup func(*org.Snapshot, string) *T,
	id func(*T) *string, render func(*org.Snapshot, auth.Principal, T) any) resourceKind {
	viewOf := func(s *org.Snapshot, x T) view {
		return view{id: *id(&x), render: func(p auth.Principal) any {
			if render != nil {
				return render(s, p, x)
			}
			return x
		}}
	}
	return resourceKind{
		kind: kind, plural: plural, singular: singular,
		list: func(s *org.Snapshot) []view {
			xs := items(s)
			out := make([]view, len(xs))
			for i, x := range xs {
				out[i] = viewOf(s, x)
			}
			return out
		},
		find: func(s *org.Snapshot, id string) (view, bool) {
			if x := lookup(s, id); x != nil {
				return viewOf(s, *x), true
			}
			return view{}, false
		},
		decode: decodeAs[T](id),
	}
}

var resourceKinds = []resourceKind{
	kindOf(store.KindUser, "users", "user", func(s *org.Snapshot) []catalog.User { return s.Bundle.Users },
		(*org.Snapshot).User, func(v *catalog.User) *string { return &v.ID },
		func(_ *org.Snapshot, p auth.Principal, u catalog.User) any { return userFor(p, u) }),
	kindOf(store.KindTeam, "teams", "team", func(s *org.Snapshot) []catalog.Team { return s.Bundle.Teams },
		(*org.Snapshot).Team, func(v *catalog.Team) *string { return &v.ID }, nil),
	kindOf(store.KindSchedule, "schedules", "schedule", func(s *org.Snapshot) []schedule.Schedule { return s.Bundle.Schedules },
		(*org.Snapshot).Schedule, func(v *schedule.Schedule) *string { return &v.ID }, nil),
	kindOf(store.KindEscalationPolicy, "escalation_policies", "escalation policy", func(s *org.Snapshot) []escalation.Policy { return s.Bundle.EscalationPolicies },
		(*org.Snapshot).Policy, func(v *escalation.Policy) *string { return &v.ID }, nil),
	serviceKind(),
}

// serviceKind shows services with their derived criticality, and accepts
// a service as GET shows it, derived fields included (and ignored), so
// clients can read, modify and write back.
func serviceKind() resourceKind {
	k := kindOf(store.KindService, "services", "service", func(s *org.Snapshot) []catalog.Service { return s.Bundle.Services },
		(*org.Snapshot).Service, func(v *catalog.Service) *string { return &v.ID },
		func(s *org.Snapshot, _ auth.Principal, v catalog.Service) any { return serviceViewOf(s, v) })
	k.decode = func(w http.ResponseWriter, r *http.Request) (any, *string, bool) {
		var in serviceView
		if !decodeJSON(w, r, &in) {
			return nil, nil, false
		}
		return &in.Service, &in.Service.ID, true
	}
	return k
}

func decodeAs[T any](id func(*T) *string) func(http.ResponseWriter, *http.Request) (any, *string, bool) {
	return func(w http.ResponseWriter, r *http.Request) (any, *string, bool) {
		v := new(T)
		if !decodeJSON(w, r, v) {
			return nil, nil, false
		}
		return v, id(v), true
	}
}

// serviceView is a service with its derived criticality.
type serviceView struct {
	catalog.Service
	Critical        bool     `json:"critical"`
	CriticalBecause []string `json:"critical_because"`
}

func serviceViewOf(s *org.Snapshot, svc catalog.Service) serviceView {
	critical, because := s.Graph.Criticality(svc.ID)
	if because == nil {
		because = []string{}
	}
	return serviceView{Service: svc, Critical: critical, CriticalBecause: because}
}

func (s *Server) listObjects(k resourceKind) func(http.ResponseWriter, *http.Request, auth.Principal) {
	return func(w http.ResponseWriter, r *http.Request, caller auth.Principal) {
		p, err := parseList(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
			return
		}
		page, next := pageByID(k.list(s.org.Snapshot()), func(v view) string { return v.id }, p)
		bodies := make([]any, len(page))
		for i, v := range page {
			bodies[i] = v.render(caller)
		}
		writeJSON(w, http.StatusOK, map[string]any{k.plural: bodies, "next_cursor": next})
	}
}

func (s *Server) getObject(k resourceKind) func(http.ResponseWriter, *http.Request, auth.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		id := r.PathValue("id")
		if v, ok := k.find(s.org.Snapshot(), id); ok {
			writeJSON(w, http.StatusOK, v.render(p))
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "%s %q not found", k.singular, id)
	}
}

func (s *Server) createObject(k resourceKind) func(http.ResponseWriter, *http.Request, auth.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		body, id, ok := k.decode(w, r)
		if !ok {
			return
		}
		if *id == "" {
			writeError(w, http.StatusBadRequest, "bad_request", "%s needs an id", k.singular)
			return
		}
		s.put(w, r, p, k, *id, body, true)
	}
}

func (s *Server) replaceObject(k resourceKind) func(http.ResponseWriter, *http.Request, auth.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		body, id, ok := k.decode(w, r)
		if !ok {
			return
		}
		pathID := r.PathValue("id")
		switch *id {
		case "":
			*id = pathID
		case pathID:
		default:
			writeError(w, http.StatusBadRequest, "bad_request", "id %q in the body differs from %q in the path", *id, pathID)
			return
		}
		s.put(w, r, p, k, pathID, body, false)
	}
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, p auth.Principal, k resourceKind, id string, body any, create bool) {
	_, err := s.org.Put(r.Context(), k.kind, id, body, create, p.Actor())
	if !s.writeOrgError(w, k.singular, id, err) {
		return
	}
	status := http.StatusOK
	if create {
		status = http.StatusCreated
	}
	if v, ok := k.find(s.org.Snapshot(), id); ok {
		writeJSON(w, status, v.render(p))
		return
	}
	writeError(w, http.StatusInternalServerError, "internal", "%s %q vanished after writing", k.singular, id)
}

func (s *Server) deleteObject(k resourceKind) func(http.ResponseWriter, *http.Request, auth.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		id := r.PathValue("id")
		if !s.writeOrgError(w, k.singular, id, s.org.Delete(r.Context(), k.kind, id, p.Actor())) {
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// writeOrgError answers a failed write of the configuration object what
// (a user, an override, the org...) and reports whether err was nil.
func (s *Server) writeOrgError(w http.ResponseWriter, what, id string, err error) bool {
	var invalid *org.InvalidError
	switch {
	case err == nil:
		return true
	case errors.As(err, &invalid):
		writeJSON(w, http.StatusBadRequest, errorBody{Code: "invalid", Message: "the change would make the configuration invalid", Problems: invalid.Problems})
	case errors.Is(err, org.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "%s %q not found", what, id)
	case errors.Is(err, org.ErrExists):
		writeError(w, http.StatusConflict, "conflict", "%s %q already exists", what, id)
	default:
		s.log.Error("configuration write", "object", what, "id", id, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not write the configuration")
	}
	return false
}

func (s *Server) getOrg(w http.ResponseWriter, _ *http.Request, _ auth.Principal) {
	writeJSON(w, http.StatusOK, s.org.Snapshot().Bundle.Org)
}

func (s *Server) putOrg(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var o catalog.Org
	if !decodeJSON(w, r, &o) {
		return
	}
	if _, err := s.org.Put(r.Context(), store.KindOrg, "org", o, false, p.Actor()); !s.writeOrgError(w, "org", "org", err) {
		return
	}
	writeJSON(w, http.StatusOK, s.org.Snapshot().Bundle.Org)
}

// exportConfig serves GET /api/v1/config: the running configuration, with
// contact methods shown as the caller may see them.
func (s *Server) exportConfig(w http.ResponseWriter, _ *http.Request, p auth.Principal) {
	b := *s.org.Snapshot().Bundle
	if len(b.Users) > 0 {
		users := make([]catalog.User, len(b.Users))
		for i, u := range b.Users {
			users[i] = userFor(p, u)
		}
		b.Users = users
	}
	writeJSON(w, http.StatusOK, b)
}

// userFor shows a user to p: contact methods in full to admins and to the
// user themself, masked to anyone else (they hold phone numbers and chat
// webhook URLs, which are credentials).
func userFor(p auth.Principal, u catalog.User) catalog.User {
	if auth.ActsFor(p, u.ID) {
		return u
	}
	return u.MaskedContacts()
}

// applyResult answers POST /api/v1/config/apply.
type applyResult struct {
	DryRun  bool         `json:"dry_run"`
	Changes []org.Change `json:"changes"`
}

func (s *Server) applyConfig(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var b config.Bundle
	if !decodeJSON(w, r, &b) {
		return
	}
	dryRun := r.URL.Query().Get("dry_run") == "true"
	changes, err := s.org.Apply(r.Context(), &b, p.Actor(), dryRun)
	if !s.writeOrgError(w, "configuration", "", err) {
		return
	}
	if changes == nil {
		changes = []org.Change{}
	}
	writeJSON(w, http.StatusOK, applyResult{DryRun: dryRun, Changes: changes})
}

func (s *Server) serviceFor(w http.ResponseWriter, r *http.Request) (*org.Snapshot, string, bool) {
	snap := s.org.Snapshot()
	id := r.PathValue("id")
	if snap.Service(id) == nil {
		writeError(w, http.StatusNotFound, "not_found", "service %q not found", id)
		return nil, "", false
	}
	return snap, id, true
}

func (s *Server) serviceDependencies(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	snap, id, ok := s.serviceFor(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dependencies": nonNil(snap.Graph.Dependencies(id)), "next_cursor": nil})
}

func (s *Server) serviceDependents(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	snap, id, ok := s.serviceFor(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dependents": nonNil(snap.Graph.Dependents(id)), "next_cursor": nil})
}

func (s *Server) serviceBlastRadius(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	snap, id, ok := s.serviceFor(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"service": id,
		"hard":    nonNil(snap.Graph.BlastRadius(id, true)),
		"all":     nonNil(snap.Graph.BlastRadius(id, false)),
	})
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// tokenRequest creates an API token.
type tokenRequest struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	UserID string `json:"user_id,omitempty"`
}

// newToken makes a fresh secret and completes tok with its hash and an id
// of prefix and random characters.
func newToken(prefix string, tok store.Token) (secret string, _ store.Token, err error) {
	secret, tok.Hash, err = auth.NewToken()
	if err != nil {
		return "", tok, fmt.Errorf("token secret: %w", err)
	}
	// The id is drawn apart from the secret, so that it says nothing
	// about it.
	idSecret, _, err := auth.NewToken()
	if err != nil {
		return "", tok, fmt.Errorf("token id: %w", err)
	}
	tok.ID = prefix + idSecret[4:16]
	return secret, tok, nil
}

// tokenCreated is answered once: the secret is never shown again.
type tokenCreated struct {
	store.Token
	Secret string `json:"token"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, err := parseList(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	toks, err := s.store.ListTokens(r.Context())
	if err != nil {
		s.log.Error("list tokens", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not list tokens")
		return
	}
	page, next := pageByID(toks, func(t store.Token) string { return t.ID }, p)
	writeJSON(w, http.StatusOK, map[string]any{"tokens": page, "next_cursor": next})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req tokenRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Role == "" {
		req.Role = auth.RoleViewer
		if req.UserID != "" {
			req.Role = auth.RoleUser
		}
	}
	switch {
	case req.Name == "" || len(req.Name) > 200:
		writeError(w, http.StatusBadRequest, "bad_request", "name is required (at most 200 characters)")
		return
	case !auth.ValidRole(req.Role):
		writeError(w, http.StatusBadRequest, "bad_request", "role must be admin, user or viewer, not %q", req.Role)
		return
	case req.Role == auth.RoleUser && req.UserID == "":
		writeError(w, http.StatusBadRequest, "bad_request", "a user token needs user_id")
		return
	case req.UserID != "" && s.org.Snapshot().User(req.UserID) == nil:
		writeError(w, http.StatusBadRequest, "bad_request", "unknown user %q", req.UserID)
		return
	}
	secret, tok, err := newToken("tok-", store.Token{Name: req.Name, UserID: req.UserID, Role: req.Role, CreatedAt: s.now().UTC()})
	if err != nil {
		s.log.Error("make a token", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not make a token")
		return
	}
	after, _ := json.Marshal(tok)
	audit := store.AuditEntry{At: tok.CreatedAt, Actor: p.Actor(), Action: "token.create", Kind: "token", ObjID: tok.ID, After: after}
	if err := s.store.CreateToken(r.Context(), tok, audit); err != nil {
		s.log.Error("create token", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not store the token")
		return
	}
	writeJSON(w, http.StatusCreated, tokenCreated{Token: tok, Secret: secret})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	now := s.now().UTC()
	audit := store.AuditEntry{At: now, Actor: p.Actor(), Action: "token.revoke", Kind: "token", ObjID: id}
	err := s.store.RevokeToken(r.Context(), id, now, audit)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "token %q not found", id)
	case err != nil:
		s.log.Error("revoke token", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not revoke the token")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
