// Package history reads the alert histories the simulator replays: Vigil's
// own export (JSON lines, one alert each), an Alertmanager webhook log (the
// webhook payloads as JSON lines, as a receiver logged them) and a
// PagerDuty incidents export (the REST API's GET /incidents list responses
// saved as JSON). It also reads the mapping file that renames services.
//
// Every reader refuses input that is not what it says it is, naming the
// line or incident, and bounds what it reads (MaxLine, MaxAlerts,
// MaxPagerDutyBytes), since a history may come from anywhere.
package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-oncall/vigil/internal/importer"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/simulate"
)

// Formats a history may be in.
const (
	FormatAuto         = "auto"
	FormatVigil        = "vigil"
	FormatAlertmanager = "alertmanager"
	FormatPagerDuty    = "pagerduty"
)

// Formats lists them, for flags and errors.
var Formats = []string{FormatAuto, FormatVigil, FormatAlertmanager, FormatPagerDuty}

// Limits.
const (
	// MaxLine is the longest line of a JSON lines history: an Alertmanager
	// payload is at most ingest.MaxBodyBytes, a Vigil alert far less.
	MaxLine = ingest.MaxBodyBytes + 1024
	// MaxAlerts bounds the alerts of one history.
	MaxAlerts = 5_000_000
	// MaxPagerDutyBytes bounds a PagerDuty export.
	MaxPagerDutyBytes = 512 << 20
	// maxID is the longest service id (the configuration's rule).
	maxID = importer.MaxID
)

// ErrTooMany is returned for a history of more than MaxAlerts alerts.
var ErrTooMany = fmt.Errorf("more than %d alerts: replay a shorter period", MaxAlerts)

// Read reads a history in the given format; FormatAuto tells the format
// by the first JSON value.
func Read(r io.Reader, format string) ([]simulate.Alert, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if format == FormatAuto || format == "" {
		var err error
		if format, err = detect(br); err != nil {
			return nil, err
		}
	}
	switch format {
	case FormatVigil:
		return ReadVigil(br)
	case FormatAlertmanager:
		return ReadAlertmanager(br)
	case FormatPagerDuty:
		return ReadPagerDuty(br)
	}
	return nil, fmt.Errorf("unknown history format %q (use %s)", format, strings.Join(Formats, ", "))
}

// detect peeks at the first JSON value: an array or an object with
// "incidents" is PagerDuty's, one with "alerts" Alertmanager's, one with
// "timestamp" and "service" Vigil's.
func detect(br *bufio.Reader) (string, error) {
	head, _ := br.Peek(MaxLine)
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(head) == 0 {
		return FormatVigil, nil // empty: no alerts in any format
	}
	if head[0] == '[' {
		return FormatPagerDuty, nil
	}
	var first map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(head)).Decode(&first); err != nil {
		return "", fmt.Errorf("history: cannot tell its format from the first JSON value: %w", err)
	}
	switch {
	case first["incidents"] != nil:
		return FormatPagerDuty, nil
	case first["alerts"] != nil:
		return FormatAlertmanager, nil
	case first["timestamp"] != nil && first["service"] != nil:
		return FormatVigil, nil
	}
	return "", errors.New("history: the first JSON value is neither a Vigil alert (timestamp, service), an Alertmanager webhook payload (alerts) nor a PagerDuty incidents list (incidents)")
}

// lines calls fn with each non-blank line and its number.
func lines(r io.Reader, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := fn(n, line); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d: longer than %d bytes", n+1, MaxLine)
		}
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return nil
}

// ReadVigil reads "vigil export history": one JSON object a line with
// timestamp, service, severity, summary, dedup_key and, where known,
// acknowledged_at and resolved_at. Unknown fields are ignored.
func ReadVigil(r io.Reader) ([]simulate.Alert, error) {
	var out []simulate.Alert
	err := lines(r, func(_ int, line []byte) error {
		var a simulate.Alert
		if err := json.Unmarshal(line, &a); err != nil {
			return fmt.Errorf("not an alert: %w", err)
		}
		if err := check(&a); err != nil {
			return err
		}
		if len(out) >= MaxAlerts {
			return ErrTooMany
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// check refuses an alert the simulator cannot replay and normalises its
// severity word.
func check(a *simulate.Alert) error {
	switch {
	case a.Timestamp.IsZero():
		return errors.New("timestamp is required")
	case a.Service == "":
		return errors.New("service is required")
	case len(a.Service) > maxID:
		return fmt.Errorf("service is longer than %d characters", maxID)
	case len([]rune(a.DedupKey)) > ingest.MaxDedupKeyLen:
		return fmt.Errorf("dedup_key is longer than %d characters", ingest.MaxDedupKeyLen)
	case len([]rune(a.Summary)) > ingest.MaxSummaryLen:
		return fmt.Errorf("summary is longer than %d characters", ingest.MaxSummaryLen)
	case a.AcknowledgedAt != nil && a.AcknowledgedAt.Before(a.Timestamp):
		return errors.New("acknowledged_at is before timestamp")
	case a.ResolvedAt != nil && a.ResolvedAt.Before(a.Timestamp):
		return errors.New("resolved_at is before timestamp")
	}
	if a.Severity == "" {
		a.Severity = string(ingest.SeverityError) // as the server reads a trigger without one
		return nil
	}
	sev, ok := ingest.NormalizeSeverity(a.Severity)
	if !ok {
		return fmt.Errorf("severity %q is not critical, error, warning or info", a.Severity)
	}
	a.Severity = string(sev)
	return nil
}

// ReadAlertmanager reads webhook payloads, one a line, with the server's
// own parser (ingest.ParseAlertmanager): a firing alert opens at its
// startsAt and resolves at the endsAt of the payload that says it
// resolved; Alertmanager re-sends a firing alert every repeat_interval,
// which counts once (same fingerprint, same startsAt). The service is the
// alert's "service" label, else its "job" label, else the receiver.
// Alertmanager knows nothing of acknowledgements.
func ReadAlertmanager(r io.Reader) ([]simulate.Alert, error) {
	var out []simulate.Alert
	type firing struct {
		key   string
		start time.Time
	}
	seen := map[firing]int{}
	openByKey := map[string]int{} // the latest firing alert of each key
	err := lines(r, func(_ int, line []byte) error {
		events, err := ingest.ParseAlertmanager(line, "")
		if err != nil {
			return fmt.Errorf("not an Alertmanager webhook payload: %w", err)
		}
		var top struct {
			Receiver string `json:"receiver"`
		}
		_ = json.Unmarshal(line, &top) // ParseAlertmanager has read it already
		for _, ev := range events {
			service := serviceOf(ev, top.Receiver)
			key := service + "\x00" + ev.DedupKey
			switch ev.Action {
			case ingest.ActionTrigger:
				if ev.Timestamp.IsZero() {
					return fmt.Errorf("firing alert %s has no startsAt", ev.DedupKey)
				}
				f := firing{key, ev.Timestamp}
				if _, ok := seen[f]; ok {
					continue // re-sent
				}
				a := simulate.Alert{Timestamp: ev.Timestamp, Service: service, Severity: string(ev.Severity), Summary: ev.Summary, DedupKey: ev.DedupKey}
				if err := check(&a); err != nil {
					return fmt.Errorf("alert %s: %w", ev.DedupKey, err)
				}
				if len(out) >= MaxAlerts {
					return ErrTooMany
				}
				seen[f] = len(out)
				openByKey[key] = len(out)
				out = append(out, a)
			case ingest.ActionResolve:
				i, ok := openByKey[key]
				if !ok || out[i].ResolvedAt != nil {
					continue // resolved before the log began, or again
				}
				at := ev.Timestamp
				if at.Before(out[i].Timestamp) {
					continue // an endsAt before its start says nothing
				}
				out[i].ResolvedAt = &at
			}
		}
		return nil
	})
	return out, err
}

// serviceOf names the service an Alertmanager alert is about.
func serviceOf(ev ingest.Event, receiver string) string {
	labels, _ := ev.Details["labels"].(map[string]any)
	for _, name := range []string{"service", "job"} {
		if s, ok := labels[name].(string); ok && s != "" {
			return s
		}
	}
	return receiver
}

// pdIncident is what the simulator reads of a PagerDuty incident.
type pdIncident struct {
	ID                 string     `json:"id"`
	IncidentKey        string     `json:"incident_key"`
	Title              string     `json:"title"`
	Status             string     `json:"status"`
	Urgency            string     `json:"urgency"`
	CreatedAt          *time.Time `json:"created_at"`
	LastStatusChangeAt *time.Time `json:"last_status_change_at"`
	Service            *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"service"`
	Acknowledgements []struct {
		At *time.Time `json:"at"`
	} `json:"acknowledgements"`
}

type pdPage struct {
	Incidents []pdIncident `json:"incidents"`
}

// ReadPagerDuty reads the responses of PagerDuty's GET /incidents (with
// statuses[]=resolved and since/until over the period), saved as JSON:
// one response, several one after another (one per page of offset), or
// an array of them. Each incident is one alert: created_at; the service
// by name, slugified as "vigil import pagerduty" names it ("Payments API"
// → payments-api); urgency high as severity error (it pages), low as
// warning; the first acknowledgement's time; and for a resolved incident
// last_status_change_at as its resolution.
func ReadPagerDuty(r io.Reader) ([]simulate.Alert, error) {
	return readPagerDuty(r, MaxPagerDutyBytes)
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func readPagerDuty(r io.Reader, limit int64) ([]simulate.Alert, error) {
	in := &counter{r: io.LimitReader(r, limit+1)}
	dec := json.NewDecoder(in)
	var out []simulate.Alert
	for page := 1; ; page++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			if in.n > limit {
				return nil, fmt.Errorf("PagerDuty export larger than %d bytes", limit)
			}
			return nil, fmt.Errorf("PagerDuty export, response %d: %w", page, err)
		}
		var pages []pdPage
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			err = json.Unmarshal(raw, &pages)
		} else {
			var p pdPage
			err = json.Unmarshal(raw, &p)
			pages = []pdPage{p}
		}
		if err != nil {
			return nil, fmt.Errorf("PagerDuty export, response %d: not an incidents list: %w", page, err)
		}
		for _, p := range pages {
			for i, inc := range p.Incidents {
				a, err := pdAlert(inc)
				if err != nil {
					return nil, fmt.Errorf("PagerDuty export, response %d, incident %d (%s): %w", page, i+1, inc.ID, err)
				}
				if len(out) >= MaxAlerts {
					return nil, ErrTooMany
				}
				out = append(out, a)
			}
		}
	}
}

func pdAlert(inc pdIncident) (simulate.Alert, error) {
	if inc.CreatedAt == nil {
		return simulate.Alert{}, errors.New("created_at is required")
	}
	if inc.Service == nil || (inc.Service.Summary == "" && inc.Service.ID == "") {
		return simulate.Alert{}, errors.New("service is required")
	}
	service := importer.Slug(inc.Service.Summary)
	if service == "" {
		service = importer.Slug(inc.Service.ID)
	}
	a := simulate.Alert{Timestamp: *inc.CreatedAt, Service: service, Summary: truncate(inc.Title, ingest.MaxSummaryLen), DedupKey: inc.IncidentKey}
	if a.DedupKey == "" {
		a.DedupKey = inc.ID
	}
	a.DedupKey = truncate(a.DedupKey, ingest.MaxDedupKeyLen)
	switch inc.Urgency {
	case "high", "":
		a.Severity = string(ingest.SeverityError)
	case "low":
		a.Severity = string(ingest.SeverityWarning)
	default:
		return simulate.Alert{}, fmt.Errorf("urgency %q is neither high nor low", inc.Urgency)
	}
	for _, ack := range inc.Acknowledgements {
		if ack.At != nil && !ack.At.Before(a.Timestamp) && (a.AcknowledgedAt == nil || ack.At.Before(*a.AcknowledgedAt)) {
			at := *ack.At
			a.AcknowledgedAt = &at
		}
	}
	if inc.Status == "resolved" && inc.LastStatusChangeAt != nil && !inc.LastStatusChangeAt.Before(a.Timestamp) {
		at := *inc.LastStatusChangeAt
		a.ResolvedAt = &at
	}
	return a, check(&a)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// idPattern is the configuration's rule for ids.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// MaxMapBytes bounds a mapping file.
const MaxMapBytes = 4 << 20

// ReadMap reads a mapping file: YAML, one "old: new" a line, renaming the
// history's services to an organisation's.
func ReadMap(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxMapBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the mapping: %w", err)
	}
	if len(data) > MaxMapBytes {
		return nil, fmt.Errorf("the mapping is larger than %d bytes", MaxMapBytes)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("the mapping is not YAML: %w", err)
	}
	out := map[string]string{}
	if len(doc.Content) == 0 {
		return out, nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the mapping must be \"old: new\" pairs", m.Line)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: each entry is \"old: new\", two service ids", k.Line)
		}
		if k.Value == "" || len(k.Value) > maxID {
			return nil, fmt.Errorf("line %d: %q is not a service id of at most %d characters", k.Line, k.Value, maxID)
		}
		if !idPattern.MatchString(v.Value) || len(v.Value) > maxID {
			return nil, fmt.Errorf("line %d: %q is not a service id (lowercase letters, digits and '-')", v.Line, v.Value)
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("line %d: %q is mapped twice", k.Line, k.Value)
		}
		out[k.Value] = v.Value
	}
	return out, nil
}

// Rename applies a mapping to the alerts in place.
func Rename(alerts []simulate.Alert, mapping map[string]string) {
	if len(mapping) == 0 {
		return
	}
	for i := range alerts {
		if to, ok := mapping[alerts[i].Service]; ok {
			alerts[i].Service = to
		}
	}
}
