-- SLI counts pushed to POST /api/v1/slos/{id}/events, as pushed: each row is
-- the good and total events of the interval ending at "at". The SLO engine
-- reads them back at start and picks up other replicas' pushes by
-- received_at.
CREATE TABLE slo_points (
    id          {{identity}},
    slo         {{bytetext}} NOT NULL,
    at          {{time}} NOT NULL,
    good        {{float}} NOT NULL,
    total       {{float}} NOT NULL,
    received_at {{time}} NOT NULL
);
CREATE INDEX slo_points_at ON slo_points (at);
CREATE INDEX slo_points_received ON slo_points (received_at, id);

-- Batch ids already stored: a repeated batch is accepted and ignored.
CREATE TABLE slo_batches (
    slo         {{bytetext}} NOT NULL,
    batch_id    {{bytetext}} NOT NULL,
    received_at {{time}} NOT NULL,
    PRIMARY KEY (slo, batch_id)
);
CREATE INDEX slo_batches_received ON slo_batches (received_at);

-- Release gate overrides: releases pass until expires_at.
CREATE TABLE gate_overrides (
    id         {{identity}},
    service    {{bytetext}} NOT NULL,
    reason     text NOT NULL,
    created_by text NOT NULL,
    created_at {{time}} NOT NULL,
    expires_at {{time}} NOT NULL
);
CREATE INDEX gate_overrides_service ON gate_overrides (service, id);

-- Every answer of the release gate, for deploys to link back to.
CREATE TABLE gate_decisions (
    id          {{identity}},
    service     {{bytetext}} NOT NULL,
    at          {{time}} NOT NULL,
    change_type text NOT NULL,
    decision    text NOT NULL,
    reasons     {{jsonb "reasons"}},
    override_id {{bigint}},
    created_at  {{time}} NOT NULL
);
CREATE INDEX gate_decisions_service ON gate_decisions (service, created_at);
