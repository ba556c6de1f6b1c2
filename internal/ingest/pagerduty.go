package ingest

import (
	"crypto/rand"

	"github.com/vigil-oncall/vigil/internal/alert"
)

// ParsePagerDuty parses a PagerDuty Events API v2 event (POST /v2/enqueue)
// and returns its routing key and the event.
//
// The rules are PagerDuty's: routing_key (32 characters) and event_action
// (trigger, acknowledge, resolve) are required; dedup_key is at most 255
// characters and required for acknowledge and resolve; a trigger needs
// payload.summary (at most 1024 characters), payload.source and
// payload.severity (critical, error, warning, info). payload.timestamp is
// ISO 8601 with a Z, +00:00 or +0000 offset. Unknown fields are ignored, as
// PagerDuty ignores them, and so is the payload of acknowledge and resolve
// events, along with client, links and images, which PagerDuty only reads
// on triggers.
//
// A trigger without a dedup key gets one from newKey; nil means random
// keys (crypto/rand.Text).
func ParsePagerDuty(body []byte, newKey func() string) (routingKey string, ev Event, err error) {
	doc, err := decodeObject(body)
	if err != nil {
		return "", Event{}, err
	}
	var p problems
	routingKey = routingKeyField(&p, doc)

	actionWord := requiredString(&p, doc, "", "event_action")
	action := Action(actionWord)
	switch action {
	case ActionTrigger, ActionAcknowledge, ActionResolve:
	default:
		if actionWord != "" {
			p.add("event_action", "must be trigger, acknowledge or resolve")
		}
	}

	ev = Event{Action: action, DedupKey: stringField(&p, doc, "", "dedup_key")}
	if runeLen(ev.DedupKey) > MaxDedupKeyLen {
		p.add("dedup_key", "longer than %d characters", MaxDedupKeyLen)
	}
	switch action {
	case ActionTrigger:
		readTrigger(&p, doc, &ev)
	case ActionAcknowledge, ActionResolve:
		// A dedup_key of the wrong type is already reported.
		if _, isString := doc["dedup_key"].(string); ev.DedupKey == "" && (isString || absent(doc, "dedup_key")) {
			p.add("dedup_key", "required for acknowledge and resolve")
		}
	}
	if err := p.err(); err != nil {
		return "", Event{}, err
	}
	if ev.DedupKey == "" {
		if newKey == nil {
			newKey = rand.Text
		}
		ev.DedupKey = newKey()
	}
	return routingKey, ev, nil
}

// readTrigger reads the parts of a PagerDuty event only triggers carry.
func readTrigger(p *problems, doc map[string]any, ev *Event) {
	if absent(doc, "payload") {
		p.add("payload", "required")
	}
	payload := objectField(p, doc, "", "payload")
	if payload != nil {
		ev.Summary = requiredString(p, payload, "payload", "summary")
		if runeLen(ev.Summary) > MaxSummaryLen {
			p.add("payload.summary", "longer than %d characters", MaxSummaryLen)
		}
		ev.Source = requiredString(p, payload, "payload", "source")
		if severity := requiredString(p, payload, "payload", "severity"); severity != "" {
			switch severity := alert.Severity(severity); severity {
			case SeverityCritical, SeverityError, SeverityWarning, SeverityInfo:
				ev.Severity = severity
			default:
				p.add("payload.severity", "must be critical, error, warning or info")
			}
		}
		ev.Timestamp = timeField(p, payload, "payload", "timestamp")
		ev.Component = stringField(p, payload, "payload", "component")
		ev.Group = stringField(p, payload, "payload", "group")
		ev.Class = stringField(p, payload, "payload", "class")
		ev.Details = detailsField(p, payload, "payload", "custom_details")
	}
	ev.Client = stringField(p, doc, "", "client")
	ev.ClientURL = stringField(p, doc, "", "client_url")
	ev.Links = linksField(p, doc, "", "links")
	ev.Images = imagesField(p, doc, "", "images")
}

// ParseChange parses a PagerDuty change event (POST /v2/change/enqueue) and
// returns its routing key and the event. routing_key and payload.summary
// (at most 1024 characters) are required; payload.source,
// payload.timestamp, payload.custom_details and links are optional.
func ParseChange(body []byte) (routingKey string, ev ChangeEvent, err error) {
	doc, err := decodeObject(body)
	if err != nil {
		return "", ChangeEvent{}, err
	}
	var p problems
	routingKey = routingKeyField(&p, doc)
	if absent(doc, "payload") {
		p.add("payload", "required")
	}
	if payload := objectField(&p, doc, "", "payload"); payload != nil {
		ev.Summary = requiredString(&p, payload, "payload", "summary")
		if runeLen(ev.Summary) > MaxSummaryLen {
			p.add("payload.summary", "longer than %d characters", MaxSummaryLen)
		}
		ev.Source = stringField(&p, payload, "payload", "source")
		ev.Timestamp = timeField(&p, payload, "payload", "timestamp")
		ev.Details = detailsField(&p, payload, "payload", "custom_details")
	}
	ev.Links = linksField(&p, doc, "", "links")
	if err := p.err(); err != nil {
		return "", ChangeEvent{}, err
	}
	return routingKey, ev, nil
}

func routingKeyField(p *problems, doc map[string]any) string {
	key := requiredString(p, doc, "", "routing_key")
	if key != "" && runeLen(key) != RoutingKeyLen {
		p.add("routing_key", "must be %d characters", RoutingKeyLen)
	}
	return key
}
