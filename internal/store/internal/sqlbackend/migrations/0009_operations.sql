-- Runs of operations (drain, roll back, restart, scale, flag): who ran
-- which on what service, from which incident, and how it went. The body
-- keeps the run whole; the columns are what queries filter and sort on.
CREATE TABLE operation_runs (
    id            {{identity}},
    operation     {{bytetext}} NOT NULL,
    service       {{bytetext}} NOT NULL,
    incident_id   {{bigint}} NOT NULL DEFAULT 0,
    actor         text NOT NULL,
    status        text NOT NULL,
    requested_at  {{time}} NOT NULL,
    claimed_until {{time}},
    body          {{json "body"}}
);
-- One run at a time per service and operation may be waiting or running:
-- a second request is refused by this index, whichever replica takes it.
CREATE UNIQUE INDEX operation_runs_active ON operation_runs (service, operation)
    WHERE status IN ('pending', 'running');
-- The runners' queues: runs waiting for one, and runs whose runner may be gone.
CREATE INDEX operation_runs_open ON operation_runs (status, requested_at, id)
    WHERE status IN ('pending', 'running');
CREATE INDEX operation_runs_service ON operation_runs (service, id);
CREATE INDEX operation_runs_incident ON operation_runs (incident_id, id);
-- The toil report reads the runs of a period.
CREATE INDEX operation_runs_requested ON operation_runs (requested_at, id);
