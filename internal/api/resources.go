package api

import (
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
	decode func(w http.ResponseWriter, r *http.Request) (any, *string, error)
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
	k.decode = func(w http.ResponseWriter, r *http.Request) (any, *string, error) {
		var in serviceView
		if err := decodeJSON(w, r, &in); err != nil {
			return nil, nil, err
		}
		return &in.Service, &in.Service.ID, nil
	}
	return k
}

func decodeAs[T any](id func(*T) *string) func(http.ResponseWriter, *http.Request) (any, *string, error) {
	return func(w http.ResponseWriter, r *http.Request) (any, *string, error) {
		v := new(T)
		if err := decodeJSON(w, r, v); err != nil {
			return nil, nil, err
		}
		return v, id(v), nil
	}
}

// serviceView is a service with its derived criticality.
type serviceView struct {
	catalog.Service
	Critical        bool     `json:"critical"`
	CriticalBecause []string `json:"critical_because"`
	// BuiltIn says what a service of Vigil's own, in no configuration
	// file, is for; empty for the configuration's services.
	BuiltIn string `json:"built_in,omitempty"`
}

// builtInUnrouted says what the built-in service unrouted is for.
const builtInUnrouted = "built in: takes the events of org-wide integrations that no rule of org.event_rules routes (there is no org.unrouted_service), and pages the global IRT"

func serviceViewOf(s *org.Snapshot, svc catalog.Service) serviceView {
	critical, because := s.Graph.Criticality(svc.ID)
	v := serviceView{Service: svc, Critical: critical, CriticalBecause: nonNil(because)}
	if s.BuiltIn(svc.ID) {
		v.BuiltIn = builtInUnrouted
	}
	return v
}

func (s *Server) listObjects(k resourceKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
		p, err := parseList(r)
		if err != nil {
			return err
		}
		page, next := pageByID(k.list(s.org.Snapshot()), func(v view) string { return v.id }, p)
		bodies := make([]any, len(page))
		for i, v := range page {
			bodies[i] = v.render(caller)
		}
		writeJSON(w, http.StatusOK, map[string]any{k.plural: bodies, "next_cursor": next})
		return nil
	}
}

func (s *Server) getObject(k resourceKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		return s.writeObject(w, http.StatusOK, k, r.PathValue("id"), p)
	}
}

// writeObject answers the object of kind k with this id as p sees it.
func (s *Server) writeObject(w http.ResponseWriter, status int, k resourceKind, id string, p auth.Principal) error {
	v, ok := k.find(s.org.Snapshot(), id)
	if !ok {
		return notFound("%s %.64q not found", k.singular, id)
	}
	writeJSON(w, status, v.render(p))
	return nil
}

func (s *Server) createObject(k resourceKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		body, id, err := k.decode(w, r)
		if err != nil {
			return err
		}
		if *id == "" {
			return badRequest("%s needs an id", k.singular)
		}
		if _, err := s.org.Put(r.Context(), k.kind, *id, body, true, p.Actor()); err != nil {
			return err
		}
		return s.writeObject(w, http.StatusCreated, k, *id, p)
	}
}

func (s *Server) replaceObject(k resourceKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		body, id, err := k.decode(w, r)
		if err != nil {
			return err
		}
		pathID := r.PathValue("id")
		switch *id {
		case "":
			*id = pathID
		case pathID:
		default:
			return badRequest("id %.64q in the body differs from %.64q in the path", *id, pathID)
		}
		if _, err := s.org.Put(r.Context(), k.kind, pathID, body, false, p.Actor()); err != nil {
			return err
		}
		return s.writeObject(w, http.StatusOK, k, pathID, p)
	}
}

func (s *Server) deleteObject(k resourceKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		if err := s.org.Delete(r.Context(), k.kind, r.PathValue("id"), p.Actor()); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) getOrg(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, s.org.Snapshot().Bundle.Org)
	return nil
}

func (s *Server) putOrg(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var o catalog.Org
	if err := decodeJSON(w, r, &o); err != nil {
		return err
	}
	if _, err := s.org.Put(r.Context(), store.KindOrg, "org", o, false, p.Actor()); err != nil {
		return err
	}
	return s.getOrg(w, r, p)
}

// exportConfig serves GET /api/v1/config: the running configuration, with
// contact methods shown as the caller may see them.
func (s *Server) exportConfig(w http.ResponseWriter, _ *http.Request, p auth.Principal) error {
	b := *s.org.Snapshot().Bundle
	users := make([]catalog.User, len(b.Users))
	for i, u := range b.Users {
		users[i] = userFor(p, u)
	}
	// Every list is a list, empty or not.
	b.Users, b.Teams, b.Schedules, b.EscalationPolicies, b.Services = users, nonNil(b.Teams), nonNil(b.Schedules), nonNil(b.EscalationPolicies), nonNil(b.Services)
	b.Operations = nonNil(b.Operations)
	writeJSON(w, http.StatusOK, b)
	return nil
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

func (s *Server) applyConfig(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var b config.Bundle
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	dryRun := r.URL.Query().Get("dry_run") == "true"
	changes, err := s.org.Apply(r.Context(), &b, p.Actor(), dryRun)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, applyResult{DryRun: dryRun, Changes: nonNil(changes)})
	return nil
}

// pathService reads the configured service the path names.
func (s *Server) pathService(r *http.Request) (*org.Snapshot, string, error) {
	snap := s.org.Snapshot()
	id := r.PathValue("id")
	if snap.Service(id) == nil {
		return nil, "", notFound("service %.64q not found", id)
	}
	return snap, id, nil
}

// serviceGraph serves one of a service's views of the dependency graph.
func (s *Server) serviceGraph(view func(g *catalog.Graph, id string) map[string]any) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
		snap, id, err := s.pathService(r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, view(snap.Graph, id))
		return nil
	}
}

func dependenciesOf(g *catalog.Graph, id string) map[string]any {
	return map[string]any{"dependencies": nonNil(g.Dependencies(id)), "next_cursor": nil}
}

func dependentsOf(g *catalog.Graph, id string) map[string]any {
	return map[string]any{"dependents": nonNil(g.Dependents(id)), "next_cursor": nil}
}

func blastRadiusOf(g *catalog.Graph, id string) map[string]any {
	return map[string]any{"service": id, "hard": nonNil(g.BlastRadius(id, true)), "all": nonNil(g.BlastRadius(id, false))}
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
