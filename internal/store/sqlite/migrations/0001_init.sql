-- Times are TEXT in the fixed-width UTC form 2006-01-02T15:04:05.000000Z,
-- which sorts like the instants it names.

CREATE TABLE config_objects (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL CHECK (json_valid(body)),
    source     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- A single row, bumped by every configuration write.
CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    user_id    TEXT,
    role       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    object_id TEXT NOT NULL,
    before    TEXT CHECK (before IS NULL OR json_valid(before)),
    after     TEXT CHECK (after IS NULL OR json_valid(after))
);
