package ingest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
)

// keyLabels are the labels that, after alertname, best tell one alert from
// its siblings in a summary built from labels.
var keyLabels = []string{"service", "job", "instance", "namespace", "pod"}

// ParseAlertmanager parses an Alertmanager webhook notification (version 4)
// into one Event per alert.
//
//   - Action: trigger for status "firing", resolve for "resolved".
//   - DedupKey: the alert's fingerprint; without one, the hex SHA-256 of
//     its sorted labels, so that re-sent notifications still deduplicate.
//   - Summary: annotations.summary; else labels.alertname followed by the
//     key labels present (service, job, instance, namespace, pod); else the
//     group labels; else all labels. Summaries longer than 1024 characters
//     are cut, not refused: Alertmanager cannot change what it sends.
//   - Source: labels.instance, else labels.job, else the host of externalURL.
//   - Severity: the severity label through NormalizeSeverity (so page →
//     critical, ticket → warning), else defaultSeverity (error when that
//     names no severity).
//   - Timestamp: startsAt when firing, endsAt when resolved; Alertmanager's
//     unset time 0001-01-01T00:00:00Z reads as zero.
//   - Details: labels, annotations, startsAt, endsAt, generatorURL.
//   - Links: generatorURL ("Source") and annotations.runbook_url ("Runbook").
//   - Client "Alertmanager", ClientURL externalURL, Fingerprint, GroupKey.
//
// The version is not checked (a missing or newer one is accepted, as
// Alertmanager keeps the shape compatible), nor are fields Vigil does not
// use, such as truncatedAlerts, notification_reason or routeLabels. The
// structure of what is used is strict: alerts must be an array, each alert
// an object with status firing or resolved and labels an object of strings.
func ParseAlertmanager(body []byte, defaultSeverity string) ([]Event, error) {
	return parseAlertGroup(body, defaultSeverity, false)
}

// ParseGrafana parses a Grafana alerting webhook notification: the
// Alertmanager shape (see ParseAlertmanager, whose rules apply) with version
// "1" and additions. An alert resolves on status "resolved", and every alert
// resolves when the top-level state is "ok". A summary without a summary
// annotation or alertname falls back on the title before the group labels.
// Details add values and valueString; Links add dashboardURL ("Dashboard"),
// panelURL ("Panel") and silenceURL ("Silence"); Images hold imageURL; the
// Client is "Grafana".
func ParseGrafana(body []byte, defaultSeverity string) ([]Event, error) {
	return parseAlertGroup(body, defaultSeverity, true)
}

// group is what a notification says about all of its alerts.
type group struct {
	key         string
	labels      map[string]any
	externalURL string
	client      string
	severity    alert.Severity
	grafana     bool
	title       string // Grafana
	resolved    bool   // Grafana: state "ok"
}

func parseAlertGroup(body []byte, defaultSev string, grafana bool) ([]Event, error) {
	doc, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	var p problems
	stringField(&p, doc, "", "version")
	g := group{
		key:         stringField(&p, doc, "", "groupKey"),
		labels:      stringMapField(&p, doc, "", "groupLabels"),
		externalURL: stringField(&p, doc, "", "externalURL"),
		client:      "Alertmanager",
		severity:    defaultSeverity(defaultSev),
		grafana:     grafana,
	}
	if grafana {
		g.client = "Grafana"
		g.title = stringField(&p, doc, "", "title")
		g.resolved = stringField(&p, doc, "", "state") == "ok"
	}
	if absent(doc, "alerts") {
		p.add("alerts", "required")
	}
	events := objectsField(&p, doc, "", "alerts", func(alert map[string]any, at string) (Event, bool) {
		return g.event(&p, alert, at)
	})
	if err := p.err(); err != nil {
		return nil, err
	}
	return events, nil
}

// event reads one alert; ok is false when it has problems.
func (g *group) event(p *problems, alert map[string]any, at string) (Event, bool) {
	before := len(p.list)
	var ev Event
	switch status := requiredString(p, alert, at, "status"); status {
	case "firing":
		ev.Action = ActionTrigger
	case "resolved":
		ev.Action = ActionResolve
	case "":
	default:
		p.add(fieldName(at, "status"), "must be firing or resolved")
	}
	if g.resolved {
		ev.Action = ActionResolve
	}
	if absent(alert, "labels") {
		p.add(fieldName(at, "labels"), "required")
	}
	labels := stringMapField(p, alert, at, "labels")
	annotations := stringMapField(p, alert, at, "annotations")
	startsAt, start := alertTime(p, alert, at, "startsAt")
	endsAt, end := alertTime(p, alert, at, "endsAt")
	generatorURL := stringField(p, alert, at, "generatorURL")
	ev.Fingerprint = stringField(p, alert, at, "fingerprint")
	if runeLen(ev.Fingerprint) > MaxDedupKeyLen {
		p.add(fieldName(at, "fingerprint"), "longer than %d characters", MaxDedupKeyLen)
	}

	ev.DedupKey = ev.Fingerprint
	if ev.DedupKey == "" {
		ev.DedupKey = labelsKey(labels)
	}
	ev.Summary = truncateRunes(g.summary(labels, annotations), MaxSummaryLen)
	ev.Source = g.source(labels)
	ev.Severity = g.severity
	if s, ok := NormalizeSeverity(label(labels, "severity")); ok {
		ev.Severity = s
	}
	ev.Timestamp = start
	if ev.Action == ActionResolve {
		ev.Timestamp = end
	}
	ev.Client = g.client
	ev.ClientURL = g.externalURL
	ev.GroupKey = g.key

	ev.Details = map[string]any{"labels": labels}
	if annotations != nil {
		ev.Details["annotations"] = annotations
	}
	if !start.IsZero() {
		ev.Details["startsAt"] = startsAt
	}
	if !end.IsZero() {
		ev.Details["endsAt"] = endsAt
	}
	if generatorURL != "" {
		ev.Details["generatorURL"] = generatorURL
		ev.Links = append(ev.Links, Link{Href: generatorURL, Text: "Source"})
	}
	if runbook := label(annotations, "runbook_url"); runbook != "" {
		ev.Links = append(ev.Links, Link{Href: runbook, Text: "Runbook"})
	}
	if g.grafana {
		g.grafanaExtras(p, alert, at, &ev)
	}
	return ev, len(p.list) == before
}

// grafanaExtras reads what Grafana adds to each alert.
func (g *group) grafanaExtras(p *problems, alert map[string]any, at string, ev *Event) {
	for _, l := range []struct{ key, text string }{
		{"dashboardURL", "Dashboard"},
		{"panelURL", "Panel"},
		{"silenceURL", "Silence"},
	} {
		if href := stringField(p, alert, at, l.key); href != "" {
			ev.Links = append(ev.Links, Link{Href: href, Text: l.text})
		}
	}
	if values := objectField(p, alert, at, "values"); values != nil {
		name := fieldName(at, "values")
		for _, ref := range slices.Sorted(maps.Keys(values)) {
			if _, isNumber := values[ref].(json.Number); !isNumber && values[ref] != nil {
				p.add(fieldName(name, ref), "must be a number")
			}
		}
		ev.Details["values"] = values
	}
	if s := stringField(p, alert, at, "valueString"); s != "" {
		ev.Details["valueString"] = s
	}
	if src := stringField(p, alert, at, "imageURL"); src != "" {
		ev.Images = append(ev.Images, Image{Src: src})
	}
}

// summary picks the best title the alert offers (see ParseAlertmanager).
func (g *group) summary(labels, annotations map[string]any) string {
	if s := strings.TrimSpace(label(annotations, "summary")); s != "" {
		return s
	}
	if name := label(labels, "alertname"); name != "" {
		var parts []string
		for _, k := range keyLabels {
			if v := label(labels, k); v != "" {
				parts = append(parts, k+"="+v)
			}
		}
		if len(parts) == 0 {
			return name
		}
		return name + " (" + strings.Join(parts, ", ") + ")"
	}
	if g.title != "" {
		return g.title
	}
	if s := joinLabels(g.labels); s != "" {
		return s
	}
	if s := joinLabels(labels); s != "" {
		return s
	}
	return g.client + " alert"
}

func (g *group) source(labels map[string]any) string {
	if s := label(labels, "instance"); s != "" {
		return s
	}
	if s := label(labels, "job"); s != "" {
		return s
	}
	if u, err := url.Parse(g.externalURL); err == nil {
		return u.Host
	}
	return ""
}

// alertTime reads startsAt or endsAt as given and parsed, reading
// Alertmanager's unset time (year 1) as zero.
func alertTime(p *problems, alert map[string]any, at, key string) (string, time.Time) {
	s := stringField(p, alert, at, key)
	if s == "" {
		return "", time.Time{}
	}
	t, err := parseTime(s)
	if err != nil {
		p.add(fieldName(at, key), "not an RFC 3339 date and time")
		return s, time.Time{}
	}
	if t.Year() <= 1 {
		return s, time.Time{}
	}
	return s, t
}

// stringMapField reads an optional object whose values must all be strings,
// such as labels and annotations.
func stringMapField(p *problems, obj map[string]any, parent, key string) map[string]any {
	m := objectField(p, obj, parent, key)
	var bad []string
	for k, v := range m {
		if _, ok := v.(string); !ok {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		name := fieldName(parent, key)
		slices.Sort(bad)
		for _, k := range bad {
			p.add(fieldName(name, k), "must be a string")
		}
	}
	return m
}

// label reads a value of a string map checked by stringMapField.
func label(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// joinLabels renders labels as "k=v, k=v" in key order.
func joinLabels(labels map[string]any) string {
	parts := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+label(labels, k))
	}
	return strings.Join(parts, ", ")
}

// labelsKey identifies an alert that came without a fingerprint: the hex
// SHA-256 of its labels sorted by name, each name and value prefixed with
// its length (a uvarint) so that no two label sets hash alike by accident.
func labelsKey(labels map[string]any) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		writeLengthPrefixed(h, k)
		writeLengthPrefixed(h, label(labels, k))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeLengthPrefixed(h hash.Hash, s string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	h.Write([]byte(s))
}
