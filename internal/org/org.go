// Package org keeps the running configuration: an immutable snapshot of the
// configured organisation (users, teams, schedules, policies, services) with
// its derived catalog graph, loaded from the store and replaced as a whole on
// every change. Every write is validated against the whole resulting
// configuration, so the store never holds a configuration that does not load.
package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/eventrules"
	"github.com/vigil-oncall/vigil/internal/hours"
	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Snapshot is one consistent view of the configuration. Never modify it.
type Snapshot struct {
	Version int64
	Bundle  *config.Bundle
	Graph   *catalog.Graph

	sources   map[key]string
	users     map[string]*catalog.User
	teams     map[string]*catalog.Team
	schedules map[string]*schedule.Schedule
	policies  map[string]*escalation.Policy
	services  map[string]*catalog.Service
	// integrations maps an integration key to its service and integration.
	integrations map[string]integrationRef
	// orgIntegrations maps an org-wide integration key to its integration,
	// whose events eventRules route.
	orgIntegrations map[string]*catalog.Integration
	// builtIn is the service of the snapshot's own, if any (see
	// routeOrgEvents).
	builtIn    *catalog.Service
	eventRules *eventrules.Rules
	// overrides are the API-made schedule overrides, in the order they
	// apply; onCall holds the schedules that have any, merged.
	overrides []ScheduleOverride
	onCall    map[string]*schedule.Schedule
	// slos are the SLOs the OpenSLO documents define, by name in sloIndex.
	slos     []slo.SLO
	sloIndex map[string]int
	// hours are the org's business and night hours, read once per snapshot.
	hours hours.Hours
	// correlation is built on first use: see Correlation.
	correlation lazyIndex
}

type integrationRef struct {
	service     *catalog.Service
	integration *catalog.Integration
}

func newSnapshot(version int64, b *config.Bundle, sources map[key]string) *Snapshot {
	s := &Snapshot{
		Version:   version,
		Bundle:    b,
		Graph:     catalog.NewGraph(b.Services),
		sources:   sources,
		users:     make(map[string]*catalog.User, len(b.Users)),
		teams:     make(map[string]*catalog.Team, len(b.Teams)),
		schedules: make(map[string]*schedule.Schedule, len(b.Schedules)),
		policies:  make(map[string]*escalation.Policy, len(b.EscalationPolicies)),
		services:  make(map[string]*catalog.Service, len(b.Services)),
	}
	for i := range b.Users {
		s.users[b.Users[i].ID] = &b.Users[i]
	}
	for i := range b.Teams {
		s.teams[b.Teams[i].ID] = &b.Teams[i]
	}
	for i := range b.Schedules {
		s.schedules[b.Schedules[i].ID] = &b.Schedules[i]
	}
	for i := range b.EscalationPolicies {
		s.policies[b.EscalationPolicies[i].ID] = &b.EscalationPolicies[i]
	}
	s.integrations = make(map[string]integrationRef)
	for i := range b.Services {
		svc := &b.Services[i]
		s.services[svc.ID] = svc
		for j := range svc.Integrations {
			s.integrations[svc.Integrations[j].Key] = integrationRef{svc, &svc.Integrations[j]}
		}
	}
	s.slos, s.sloIndex = parseSLOs(b)
	s.hours = HoursOf(b.Org)
	s.routeOrgEvents(b.Org)
	return s
}

// routeOrgEvents compiles the org's event rules and indexes its
// integrations. Without an unrouted_service, the events no rule routes go
// to a service of the snapshot's own, eventrules.UnroutedService, owned by
// the global IRT: they are kept as alerts like any other, and page the
// global IRT's escalation policy.
func (s *Snapshot) routeOrgEvents(o catalog.Org) {
	if len(o.Integrations) == 0 {
		return
	}
	s.orgIntegrations = make(map[string]*catalog.Integration, len(o.Integrations))
	for i := range o.Integrations {
		s.orgIntegrations[o.Integrations[i].Key] = &o.Integrations[i]
	}
	// Validation refuses rules that do not compile; a stored configuration
	// holding them anyway routes nothing, and every event is unrouted.
	s.eventRules, _ = eventrules.Compile(o.EventRules)
	if o.UnroutedService != "" || s.services[eventrules.UnroutedService] != nil {
		return
	}
	svc := &catalog.Service{ID: eventrules.UnroutedService, Name: "Events no rule routes"}
	for i := range s.Bundle.Teams {
		if t := &s.Bundle.Teams[i]; t.Kind == catalog.KindGlobalIRT {
			svc.Owner = t.ID
		}
	}
	s.services[svc.ID] = svc
	s.builtIn = svc
}

// BuiltIn says whether the service of id is Vigil's own rather than the
// configuration's: eventrules.UnroutedService, when org-wide integrations
// are configured without an unrouted_service.
func (s *Snapshot) BuiltIn(id string) bool { return s.builtIn != nil && s.builtIn.ID == id }

// OrgIntegration returns the org-wide integration of key, or nil.
func (s *Snapshot) OrgIntegration(key string) *catalog.Integration { return s.orgIntegrations[key] }

// EventRules are the org's compiled event rules (nil routes nothing).
func (s *Snapshot) EventRules() *eventrules.Rules { return s.eventRules }

// UnroutedService is the service that takes the events of org-wide
// integrations that no rule routes: org.unrouted_service, else
// eventrules.UnroutedService.
func (s *Snapshot) UnroutedService() string {
	if id := s.Bundle.Org.UnroutedService; id != "" {
		return id
	}
	return eventrules.UnroutedService
}

// HoursOf reads an org's business_hours and night_hours. Validation
// refuses bounds that do not parse; should a stored configuration hold
// them anyway, the defaults apply.
func HoursOf(o catalog.Org) hours.Hours {
	var bs, be, ns, ne string
	var days []string
	if b := o.BusinessHours; b != nil {
		bs, be, days = b.Start, b.End, b.Days
	}
	if n := o.NightHours; n != nil {
		ns, ne = n.Start, n.End
	}
	h := hours.Default
	if b, err := hours.Parse(bs, be, days, "", ""); err == nil {
		h.Business = b.Business
	}
	if n, err := hours.Parse("", "", nil, ns, ne); err == nil {
		h.Night = n.Night
	}
	return h
}

// Hours are the org's business and night hours, the defaults where unset.
func (s *Snapshot) Hours() hours.Hours { return s.hours }

// User returns the user with this id, or nil.
func (s *Snapshot) User(id string) *catalog.User { return s.users[id] }

// Team returns the team with this id, or nil.
func (s *Snapshot) Team(id string) *catalog.Team { return s.teams[id] }

// Teams returns every team, in configuration order.
func (s *Snapshot) Teams() []catalog.Team { return s.Bundle.Teams }

// Schedule returns the schedule with this id, or nil.
func (s *Snapshot) Schedule(id string) *schedule.Schedule { return s.schedules[id] }

// Policy returns the escalation policy with this id, or nil.
func (s *Snapshot) Policy(id string) *escalation.Policy { return s.policies[id] }

// Service returns the service with this id, or nil.
func (s *Snapshot) Service(id string) *catalog.Service { return s.services[id] }

// Operation returns the org-wide operation with this id, or nil.
func (s *Snapshot) Operation(id string) *ops.Operation { return ops.Find(s.Bundle.Operations, id) }

// Integration returns the service and integration an integration key
// belongs to, or nils.
func (s *Snapshot) Integration(key string) (*catalog.Service, *catalog.Integration) {
	ref := s.integrations[key]
	return ref.service, ref.integration
}

// Source tells who owns an object: store.SourceConfig or store.SourceAPI.
func (s *Snapshot) Source(kind, id string) string { return s.sources[key{kind, id}] }

// InvalidError lists why a configuration change was refused.
type InvalidError struct{ Problems []config.Problem }

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return "invalid configuration: " + strings.Join(msgs, "; ")
}

// ErrNotFound is returned for an unknown object.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating an object whose id is taken.
var ErrExists = errors.New("already exists")

// Change is one object created, updated or deleted by a write.
type Change struct {
	Action string        `json:"action"` // create, update, delete
	Kind   string        `json:"kind"`
	ID     string        `json:"id"`
	Fields []FieldChange `json:"fields,omitempty"`
}

// Manager owns the current snapshot and performs every configuration write.
type Manager struct {
	store store.Store
	now   func() time.Time

	mu   sync.Mutex // serialises this process's writes and reloads
	snap atomic.Pointer[Snapshot]
}

// NewManager returns a manager with an empty configuration; call Load.
func NewManager(st store.Store, now func() time.Time) *Manager {
	m := &Manager{store: st, now: now}
	m.snap.Store(newSnapshot(-1, &config.Bundle{}, map[key]string{}))
	return m
}

// Snapshot returns the current configuration.
func (m *Manager) Snapshot() *Snapshot { return m.snap.Load() }

// Load reads the whole configuration from the store.
func (m *Manager) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loadLocked(ctx)
}

func (m *Manager) loadLocked(ctx context.Context) error {
	version, err := m.store.ConfigVersion(ctx)
	if err != nil {
		return fmt.Errorf("read configuration version: %w", err)
	}
	objects, err := m.store.ListObjects(ctx, "")
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	b, overrides, err := configOf(objects)
	if err != nil {
		return err
	}
	sources := make(map[key]string, len(objects))
	for _, o := range objects {
		sources[key{o.Kind, o.ID}] = o.Source
	}
	m.snap.Store(newSnapshot(version, b, sources).withOverrides(overrides))
	return nil
}

// Refresh reloads when another replica changed the configuration, and
// reports whether it did.
func (m *Manager) Refresh(ctx context.Context) (bool, error) {
	version, err := m.store.ConfigVersion(ctx)
	if err != nil {
		return false, fmt.Errorf("read configuration version: %w", err)
	}
	if version == m.Snapshot().Version {
		return false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.loadLocked(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// Apply makes the configuration match desired: objects in desired are
// created or updated and become config-owned; config-owned objects missing
// from desired are deleted; objects created through the API are kept. With
// dryRun nothing is written. Applying the same bundle twice changes nothing.
func (m *Manager) Apply(ctx context.Context, desired *config.Bundle, actor string, dryRun bool) ([]Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.refreshLocked(ctx); err != nil {
		return nil, err
	}
	cur := m.Snapshot()
	want, err := documents(desired)
	if err != nil {
		return nil, err
	}
	have, err := documents(cur.Bundle)
	if err != nil {
		return nil, err
	}
	next := make(map[key][]byte, len(want))
	nextSources := make(map[key]string, len(want))
	var changes []Change
	for k, body := range want {
		next[k] = body
		nextSources[k] = store.SourceConfig
		old, ok := have[k]
		switch {
		case !ok:
			changes = append(changes, Change{Action: "create", Kind: k.kind, ID: k.id})
		case !sameJSON(old, body) || cur.sources[k] != store.SourceConfig:
			changes = append(changes, Change{Action: "update", Kind: k.kind, ID: k.id, Fields: fieldChanges(old, body)})
		}
	}
	for k, body := range have {
		if _, ok := want[k]; ok {
			continue
		}
		if cur.sources[k] == store.SourceAPI {
			next[k] = body
			nextSources[k] = store.SourceAPI
			continue
		}
		changes = append(changes, Change{Action: "delete", Kind: k.kind, ID: k.id})
	}
	changes = append(changes, orphanedOverrides(cur, next, nextSources)...)
	sortChanges(changes)
	if err := m.commitLocked(ctx, cur, next, nextSources, changes, actor, "config.apply", dryRun, m.store.ApplyChanges); err != nil {
		return nil, err
	}
	return changes, nil
}

// Put creates (create=true, ErrExists if taken) or replaces (ErrNotFound if
// absent) one object through the API. body is the domain value
// (catalog.User, catalog.Service, ...) or catalog.Org for the org settings.
func (m *Manager) Put(ctx context.Context, kind, id string, body any, create bool, actor string) (Change, error) {
	return m.putVia(ctx, kind, id, body, create, actor, m.store.ApplyChanges)
}

// Writer writes configuration changes with their audit entries, and bumps
// the configuration version, all or nothing: Store.ApplyChanges, or a
// transaction of the caller's that writes more with them.
type Writer func(ctx context.Context, changes []store.Change, audit []store.AuditEntry) error

func (m *Manager) putVia(ctx context.Context, kind, id string, body any, create bool, actor string, write Writer) (Change, error) {
	doc, err := json.Marshal(body)
	if err != nil {
		return Change{}, fmt.Errorf("encode %s: %w", kind, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.refreshLocked(ctx); err != nil {
		return Change{}, err
	}
	cur := m.Snapshot()
	next, sources, err := currentDocs(cur)
	if err != nil {
		return Change{}, err
	}
	k := key{kind, id}
	old, exists := next[k]
	switch {
	case create && exists:
		return Change{}, fmt.Errorf("%s %q: %w", kind, id, ErrExists)
	case !create && !exists && kind != store.KindOrg:
		return Change{}, fmt.Errorf("%s %q: %w", kind, id, ErrNotFound)
	}
	next[k] = doc
	sources[k] = store.SourceAPI
	ch := Change{Action: "create", Kind: kind, ID: id}
	if exists {
		ch = Change{Action: "update", Kind: kind, ID: id, Fields: fieldChanges(old, doc)}
	}
	if err := m.commitLocked(ctx, cur, next, sources, []Change{ch}, actor, kind+"."+ch.Action, false, write); err != nil {
		return Change{}, err
	}
	return ch, nil
}

// Delete removes one object; the rest of the configuration must stay valid
// (a user still named by a team cannot be deleted).
func (m *Manager) Delete(ctx context.Context, kind, id, actor string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.refreshLocked(ctx); err != nil {
		return err
	}
	cur := m.Snapshot()
	next, sources, err := currentDocs(cur)
	if err != nil {
		return err
	}
	k := key{kind, id}
	if _, ok := next[k]; !ok {
		return fmt.Errorf("%s %q: %w", kind, id, ErrNotFound)
	}
	delete(next, k)
	delete(sources, k)
	changes := append([]Change{{Action: "delete", Kind: kind, ID: id}}, orphanedOverrides(cur, next, sources)...)
	return m.commitLocked(ctx, cur, next, sources, changes, actor, kind+".delete", false, m.store.ApplyChanges)
}

func (m *Manager) refreshLocked(ctx context.Context) error {
	version, err := m.store.ConfigVersion(ctx)
	if err != nil {
		return fmt.Errorf("read configuration version: %w", err)
	}
	if version != m.Snapshot().Version {
		return m.loadLocked(ctx)
	}
	return nil
}

func currentDocs(s *Snapshot) (map[key][]byte, map[key]string, error) {
	docs, err := documents(s.Bundle)
	if err != nil {
		return nil, nil, err
	}
	sources := make(map[key]string, len(docs))
	for k := range docs {
		sources[k] = s.sources[k]
	}
	if err := overrideDocuments(s, docs, sources); err != nil {
		return nil, nil, err
	}
	return docs, sources, nil
}

// commitLocked validates the next configuration as a whole and, unless
// dryRun, writes the changes with their audit entries through write.
func (m *Manager) commitLocked(ctx context.Context, cur *Snapshot, next map[key][]byte, sources map[key]string, changes []Change, actor, action string, dryRun bool, write Writer) error {
	objects := make([]store.Object, 0, len(next))
	for k, body := range next {
		objects = append(objects, store.Object{Kind: k.kind, ID: k.id, Body: body, Source: sources[k]})
	}
	b, overrides, err := configOf(objects)
	if err != nil {
		return err
	}
	problems := append(config.Validate(b), checkOverrides(b, overrides)...)
	if problems = append(problems, sloProblems(b)...); len(problems) > 0 {
		return &InvalidError{Problems: problems}
	}
	if dryRun || len(changes) == 0 {
		return nil
	}
	before, _, err := currentDocs(cur)
	if err != nil {
		return err
	}
	now := m.now().UTC()
	writes := make([]store.Change, 0, len(changes))
	audit := make([]store.AuditEntry, 0, len(changes))
	for _, ch := range changes {
		k := key{ch.Kind, ch.ID}
		entry := store.AuditEntry{At: now, Actor: actor, Action: action, Kind: ch.Kind, ObjID: ch.ID, Before: before[k], Details: ch.Action}
		if ch.Action == "delete" {
			writes = append(writes, store.Change{Object: store.Object{Kind: ch.Kind, ID: ch.ID}, Delete: true})
		} else {
			writes = append(writes, store.Change{Object: store.Object{Kind: ch.Kind, ID: ch.ID, Body: next[k], Source: sources[k], UpdatedAt: now}})
			entry.After = next[k]
		}
		audit = append(audit, entry)
	}
	if err := write(ctx, writes, audit); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	return m.loadLocked(ctx)
}

func sortChanges(cs []Change) {
	rank := map[string]int{}
	for i, k := range Kinds {
		rank[k] = i
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Kind != cs[j].Kind {
			return rank[cs[i].Kind] < rank[cs[j].Kind]
		}
		return cs[i].ID < cs[j].ID
	})
}
