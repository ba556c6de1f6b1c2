package ingest

import (
	"encoding/json"
	"strconv"
)

// LabelSource says where the labels of an event that event rules match
// come from, by wire format (config.md: "Alertmanager labels, PagerDuty
// custom_details, generic fields").
type LabelSource int

// Label sources.
const (
	// AlertLabels: an Alertmanager or Grafana alert's labels.
	AlertLabels LabelSource = iota
	// CustomDetails: the top-level entries of PagerDuty custom_details.
	CustomDetails
	// GenericLabels: the generic event's fields (summary, source,
	// severity, component, group, class, dedup_key) over the top-level
	// entries of its details.
	GenericLabels
)

// Labels are the labels event rules match for ev, as a map (what the
// unrouted list shows). Entries that are not text (objects, arrays, null)
// are left out; numbers and booleans read as they were sent.
func Labels(from LabelSource, ev *Event) map[string]string {
	var m map[string]any
	switch from {
	case AlertLabels:
		m, _ = ev.Details["labels"].(map[string]any)
	default:
		m = ev.Details
	}
	out := make(map[string]string, len(m)+len(genericFields))
	for k, v := range m {
		if s, ok := scalar(v); ok {
			out[k] = s
		}
	}
	if from == GenericLabels {
		for _, f := range genericFields {
			if v := f.get(ev); v != "" {
				out[f.name] = v
			}
		}
	}
	return out
}

// Label looks up one label of ev as Labels has it, without building the
// map: the event rules read only the few labels they name.
func Label(from LabelSource, ev *Event, name string) (string, bool) {
	switch from {
	case AlertLabels:
		m, _ := ev.Details["labels"].(map[string]any)
		return scalar(m[name])
	case GenericLabels:
		for _, f := range genericFields {
			if f.name == name {
				if v := f.get(ev); v != "" {
					return v, true
				}
			}
		}
	}
	return scalar(ev.Details[name])
}

// genericFields are the generic event's fields that are labels.
var genericFields = [...]struct {
	name string
	get  func(*Event) string
}{
	{"summary", func(e *Event) string { return e.Summary }},
	{"source", func(e *Event) string { return e.Source }},
	{"severity", func(e *Event) string { return string(e.Severity) }},
	{"component", func(e *Event) string { return e.Component }},
	{"group", func(e *Event) string { return e.Group }},
	{"class", func(e *Event) string { return e.Class }},
	{"dedup_key", func(e *Event) string { return e.DedupKey }},
}

// scalar reads a text, number or boolean value as text.
func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}
