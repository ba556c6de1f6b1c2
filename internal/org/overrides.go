package org

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// KindScheduleOverride is the kind of a schedule override made through the
// API. Such overrides are kept beside the configured schedules, not inside
// them: the files own the schedules, and applying the files must never wipe
// a swap somebody made at short notice.
const KindScheduleOverride = "schedule_override"

// MaxScheduleOverrides bounds the API-made overrides of one schedule, and so
// the work of every on-call query on it.
const MaxScheduleOverrides = 1000

// ScheduleOverride is an override made through the API. It applies after
// the schedule's configured overrides, later-made ones last, so the most
// recent swap has the last word.
type ScheduleOverride struct {
	ID        string    `json:"id"`
	Schedule  string    `json:"schedule"`
	User      string    `json:"user"`
	Replaces  string    `json:"replaces,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// ScheduleOverrides lists the API-made overrides of a schedule in the order
// they apply.
func (s *Snapshot) ScheduleOverrides(scheduleID string) []ScheduleOverride {
	var out []ScheduleOverride
	for _, o := range s.overrides {
		if o.Schedule == scheduleID {
			out = append(out, o)
		}
	}
	return out
}

// ScheduleOverride returns the API-made override with this id, or nil.
func (s *Snapshot) ScheduleOverride(id string) *ScheduleOverride {
	for i := range s.overrides {
		if s.overrides[i].ID == id {
			return &s.overrides[i]
		}
	}
	return nil
}

// OnCallSchedule is the schedule as the engine must compile it: the
// configured overrides followed by the API-made ones. Schedule returns it
// as configured. Nil for an unknown schedule.
func (s *Snapshot) OnCallSchedule(id string) *schedule.Schedule {
	if merged, ok := s.onCall[id]; ok {
		return merged
	}
	return s.Schedule(id)
}

// SnapshotOf wraps a bundle read from files, for answering offline (no
// store, no API-made overrides). The bundle must not change afterwards.
func SnapshotOf(b *config.Bundle) *Snapshot {
	return newSnapshot(0, b, map[key]string{})
}

// withOverrides attaches the API-made overrides, sorted as they apply.
func (s *Snapshot) withOverrides(overrides []ScheduleOverride) *Snapshot {
	sort.SliceStable(overrides, func(i, j int) bool {
		a, b := overrides[i], overrides[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	})
	s.overrides = overrides
	s.onCall = map[string]*schedule.Schedule{}
	for _, o := range overrides {
		merged, ok := s.onCall[o.Schedule]
		if !ok {
			configured := s.Schedule(o.Schedule)
			if configured == nil {
				continue // validation keeps this from happening
			}
			copied := *configured
			copied.Overrides = append([]schedule.Override(nil), configured.Overrides...)
			merged = &copied
			s.onCall[o.Schedule] = merged
		}
		merged.Overrides = append(merged.Overrides, schedule.Override{
			ID: o.ID, User: o.User, Replaces: o.Replaces, Start: o.Start, End: o.End,
		})
	}
	return s
}

// overridesOf decodes the API-made overrides among stored objects.
func overridesOf(objects []store.Object) ([]ScheduleOverride, error) {
	var out []ScheduleOverride
	for _, o := range objects {
		if o.Kind != KindScheduleOverride {
			continue
		}
		var v ScheduleOverride
		if err := json.Unmarshal(o.Body, &v); err != nil {
			return nil, fmt.Errorf("decode stored %s %q: %w", o.Kind, o.ID, err)
		}
		v.ID = o.ID
		out = append(out, v)
	}
	return out, nil
}

// overrideDocuments adds the snapshot's API-made overrides to docs.
func overrideDocuments(s *Snapshot, docs map[key][]byte, sources map[key]string) error {
	for _, o := range s.overrides {
		body, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("encode %s %q: %w", KindScheduleOverride, o.ID, err)
		}
		k := key{KindScheduleOverride, o.ID}
		docs[k] = body
		if sources != nil {
			sources[k] = store.SourceAPI
		}
	}
	return nil
}

// checkOverrides lists what is wrong with API-made overrides against the
// bundle they belong to: the same rules the schedule engine applies to an
// override, and references that resolve.
func checkOverrides(b *config.Bundle, overrides []ScheduleOverride) []config.Problem {
	exists := func(ids []string, id string) bool {
		for _, x := range ids {
			if x == id {
				return true
			}
		}
		return false
	}
	users := make([]string, len(b.Users))
	for i, u := range b.Users {
		users[i] = u.ID
	}
	schedules := make([]string, len(b.Schedules))
	for i, s := range b.Schedules {
		schedules[i] = s.ID
	}
	var problems []config.Problem
	perSchedule := map[string]int{}
	for _, o := range overrides {
		add := func(field, format string, args ...any) {
			problems = append(problems, config.Problem{
				Path:    fmt.Sprintf("%s[%s].%s", KindScheduleOverride, o.ID, field),
				Message: fmt.Sprintf(format, args...),
			})
		}
		if !exists(schedules, o.Schedule) {
			add("schedule", "unknown schedule %.100q", o.Schedule)
		}
		perSchedule[o.Schedule]++
		if perSchedule[o.Schedule] == MaxScheduleOverrides+1 {
			add("schedule", "schedule %q has more than %d overrides made through the API", o.Schedule, MaxScheduleOverrides)
		}
		switch {
		case o.User == "":
			add("user", "user is required")
		case !exists(users, o.User):
			add("user", "unknown user %.100q", o.User)
		}
		switch {
		case o.Replaces == "":
		case !exists(users, o.Replaces):
			add("replaces", "unknown user %.100q", o.Replaces)
		case o.Replaces == o.User:
			add("replaces", "user %q cannot replace themself", o.User)
		}
		switch {
		case o.Start.IsZero():
			add("start", "start is required")
		case o.End.IsZero():
			add("end", "end is required")
		case !supportedYear(o.Start) || !supportedYear(o.End):
			add("start", "start and end must lie within the years 1 to 9999")
		case !o.End.After(o.Start):
			add("end", "end (%s) must be after start (%s)", o.End.Format(time.RFC3339), o.Start.Format(time.RFC3339))
		}
	}
	return problems
}

func supportedYear(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// orphanedOverrides removes from next the API-made overrides whose
// schedule or users next no longer has, and returns their deletions: an
// override follows what it names rather than blocking its removal.
func orphanedOverrides(cur *Snapshot, next map[key][]byte, sources map[key]string) []Change {
	var changes []Change
	for _, o := range cur.overrides {
		_, schedule := next[key{store.KindSchedule, o.Schedule}]
		_, user := next[key{store.KindUser, o.User}]
		replaced := true
		if o.Replaces != "" {
			_, replaced = next[key{store.KindUser, o.Replaces}]
		}
		if schedule && user && replaced {
			continue
		}
		k := key{KindScheduleOverride, o.ID}
		delete(next, k)
		delete(sources, k)
		changes = append(changes, Change{Action: "delete", Kind: KindScheduleOverride, ID: o.ID})
	}
	return changes
}

// AddScheduleOverride stores an override made through the API, with a new
// id, and returns it as stored. The configuration must stay valid: the
// schedule and users must exist and end must be after start.
func (m *Manager) AddScheduleOverride(ctx context.Context, o ScheduleOverride, actor string) (ScheduleOverride, error) {
	return m.AddScheduleOverrideVia(ctx, o, actor, m.store.ApplyChanges)
}

// AddScheduleOverrideVia is AddScheduleOverride written through write, a
// transaction that may hold more: a cover request is accepted with its
// override or not at all. o.ID, when set, is kept.
func (m *Manager) AddScheduleOverrideVia(ctx context.Context, o ScheduleOverride, actor string, write Writer) (ScheduleOverride, error) {
	if o.ID != "" {
		return m.putOverride(ctx, o, actor, write)
	}
	id, err := newOverrideID()
	if err != nil {
		return ScheduleOverride{}, err
	}
	o.ID = id
	return m.putOverride(ctx, o, actor, write)
}

func (m *Manager) putOverride(ctx context.Context, o ScheduleOverride, actor string, write Writer) (ScheduleOverride, error) {
	o.CreatedAt = m.now().UTC()
	o.CreatedBy = actor
	if _, err := m.putVia(ctx, KindScheduleOverride, o.ID, o, true, actor, write); err != nil {
		return ScheduleOverride{}, err
	}
	return o, nil
}

// ReplaceScheduleOverride replaces an override made through the API (its
// span, user or replaced user), keeping its id and when and by whom it
// was made: the order in which overrides apply does not change.
func (m *Manager) ReplaceScheduleOverride(ctx context.Context, o ScheduleOverride, actor string) error {
	_, err := m.Put(ctx, KindScheduleOverride, o.ID, o, false, actor)
	return err
}

// NewOverrideID returns a fresh id for an override made through the API.
func NewOverrideID() (string, error) { return newOverrideID() }

func newOverrideID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make an override id: %w", err)
	}
	return "ovr-" + hex.EncodeToString(b[:]), nil
}
