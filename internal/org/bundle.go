package org

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// orgID is the id of the single org-settings object.
const orgID = "org"

// KindOperation is the kind of an org-wide operation (drain, rollback...).
const KindOperation = "operation"

// Kinds lists the configuration kinds in dependency order: an object refers
// only to kinds listed before it... except for the cycles config allows
// (teams name schedules), which is why writes validate the whole bundle.
var Kinds = []string{
	store.KindOrg, store.KindUser, store.KindSchedule, store.KindEscalationPolicy, store.KindTeam, store.KindService,
	KindScheduleOverride, KindOpenSLO, KindOperation,
}

type key struct{ kind, id string }

// documents turns a bundle into one canonical JSON document per object.
func documents(b *config.Bundle) (map[key][]byte, error) {
	docs := make(map[key][]byte)
	put := func(kind, id string, v any) error {
		body, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s %q: %w", kind, id, err)
		}
		docs[key{kind, id}] = body
		return nil
	}
	if !reflect.ValueOf(b.Org).IsZero() {
		if err := put(store.KindOrg, orgID, b.Org); err != nil {
			return nil, err
		}
	}
	for _, err := range []error{
		putEach(put, store.KindUser, b.Users, func(u catalog.User) string { return u.ID }),
		putEach(put, store.KindTeam, b.Teams, func(t catalog.Team) string { return t.ID }),
		putEach(put, store.KindSchedule, b.Schedules, func(s schedule.Schedule) string { return s.ID }),
		putEach(put, store.KindEscalationPolicy, b.EscalationPolicies, func(p escalation.Policy) string { return p.ID }),
		putEach(put, store.KindService, b.Services, func(s catalog.Service) string { return s.ID }),
		putEach(put, KindOperation, b.Operations, func(op ops.Operation) string { return op.ID }),
	} {
		if err != nil {
			return nil, err
		}
	}
	if err := openSLODocuments(b, docs); err != nil {
		return nil, err
	}
	return docs, nil
}

// configOf rebuilds the configuration from stored objects: the bundle and
// the schedule overrides.
func configOf(objects []store.Object) (*config.Bundle, []ScheduleOverride, error) {
	b, err := bundleOf(objects)
	if err != nil {
		return nil, nil, err
	}
	overrides, err := overridesOf(objects)
	return b, overrides, err
}

// bundleOf rebuilds a bundle from stored objects, each kind sorted by id.
func bundleOf(objects []store.Object) (*config.Bundle, error) {
	b := &config.Bundle{}
	sorted := append([]store.Object(nil), objects...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Kind != sorted[j].Kind {
			return sorted[i].Kind < sorted[j].Kind
		}
		return sorted[i].ID < sorted[j].ID
	})
	decoders := map[string]func(body []byte) error{
		store.KindOrg:              func(body []byte) error { return json.Unmarshal(body, &b.Org) },
		store.KindUser:             decodeOnto(&b.Users),
		store.KindTeam:             decodeOnto(&b.Teams),
		store.KindSchedule:         decodeOnto(&b.Schedules),
		store.KindEscalationPolicy: decodeOnto(&b.EscalationPolicies),
		store.KindService:          decodeOnto(&b.Services),
		KindOpenSLO:                decodeOnto(&b.OpenSLO),
		KindOperation:              decodeOnto(&b.Operations),
		// Not part of the files' bundle: overridesOf reads these.
		KindScheduleOverride: func([]byte) error { return nil },
	}
	for _, o := range sorted {
		decode, ok := decoders[o.Kind]
		if !ok {
			return nil, fmt.Errorf("decode stored %s %q: unknown kind", o.Kind, o.ID)
		}
		if err := decode(o.Body); err != nil {
			return nil, fmt.Errorf("decode stored %s %q: %w", o.Kind, o.ID, err)
		}
	}
	return b, nil
}

// putEach writes one document for each item, under the id it gives.
func putEach[T any](put func(kind, id string, v any) error, kind string, items []T, id func(T) string) error {
	for _, it := range items {
		if err := put(kind, id(it), it); err != nil {
			return err
		}
	}
	return nil
}

// decodeOnto decodes a stored document and appends it to list.
func decodeOnto[T any](list *[]T) func(body []byte) error {
	return func(body []byte) error {
		var v T
		err := json.Unmarshal(body, &v)
		*list = append(*list, v)
		return err
	}
}

// sameJSON reports whether two documents are equal as JSON values, whatever
// their key order or spacing.
func sameJSON(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// FieldChange is one leaf that differs between two versions of an object.
type FieldChange struct {
	Path string `json:"path"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

// fieldChanges lists the leaves that differ between two JSON documents,
// with paths such as "depends_on[1].kind".
func fieldChanges(oldDoc, newDoc []byte) []FieldChange {
	var ov, nv any
	_ = json.Unmarshal(oldDoc, &ov)
	_ = json.Unmarshal(newDoc, &nv)
	oldLeaves, newLeaves := map[string]any{}, map[string]any{}
	flatten("", ov, oldLeaves)
	flatten("", nv, newLeaves)
	paths := map[string]bool{}
	for p := range oldLeaves {
		paths[p] = true
	}
	for p := range newLeaves {
		paths[p] = true
	}
	var out []FieldChange
	for p := range paths {
		o, inOld := oldLeaves[p]
		n, inNew := newLeaves[p]
		if inOld && inNew && reflect.DeepEqual(o, n) {
			continue
		}
		out = append(out, FieldChange{Path: p, Old: o, New: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func flatten(prefix string, v any, into map[string]any) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 && prefix != "" {
			into[prefix] = t
		}
		for k, child := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, child, into)
		}
	case []any:
		if len(t) == 0 {
			into[prefix] = t
		}
		for i, child := range t {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), child, into)
		}
	default:
		into[prefix] = t
	}
}
