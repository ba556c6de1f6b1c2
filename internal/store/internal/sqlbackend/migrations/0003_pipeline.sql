-- The alert pipeline. Each row keeps its domain value whole as a JSON body;
-- the columns beside it hold what queries filter and sort on. Ids never
-- repeat, not even after the newest row is deleted.

-- Accepted ingest events, waiting to be processed in id order. On
-- PostgreSQL, AppendInbox takes the ids from the sequence itself (BY
-- DEFAULT), so that a batch gets them in its own order.
CREATE TABLE inbox (
    id              {{identity "BY DEFAULT"}},
    received_at     {{time}} NOT NULL,
    kind            text NOT NULL,
    integration_key text NOT NULL,
    service         text NOT NULL,
    payload         {{json "payload"}}
);

CREATE TABLE alerts (
    id              {{identity}},
    service         text NOT NULL,
    integration_key text NOT NULL,
    dedup_key       text NOT NULL,
    status          text NOT NULL,
    incident_id     {{bigint}} NOT NULL,
    created_at      {{time}} NOT NULL,
    updated_at      {{time}} NOT NULL,
    last_event_at   {{time}} NOT NULL,
    body            {{json "body"}}
);
-- At most one open alert per key: events with the key add to it.
CREATE UNIQUE INDEX alerts_open_key ON alerts (integration_key, dedup_key) WHERE status <> 'resolved';
-- Auto-resolve candidates: open alerts of an integration, quiet the longest first.
CREATE INDEX alerts_open_quiet ON alerts (integration_key, last_event_at) WHERE status <> 'resolved';
CREATE INDEX alerts_incident ON alerts (incident_id, id);
CREATE INDEX alerts_service ON alerts (service, id);
CREATE INDEX alerts_status ON alerts (status, id);
CREATE INDEX alerts_dedup_key ON alerts (dedup_key, id);

CREATE TABLE incidents (
    id         {{identity}},
    status     text NOT NULL,
    service    text NOT NULL,
    group_key  text NOT NULL,
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL,
    body       {{json "body"}}
);
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_open_group ON incidents (service, group_key, created_at) WHERE status <> 'resolved';
CREATE INDEX incidents_open_created ON incidents (created_at) WHERE status <> 'resolved';

-- Every service an incident is listed under, kept equal to the body's
-- service and services on every write.
CREATE TABLE incident_services (
    incident_id {{bigint}} NOT NULL REFERENCES incidents (id),
    service     text NOT NULL,
    PRIMARY KEY (incident_id, service)
);
CREATE INDEX incident_services_service ON incident_services (service, incident_id);

CREATE TABLE timeline (
    id          {{identity}},
    incident_id {{bigint}} NOT NULL,
    at          {{time}} NOT NULL,
    kind        text NOT NULL,
    actor       text NOT NULL,
    channel     text NOT NULL,
    message     text NOT NULL,
    data        {{nulljson "data"}}
);
CREATE INDEX timeline_incident ON timeline (incident_id, at, id);

CREATE TABLE escalations (
    incident_id {{bigint}} PRIMARY KEY,
    next_at     {{time}} NOT NULL,
    done        {{bool "done"}},
    body        {{json "body"}}
);
CREATE INDEX escalations_due ON escalations (done, next_at);

-- The notification outbox. status and claimed_until are changed by claims
-- and cancellations without rewriting the body: the columns win over it.
CREATE TABLE notifications (
    id              {{identity}},
    incident_id     {{bigint}} NOT NULL,
    user_id         text NOT NULL,
    kind            text NOT NULL,
    status          text NOT NULL,
    due_at          {{time}} NOT NULL,
    claimed_until   {{time}},
    idempotency_key text NOT NULL UNIQUE,
    body            {{json "body"}}
);
CREATE INDEX notifications_claim ON notifications (status, due_at);
CREATE INDEX notifications_incident ON notifications (incident_id, id);
CREATE INDEX notifications_user ON notifications (user_id, id);

CREATE TABLE notification_attempts (
    id              {{identity}},
    notification_id {{bigint}} NOT NULL,
    incident_id     {{bigint}} NOT NULL,
    user_id         text NOT NULL,
    method_type     text NOT NULL,
    contact_method  text NOT NULL,
    at              {{time}} NOT NULL,
    time_zone       text NOT NULL,
    outcome         text NOT NULL,
    error           text NOT NULL
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, id);
CREATE INDEX notification_attempts_user ON notification_attempts (user_id, at);

CREATE TABLE change_events (
    id          {{identity}},
    service     text NOT NULL,
    at          {{time}} NOT NULL,
    received_at {{time}} NOT NULL,
    body        {{json "body"}}
);
CREATE INDEX change_events_service_at ON change_events (service, at);

-- overdue_at is last_beat_at + interval, computed on write so that finding
-- overdue heartbeats is an index range.
CREATE TABLE heartbeats (
    key          {{bytetext}} PRIMARY KEY,
    service      text NOT NULL,
    interval_ms  {{bigint}} NOT NULL,
    last_beat_at {{time}} NOT NULL,
    overdue_at   {{time}} NOT NULL,
    alerting     {{bool "alerting"}}
);
CREATE INDEX heartbeats_overdue ON heartbeats (overdue_at) WHERE {{not "alerting"}};

CREATE TABLE maintenance_windows (
    id         {{identity}},
    service    text NOT NULL,
    start_at   {{time}} NOT NULL,
    end_at     {{time}} NOT NULL,
    reason     text NOT NULL,
    created_by text NOT NULL
);
CREATE INDEX maintenance_windows_service ON maintenance_windows (service, start_at);

CREATE TABLE used_nonces (
    nonce   text PRIMARY KEY,
    used_at {{time}} NOT NULL
);
CREATE INDEX used_nonces_used_at ON used_nonces (used_at);

CREATE TABLE secrets (
    name  text PRIMARY KEY,
    value {{bytes}} NOT NULL
);
