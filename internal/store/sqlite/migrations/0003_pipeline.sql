-- The alert pipeline. Each row keeps its domain value whole as a JSON body;
-- the columns beside it hold what queries filter and sort on. Ids never
-- repeat (AUTOINCREMENT), not even after the newest row is deleted.

-- Accepted ingest events, waiting to be processed in id order.
CREATE TABLE inbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    integration_key TEXT NOT NULL,
    service         TEXT NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload))
);

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    service         TEXT NOT NULL,
    integration_key TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    status          TEXT NOT NULL,
    incident_id     INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_event_at   TEXT NOT NULL,
    body            TEXT NOT NULL CHECK (json_valid(body))
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
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    status     TEXT NOT NULL,
    service    TEXT NOT NULL,
    group_key  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body       TEXT NOT NULL CHECK (json_valid(body))
);
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_open_group ON incidents (service, group_key, created_at) WHERE status <> 'resolved';
CREATE INDEX incidents_open_created ON incidents (created_at) WHERE status <> 'resolved';

-- Every service an incident is listed under, kept equal to the body's
-- service and services on every write.
CREATE TABLE incident_services (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    service     TEXT NOT NULL,
    PRIMARY KEY (incident_id, service)
);
CREATE INDEX incident_services_service ON incident_services (service, incident_id);

CREATE TABLE timeline (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    channel     TEXT NOT NULL,
    message     TEXT NOT NULL,
    data        TEXT CHECK (data IS NULL OR json_valid(data))
);
CREATE INDEX timeline_incident ON timeline (incident_id, at, id);

CREATE TABLE escalations (
    incident_id INTEGER PRIMARY KEY,
    next_at     TEXT NOT NULL,
    done        INTEGER NOT NULL CHECK (done IN (0, 1)),
    body        TEXT NOT NULL CHECK (json_valid(body))
);
CREATE INDEX escalations_due ON escalations (done, next_at);

-- The notification outbox. status and claimed_until are changed by claims
-- and cancellations without rewriting the body: the columns win over it.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id     INTEGER NOT NULL,
    user_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    claimed_until   TEXT,
    idempotency_key TEXT NOT NULL UNIQUE,
    body            TEXT NOT NULL CHECK (json_valid(body))
);
CREATE INDEX notifications_claim ON notifications (status, due_at);
CREATE INDEX notifications_incident ON notifications (incident_id, id);
CREATE INDEX notifications_user ON notifications (user_id, id);

CREATE TABLE notification_attempts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id INTEGER NOT NULL,
    incident_id     INTEGER NOT NULL,
    user_id         TEXT NOT NULL,
    method_type     TEXT NOT NULL,
    contact_method  TEXT NOT NULL,
    at              TEXT NOT NULL,
    time_zone       TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    error           TEXT NOT NULL
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, id);
CREATE INDEX notification_attempts_user ON notification_attempts (user_id, at);

CREATE TABLE change_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service     TEXT NOT NULL,
    at          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (json_valid(body))
);
CREATE INDEX change_events_service_at ON change_events (service, at);

-- overdue_at is last_beat_at + interval, computed on write so that finding
-- overdue heartbeats is an index range.
CREATE TABLE heartbeats (
    key          TEXT PRIMARY KEY,
    service      TEXT NOT NULL,
    interval_ms  INTEGER NOT NULL,
    last_beat_at TEXT NOT NULL,
    overdue_at   TEXT NOT NULL,
    alerting     INTEGER NOT NULL CHECK (alerting IN (0, 1))
);
CREATE INDEX heartbeats_overdue ON heartbeats (overdue_at) WHERE alerting = 0;

CREATE TABLE maintenance_windows (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    service    TEXT NOT NULL,
    start_at   TEXT NOT NULL,
    end_at     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX maintenance_windows_service ON maintenance_windows (service, start_at);

CREATE TABLE used_nonces (
    nonce   TEXT PRIMARY KEY,
    used_at TEXT NOT NULL
);
CREATE INDEX used_nonces_used_at ON used_nonces (used_at);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
