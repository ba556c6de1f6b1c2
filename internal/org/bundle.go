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
	for _, u := range b.Users {
		if err := put(store.KindUser, u.ID, u); err != nil {
			return nil, err
		}
	}
	for _, t := range b.Teams {
		if err := put(store.KindTeam, t.ID, t); err != nil {
			return nil, err
		}
	}
	for _, s := range b.Schedules {
		if err := put(store.KindSchedule, s.ID, s); err != nil {
			return nil, err
		}
	}
	for _, p := range b.EscalationPolicies {
		if err := put(store.KindEscalationPolicy, p.ID, p); err != nil {
			return nil, err
		}
	}
	for _, s := range b.Services {
		if err := put(store.KindService, s.ID, s); err != nil {
			return nil, err
		}
	}
	for _, op := range b.Operations {
		if err := put(KindOperation, op.ID, op); err != nil {
			return nil, err
		}
	}
	if err := openSLODocuments(b, docs); err != nil {
		return nil, err
	}
	return docs, nil
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
	for _, o := range sorted {
		var err error
		switch o.Kind {
		case store.KindOrg:
			err = json.Unmarshal(o.Body, &b.Org)
		case store.KindUser:
			var v catalog.User
			err = json.Unmarshal(o.Body, &v)
			b.Users = append(b.Users, v)
		case store.KindTeam:
			var v catalog.Team
			err = json.Unmarshal(o.Body, &v)
			b.Teams = append(b.Teams, v)
		case store.KindSchedule:
			var v schedule.Schedule
			err = json.Unmarshal(o.Body, &v)
			b.Schedules = append(b.Schedules, v)
		case store.KindEscalationPolicy:
			var v escalation.Policy
			err = json.Unmarshal(o.Body, &v)
			b.EscalationPolicies = append(b.EscalationPolicies, v)
		case store.KindService:
			var v catalog.Service
			err = json.Unmarshal(o.Body, &v)
			b.Services = append(b.Services, v)
		case KindOpenSLO:
			var v config.OpenSLODocument
			err = json.Unmarshal(o.Body, &v)
			b.OpenSLO = append(b.OpenSLO, v)
		case KindOperation:
			var v ops.Operation
			err = json.Unmarshal(o.Body, &v)
			b.Operations = append(b.Operations, v)
		case KindScheduleOverride:
			// Not part of the files' bundle: overridesOf reads these.
		default:
			err = fmt.Errorf("unknown kind")
		}
		if err != nil {
			return nil, fmt.Errorf("decode stored %s %q: %w", o.Kind, o.ID, err)
		}
	}
	return b, nil
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
