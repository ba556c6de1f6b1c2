package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Events of org-wide integrations (org.integrations) are routed to
// services by org.event_rules as they are accepted, with the snapshot of
// the configuration that answers the sender; what no rule routes is kept
// in the unrouted and suppressed lists.

// errNoIntegration: no integration of the kind has the key.
var errNoIntegration = errors.New("no integration has this key")

func newEventOutcomes() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigil_org_events_total",
		Help: "Events of org-wide integrations by what org.event_rules did with them: routed, suppressed or unrouted.",
	}, []string{"outcome"})
}

// ingestIntegration finds the integration of kind with key: a service's,
// else the org's.
func (s *Server) ingestIntegration(key, kind string) *catalog.Integration {
	snap := s.org.Snapshot()
	if _, in := snap.Integration(key); in != nil && in.Type == kind {
		return in
	}
	if in := snap.OrgIntegration(key); in != nil && in.Type == kind {
		return in
	}
	return nil
}

// routedBatch is the inbox events of one request, and the outcomes to
// count once they are stored (none for a service's own integration).
type routedBatch struct {
	events   []store.InboxEvent
	outcomes []string
}

// ingestEvents turns parsed events into inbox events: a service's
// integration takes them to its service, an org-wide one routes each by
// the event rules.
func (s *Server) ingestEvents(key, kind string, events []ingest.Event) (routedBatch, *catalog.Integration, error) {
	snap := s.org.Snapshot()
	b := routedBatch{events: make([]store.InboxEvent, len(events))}
	if svc, in := snap.Integration(key); in != nil && in.Type == kind {
		for i, ev := range events {
			b.events[i] = pipeline.AlertEvent(snap, key, svc, ev)
		}
		return b, in, nil
	}
	in := snap.OrgIntegration(key)
	if in == nil || in.Type != kind {
		return b, nil, errNoIntegration
	}
	b.outcomes = make([]string, len(events))
	for i, ev := range events {
		b.events[i], b.outcomes[i] = pipeline.RouteOrgEvent(snap, key, in, ev)
	}
	return b, in, nil
}

// acceptRouted stores a batch durably, then counts its outcomes.
func (s *Server) acceptRouted(r *http.Request, b routedBatch) error {
	if err := s.accept(r, b.events...); err != nil {
		return err
	}
	for _, o := range b.outcomes {
		s.countRouted(o, 1)
	}
	return nil
}

func (s *Server) countRouted(outcome string, n int) {
	if outcome != "" {
		s.eventOutcomes.WithLabelValues(outcome).Add(float64(n))
	}
}

// changeService finds the service a change event of key belongs to: the
// service of its integration, or where the org's rules route it, with the
// outcome to count. When the rules route it nowhere, service is empty and
// kept is the inbox event that keeps it in the suppressed or unrouted
// list. in is nil when no integration has the key.
func (s *Server) changeService(key string, c *ingest.ChangeEvent) (service string, in *catalog.Integration, outcome string, kept store.InboxEvent) {
	snap := s.org.Snapshot()
	if svc, in := snap.Integration(key); in != nil {
		return svc.ID, in, "", kept
	}
	if in = snap.OrgIntegration(key); in == nil {
		return "", nil, "", kept
	}
	service, outcome, kept = pipeline.RouteOrgChange(snap, key, in, c)
	return service, in, outcome, kept
}

// ruledEvent is one entry of the unrouted or suppressed list.
type ruledEvent struct {
	ID         int64     `json:"id"`
	RecordedAt time.Time `json:"recorded_at"`
	pipeline.RuledEvent
}

// listRuled lists the events of org-wide integrations kept under an audit
// kind (pipeline.AuditUnrouted or AuditSuppressed), newest first, recorded
// in [from, to) when the request bounds them.
func (s *Server) listRuled(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
		p, before, err := parseIDList(r)
		if err != nil {
			return err
		}
		q := store.AuditQuery{Kind: kind, BeforeID: before, Limit: p.limit + 1}
		if q.From, err = reportTime(r, "from", time.Time{}); err != nil {
			return err
		}
		if q.To, err = reportTime(r, "to", time.Time{}); err != nil {
			return err
		}
		entries, err := s.store.ListAudit(r.Context(), q)
		if err != nil {
			return fmt.Errorf("read the %s events: %w", kind, err)
		}
		events := make([]ruledEvent, 0, len(entries))
		for _, e := range entries {
			ev := ruledEvent{ID: e.ID, RecordedAt: e.At}
			if err := json.Unmarshal(e.After, &ev.RuledEvent); err != nil {
				return fmt.Errorf("read %s event %d: %w", kind, e.ID, err)
			}
			events = append(events, ev)
		}
		writeIDPage(w, "events", events, p.limit, func(e ruledEvent) int64 { return e.ID })
		return nil
	}
}
