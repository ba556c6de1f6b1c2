-- Post-mortems, one per incident (its id is the incident's), kept whole as
-- a JSON body beside the columns lists filter on. version grows with every
-- write: an update names the version it read, so that a concurrent edit is
-- refused rather than lost.
CREATE TABLE postmortems (
    incident_id {{bigint}} PRIMARY KEY,
    status      text NOT NULL,
    version     {{bigint}} NOT NULL,
    owner_team  {{bytetext}} NOT NULL,
    created_at  {{time}} NOT NULL,
    updated_at  {{time}} NOT NULL,
    body        {{json "body"}}
);
CREATE INDEX postmortems_status ON postmortems (status, incident_id);
CREATE INDEX postmortems_team ON postmortems (owner_team, incident_id);

-- Their action items. reminded_at is when the owners were reminded that an
-- item is overdue (NULL: not since it fell due).
CREATE TABLE action_items (
    id          {{identity}},
    incident_id {{bigint}} NOT NULL REFERENCES postmortems (incident_id),
    title       text NOT NULL,
    owner_team  {{bytetext}} NOT NULL,
    due_at      {{time}} NOT NULL,
    status      text NOT NULL,
    url         text NOT NULL,
    reminded_at {{time}},
    created_at  {{time}} NOT NULL,
    updated_at  {{time}} NOT NULL
);
CREATE INDEX action_items_incident ON action_items (incident_id, id);
CREATE INDEX action_items_team ON action_items (owner_team, id);
-- Overdue items: open ones by due time.
CREATE INDEX action_items_open_due ON action_items (due_at, id) WHERE status = 'open';
