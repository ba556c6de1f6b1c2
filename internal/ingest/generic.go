package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GenericFields are the fields of the generic shape, which a mapping may
// point at.
var GenericFields = []string{
	"summary", "severity", "dedup_key", "status", "source",
	"component", "group", "class", "details", "links", "timestamp",
}

// statusWords maps the status words of the generic shape, lower case, to
// actions.
var statusWords = map[string]Action{
	"trigger":      ActionTrigger,
	"triggered":    ActionTrigger,
	"firing":       ActionTrigger,
	"alerting":     ActionTrigger,
	"alert":        ActionTrigger,
	"open":         ActionTrigger,
	"problem":      ActionTrigger,
	"acknowledge":  ActionAcknowledge,
	"acknowledged": ActionAcknowledge,
	"ack":          ActionAcknowledge,
	"resolve":      ActionResolve,
	"resolved":     ActionResolve,
	"ok":           ActionResolve,
	"closed":       ActionResolve,
	"recovered":    ActionResolve,
	"recovery":     ActionResolve,
}

// ValidateMapping checks a generic integration's field mapping: every key
// one of GenericFields, every value a JSON pointer (RFC 6901).
func ValidateMapping(mapping map[string]string) error {
	for _, field := range slices.Sorted(maps.Keys(mapping)) {
		if !slices.Contains(GenericFields, field) {
			return fmt.Errorf("unknown field %q (known: %s)", field, strings.Join(GenericFields, ", "))
		}
		if _, err := parsePointer(mapping[field]); err != nil {
			return fmt.Errorf("field %s: JSON pointer %q: %w", field, mapping[field], err)
		}
	}
	return nil
}

// ParseGeneric parses a body sent to a generic integration. With an empty
// mapping the body is Vigil's own shape:
//
//	{
//	  "status":    "trigger",
//	  "summary":   "Disk full on db-1",
//	  "severity":  "critical",
//	  "dedup_key": "disk-db-1",
//	  "source":    "db-1.example.com",
//	  "component": "postgres", "group": "storage", "class": "disk",
//	  "details":   {"free_bytes": 0},
//	  "links":     [{"href": "https://grafana.example.com/d/disk", "text": "Dashboard"}],
//	  "timestamp": "2026-05-01T10:00:00Z"
//	}
//
// The fields:
//
//   - status: trigger (the default), acknowledge or resolve; also, in any
//     case, triggered, firing, alerting, alert, open, problem (trigger),
//     acknowledged, ack (acknowledge), resolved, ok, closed, recovered,
//     recovery (resolve).
//   - summary: required for a trigger, at most 1024 characters.
//   - severity: critical, error, warning or info, or a word
//     NormalizeSeverity knows; absent: defaultSeverity (error when that
//     names no severity).
//   - dedup_key: at most 255 characters. Without one, the key is the hex
//     SHA-256 of summary and source, so that a re-sent alert updates the
//     open one; acknowledge and resolve then need the same summary.
//   - source, component, group, class: strings.
//   - details: an object, nested at most 32 levels.
//   - links: [{"href": ..., "text": ...}], href required.
//   - timestamp: ISO 8601 (Z, +00:00 or +0000); absent: the receive time.
//   - Other fields are ignored.
//
// With a mapping (field name → JSON pointer, such as {"summary":
// "/alert/title", "status": "/state"}), each mapped field is read from its
// pointer in the sender's own payload and unmapped fields are absent. As the
// sender cannot change its payload, reading is lenient there: numbers and
// booleans are taken as strings, a summary over 1024 characters is cut, an
// unknown severity word gives the default, links may also be one href or
// an array of hrefs, timestamps may also be seconds since 1970, and
// without a details pointer the whole payload (an object within the depth
// limit) is the details. An unknown status is refused in both modes.
//
// An invalid mapping is a configuration fault, returned as a plain error
// rather than a *ValidationError; check mappings with ValidateMapping when
// configuration is loaded.
func ParseGeneric(body []byte, mapping map[string]string, defaultSev string) (Event, error) {
	if err := ValidateMapping(mapping); err != nil {
		return Event{}, fmt.Errorf("ingest: generic integration mapping: %w", err)
	}
	doc, err := decodeBody(body)
	if err != nil {
		return Event{}, err
	}
	r := genericReader{doc: doc, mapping: mapping}
	if len(mapping) == 0 {
		obj, ok := doc.(map[string]any)
		if !ok {
			return Event{}, invalid("body", "must be a JSON object")
		}
		r.obj = obj
	}
	var p problems
	ev := r.event(&p, defaultSev)
	if err := p.err(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// genericReader reads the generic fields from Vigil's own shape (obj set)
// or through a mapping of JSON pointers.
type genericReader struct {
	doc     any
	obj     map[string]any
	mapping map[string]string
}

func (r *genericReader) mapped() bool { return r.obj == nil }

// value is the raw value of a generic field; nil when absent or null.
func (r *genericReader) value(field string) any {
	if !r.mapped() {
		return r.obj[field]
	}
	pointer, ok := r.mapping[field]
	if !ok {
		return nil
	}
	tokens, _ := parsePointer(pointer) // checked by ValidateMapping
	v, _ := resolvePointer(r.doc, tokens)
	return v
}

// where tells, in mapped mode, where a field was looked for.
func (r *genericReader) where(field string) string {
	if !r.mapped() {
		return ""
	}
	if pointer, ok := r.mapping[field]; ok {
		return " (at " + strconv.Quote(pointer) + ")"
	}
	return " (not mapped)"
}

// str reads a string field; ok is false when the value has the wrong type
// (already reported).
func (r *genericReader) str(p *problems, field string) (s string, ok bool) {
	switch v := r.value(field).(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case json.Number:
		if r.mapped() {
			return v.String(), true
		}
	case bool:
		if r.mapped() {
			return strconv.FormatBool(v), true
		}
	}
	p.add(field, "must be a string%s", r.where(field))
	return "", false
}

func (r *genericReader) event(p *problems, defaultSev string) Event {
	ev := Event{Action: ActionTrigger, Severity: defaultSeverity(defaultSev)}

	if word, _ := r.str(p, "status"); word != "" {
		action, ok := statusWords[lowerTrim(word)]
		if !ok {
			p.add("status", "must be trigger, acknowledge or resolve%s", r.where("status"))
		}
		ev.Action = action
	}

	summary, ok := r.str(p, "summary")
	switch {
	case runeLen(summary) > MaxSummaryLen && r.mapped():
		summary = truncateRunes(summary, MaxSummaryLen)
	case runeLen(summary) > MaxSummaryLen:
		p.add("summary", "longer than %d characters", MaxSummaryLen)
	case summary == "" && ok && ev.Action == ActionTrigger:
		p.add("summary", "required%s", r.where("summary"))
	}
	ev.Summary = summary

	ev.Source, _ = r.str(p, "source")
	ev.Component, _ = r.str(p, "component")
	ev.Group, _ = r.str(p, "group")
	ev.Class, _ = r.str(p, "class")

	if word, _ := r.str(p, "severity"); word != "" {
		severity, ok := NormalizeSeverity(word)
		switch {
		case ok:
			ev.Severity = severity
		case !r.mapped():
			p.add("severity", "must be critical, error, warning or info")
		}
	}

	dedupKey, ok := r.str(p, "dedup_key")
	switch {
	case runeLen(dedupKey) > MaxDedupKeyLen:
		p.add("dedup_key", "longer than %d characters%s", MaxDedupKeyLen, r.where("dedup_key"))
	case dedupKey == "" && ev.Summary != "":
		dedupKey = derivedKey(ev.Summary, ev.Source)
	case dedupKey == "" && ok && ev.Action != ActionTrigger:
		p.add("dedup_key", "required for acknowledge and resolve without a summary%s", r.where("dedup_key"))
	}
	ev.DedupKey = dedupKey

	ev.Timestamp = r.timestamp(p)
	ev.Details = r.details(p)
	ev.Links = r.links(p)
	return ev
}

func (r *genericReader) timestamp(p *problems) time.Time {
	switch v := r.value("timestamp").(type) {
	case nil:
		return time.Time{}
	case string:
		t, err := parseTime(v)
		if err != nil {
			p.add("timestamp", "not an ISO 8601 date and time%s", r.where("timestamp"))
		}
		return t
	case json.Number:
		if r.mapped() {
			t, ok := unixSeconds(v)
			if !ok {
				p.add("timestamp", "not a time in seconds since 1970%s", r.where("timestamp"))
			}
			return t
		}
	}
	p.add("timestamp", "must be a string%s", r.where("timestamp"))
	return time.Time{}
}

// unixSeconds reads a number of seconds since 1970, fractions allowed, up
// to the end of year 9999.
func unixSeconds(n json.Number) (time.Time, bool) {
	f, err := n.Float64()
	if err != nil || f < 0 || f >= 253402300800 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

func (r *genericReader) details(p *problems) map[string]any {
	if !r.mapped() {
		return detailsField(p, r.obj, "", "details")
	}
	if _, ok := r.mapping["details"]; !ok {
		whole, _ := r.doc.(map[string]any)
		if tooDeep(whole, MaxDetailsDepth) {
			return nil
		}
		return whole
	}
	return detailsField(p, map[string]any{"details": r.value("details")}, "", "details")
}

func (r *genericReader) links(p *problems) []Link {
	if !r.mapped() {
		return linksField(p, r.obj, "", "links")
	}
	// A sender's own payload may hold one href, or an array of hrefs.
	var v any
	switch links := r.value("links").(type) {
	case string:
		if links != "" {
			v = []any{map[string]any{"href": links}}
		}
	case []any:
		items := make([]any, len(links))
		for i, item := range links {
			if href, ok := item.(string); ok {
				item = map[string]any{"href": href}
			}
			items[i] = item
		}
		v = items
	default:
		v = links
	}
	return linksField(p, map[string]any{"links": v}, "", "links")
}

// derivedKey is the dedup key of a generic event sent without one.
func derivedKey(summary, source string) string {
	h := sha256.New()
	writeLengthPrefixed(h, summary)
	writeLengthPrefixed(h, source)
	return hex.EncodeToString(h.Sum(nil))
}
