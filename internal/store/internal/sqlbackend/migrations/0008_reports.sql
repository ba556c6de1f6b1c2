-- What the reports read, kept as the pipeline writes, so that a report
-- over a year reads indexes and small rollups and never a table per person.

-- One interruption: the first page of an incident to a person, with the
-- time zone recorded with it.
CREATE TABLE report_pages (
    incident_id {{bigint}} NOT NULL,
    user_id     text NOT NULL,
    at          {{time}} NOT NULL,
    time_zone   text NOT NULL,
    PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX report_pages_at ON report_pages (at);
INSERT INTO report_pages (incident_id, user_id, at, time_zone)
SELECT n.incident_id, n.user_id, a.at, a.time_zone
FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
WHERE n.kind = 'page' AND n.incident_id <> 0 AND NOT EXISTS (
    SELECT 1 FROM notification_attempts b JOIN notifications m ON m.id = b.notification_id
    WHERE m.kind = 'page' AND m.incident_id = n.incident_id AND m.user_id = n.user_id
      AND (b.at < a.at OR (b.at = a.at AND b.id < a.id)));

-- An incident's history as the reports read it: the first acknowledgement,
-- the resolution, whether it escalated past the first step, the notes
-- written and whether it hurt customers (0 or 1).
ALTER TABLE incidents ADD COLUMN title text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN acknowledged_at {{time}};
ALTER TABLE incidents ADD COLUMN acknowledged_by text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN resolved_at {{time}};
ALTER TABLE incidents ADD COLUMN resolved_by text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN escalated integer NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN notes integer NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN customer_impact integer NOT NULL DEFAULT 0;
-- Incidents stored before kept no first acknowledgement: their current one
-- stands for it. Their notes and escalations are read from the timeline.
UPDATE incidents SET
    title = {{jsontext "body" "title"}},
    acknowledged_at = {{jsontime "body" "acknowledged_at"}},
    acknowledged_by = {{jsontext "body" "acknowledged_by"}},
    resolved_at = {{jsontime "body" "resolved_at"}},
    resolved_by = {{jsontext "body" "resolved_by"}},
    notes = (SELECT count(*) FROM timeline t WHERE t.incident_id = incidents.id AND t.kind = 'note'
             AND t.message NOT LIKE '% subscribed to status updates'),
    escalated = CASE WHEN EXISTS (SELECT 1 FROM timeline t WHERE t.incident_id = incidents.id AND t.kind = 'escalated'
             AND t.message LIKE 'escalation policy % step %' AND t.message NOT LIKE 'escalation policy % step 1:%') THEN 1 ELSE 0 END;
CREATE INDEX incidents_created ON incidents (created_at, id);
CREATE INDEX incidents_resolved ON incidents (resolved_at);

-- Who took part in incidents: acknowledgements and roles, for the role
-- history that prices response time.
CREATE INDEX timeline_engagements ON timeline (incident_id, at, id) WHERE kind IN ('acknowledged', 'role');

-- Alerts: how many triggers each received (repeats), by time of opening;
-- SLO alerts (integration "slo:NAME") on their own.
ALTER TABLE alerts ADD COLUMN triggers integer NOT NULL DEFAULT 1;
UPDATE alerts SET triggers = {{jsonint "body" "count" 1}};
CREATE INDEX alerts_created ON alerts (created_at);
CREATE INDEX alerts_slo ON alerts (created_at) WHERE integration_key LIKE 'slo:%';
