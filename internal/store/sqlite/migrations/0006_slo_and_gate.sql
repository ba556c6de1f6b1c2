-- SLI counts pushed to POST /api/v1/slos/{id}/events, as pushed: each row is
-- the good and total events of the interval ending at "at". The SLO engine
-- reads them back at start and picks up other replicas' pushes by
-- received_at.
CREATE TABLE slo_points (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slo         TEXT NOT NULL,
    at          TEXT NOT NULL,
    good        REAL NOT NULL,
    total       REAL NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX slo_points_at ON slo_points (at);
CREATE INDEX slo_points_received ON slo_points (received_at, id);

-- Batch ids already stored: a repeated batch is accepted and ignored.
CREATE TABLE slo_batches (
    slo         TEXT NOT NULL,
    batch_id    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (slo, batch_id)
);
CREATE INDEX slo_batches_received ON slo_batches (received_at);

-- Release gate overrides: releases pass until expires_at.
CREATE TABLE gate_overrides (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    service    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX gate_overrides_service ON gate_overrides (service, id);

-- Every answer of the release gate, for deploys to link back to.
CREATE TABLE gate_decisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service     TEXT NOT NULL,
    at          TEXT NOT NULL,
    change_type TEXT NOT NULL,
    decision    TEXT NOT NULL,
    reasons     TEXT NOT NULL CHECK (json_valid(reasons)),
    override_id INTEGER,
    created_at  TEXT NOT NULL
);
CREATE INDEX gate_decisions_service ON gate_decisions (service, created_at);
