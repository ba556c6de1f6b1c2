package sqlbackend

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/store"
)

// The reports' queries. Each reads a period from an index on time (pages,
// incidents, alerts) or a small table (served shifts), in one query or a
// few, never one per person or per incident.

// checkPeriod refuses a period the reports could not mean.
func checkPeriod(from, to time.Time) error {
	if from.IsZero() || to.IsZero() || !to.After(from) {
		return fmt.Errorf("period %s to %s is empty", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return nil
}

// ReportPages returns the first pages of each incident to each person in
// [from, to).
func (db *DB) ReportPages(ctx context.Context, from, to time.Time) ([]report.Page, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, fmt.Errorf("report pages: %w", err)
	}
	pages, err := queryAll(ctx, db.b.Read, func(row Row) (report.Page, error) {
		var p report.Page
		err := row.Scan(&p.Incident, &p.User, instant{&p.At}, &p.TimeZone)
		return p, err
	}, `SELECT incident_id, user_id, at, time_zone FROM report_pages WHERE at >= $1 AND at < $2 ORDER BY at, incident_id, user_id`,
		UTC(from), UTC(to))
	if err != nil {
		return nil, fmt.Errorf("report pages: %w", err)
	}
	return pages, nil
}

const reportIncidentColumns = `id, title, service, created_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, escalated, notes,
	customer_impact, severity, urgency, major`

// scanReportIncident reads an incident's record. Its severity is the one it
// has now (the one it was settled on, or holds while open), not the highest
// it reached in the period: the reports group and count incidents by what
// they were judged to be, as the post-mortem policy does, and the simulator's
// records (whose severity never changes) mean the same. A question about a
// past instant, such as the release gate's, reads that instant's severity
// back from the timeline's severity entries (incident.SeverityAt).
func scanReportIncident(row Row) (report.Incident, error) {
	var i report.Incident
	var escalated, impact, major int
	err := row.Scan(&i.ID, &i.Title, &i.Service, instant{&i.CreatedAt}, nullInstant{&i.AcknowledgedAt}, &i.AcknowledgedBy,
		nullInstant{&i.ResolvedAt}, &i.ResolvedBy, &escalated, &i.Notes, &impact, &i.Severity, &i.Urgency, &major)
	i.Escalated, i.CustomerImpact, i.Major = escalated != 0, impact != 0, major != 0
	return i, err
}

// ReportIncidents returns the incidents of a period, by id.
func (db *DB) ReportIncidents(ctx context.Context, q store.ReportIncidentQuery) ([]report.Incident, error) {
	if err := checkPeriod(q.From, q.To); err != nil {
		return nil, fmt.Errorf("report incidents: %w", err)
	}
	from, to := UTC(q.From), UTC(q.To)
	// Opened in the period; with Active, also opened before and resolved
	// in it or still open: three index ranges rather than one scan.
	query := `SELECT ` + reportIncidentColumns + ` FROM incidents WHERE created_at >= $1 AND created_at < $2`
	if q.Active {
		query += ` UNION ALL SELECT ` + reportIncidentColumns + ` FROM incidents WHERE resolved_at >= $1 AND created_at < $1
			UNION ALL SELECT ` + reportIncidentColumns + ` FROM incidents WHERE status <> 'resolved' AND created_at < $1`
	}
	incidents, err := queryAll(ctx, db.b.Read, scanReportIncident, query, from, to)
	if err != nil {
		return nil, fmt.Errorf("report incidents: %w", err)
	}
	slices.SortFunc(incidents, func(a, b report.Incident) int { return cmp.Compare(a.ID, b.ID) })
	incidents = slices.CompactFunc(incidents, func(a, b report.Incident) bool { return a.ID == b.ID })
	ids := make([]int64, len(incidents))
	byID := make(map[int64]*report.Incident, len(incidents))
	for k := range incidents {
		ids[k] = incidents[k].ID
		byID[incidents[k].ID] = &incidents[k]
	}
	if len(ids) == 0 {
		return incidents, nil
	}
	idList := list(db.d, ids)
	err = each(ctx, db.b.Read, func(row Row) error {
		var id int64
		var service string
		if err := row.Scan(&id, &service); err != nil {
			return err
		}
		i := byID[id]
		i.Services = append(i.Services, service)
		return nil
	}, `SELECT incident_id, service FROM incident_services WHERE `+db.d.in("incident_id", "$1", "bigint")+` ORDER BY incident_id, service`, idList)
	if err != nil {
		return nil, fmt.Errorf("report incidents: services: %w", err)
	}
	if q.Engagements {
		err = each(ctx, db.b.Read, func(row Row) error {
			e, err := scanTimelineEntry(row)
			if err != nil {
				return err
			}
			if en, ok := engagementOf(e); ok {
				i := byID[e.IncidentID]
				i.Engagements = append(i.Engagements, en)
			}
			return nil
		}, `SELECT id, incident_id, at, kind, actor, channel, message, data FROM timeline
			WHERE kind IN ('acknowledged', 'role') AND `+db.d.in("incident_id", "$1", "bigint")+` ORDER BY incident_id, at, id`, idList)
		if err != nil {
			return nil, fmt.Errorf("report incidents: engagements: %w", err)
		}
	}
	return incidents, nil
}

// engagementOf reads who took part from a timeline entry: a person's
// acknowledgement makes them a responder; a role entry gives its role.
func engagementOf(e incident.TimelineEntry) (report.Engagement, bool) {
	if role, user, ok := incident.RoleChange(e); ok {
		return report.Engagement{At: e.At, User: user, Role: string(role)}, true
	}
	if e.Kind == incident.EntryAcknowledged {
		if user, ok := strings.CutPrefix(e.Actor, "user:"); ok && user != "" {
			return report.Engagement{At: e.At, User: user, Role: report.RoleResponder}, true
		}
	}
	return report.Engagement{}, false
}

// each runs a query and calls fn on each row.
func each(ctx context.Context, c Conn, fn func(Row) error, query string, args ...any) error {
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ReportShifts returns the served shifts overlapping [from, to).
func (db *DB) ReportShifts(ctx context.Context, from, to time.Time) ([]report.Shift, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, fmt.Errorf("report shifts: %w", err)
	}
	shifts, err := queryAll(ctx, db.b.Read, func(row Row) (report.Shift, error) {
		var s report.Shift
		err := row.Scan(&s.Schedule, &s.User, instant{&s.Start}, instant{&s.End})
		return s, err
	}, `SELECT schedule, user_id, start_at, end_at FROM served_shifts WHERE start_at < $2 AND end_at > $1 ORDER BY start_at, id`,
		UTC(from), UTC(to))
	if err != nil {
		return nil, fmt.Errorf("report shifts: %w", err)
	}
	return shifts, nil
}

// ReportRepeats counts alerts and triggers per service and dedup key,
// reading the index alerts_repeats alone, in its order: each key's alerts
// are counted as they come, with no sort. A year of a million alerts
// takes a quarter of the time it takes read by time and sorted.
func (db *DB) ReportRepeats(ctx context.Context, from, to time.Time) ([]report.RepeatKey, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, fmt.Errorf("report repeats: %w", err)
	}
	keys, err := queryAll(ctx, db.b.Read, func(row Row) (report.RepeatKey, error) {
		var k report.RepeatKey
		err := row.Scan(&k.Service, &k.DedupKey, &k.Alerts, &k.Triggers)
		return k, err
	}, `SELECT service, dedup_key, count(*), sum(triggers) FROM alerts`+db.d.indexedBy("alerts_repeats")+`
		WHERE created_at >= $1 AND created_at < $2
		GROUP BY service, dedup_key HAVING sum(triggers) > 1 ORDER BY service, dedup_key`, UTC(from), UTC(to))
	if err != nil {
		return nil, fmt.Errorf("report repeats: %w", err)
	}
	return keys, nil
}

// sloIntegrationPrefix begins the integration key of the alerts the SLO
// engine raises ("slo:NAME").
const sloIntegrationPrefix = "slo:"

// ReportSLOAlerts returns the spans of SLO alerts open in [from, to).
func (db *DB) ReportSLOAlerts(ctx context.Context, from, to time.Time) ([]report.AlertSpan, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, fmt.Errorf("report SLO alerts: %w", err)
	}
	// The condition on the key is the one of the partial index alerts_slo.
	alerts, err := queryAll(ctx, db.b.Read, scanAlert, `SELECT id, body FROM alerts
		WHERE integration_key LIKE 'slo:%' AND created_at < $1 ORDER BY created_at, id`, UTC(to))
	if err != nil {
		return nil, fmt.Errorf("report SLO alerts: %w", err)
	}
	var spans []report.AlertSpan
	for _, a := range alerts {
		if a.Status == alert.StatusResolved && (a.ResolvedAt == nil || !a.ResolvedAt.After(from)) {
			continue
		}
		name, ok := strings.CutPrefix(a.IntegrationKey, sloIntegrationPrefix)
		if !ok {
			continue
		}
		spans = append(spans, report.AlertSpan{SLO: name, Service: a.Service, Start: a.CreatedAt, End: a.ResolvedAt})
	}
	return spans, nil
}

var _ store.Reports = (*DB)(nil)
