-- Rendered for each database (see migrations.go). Ids sort in byte order
-- whatever PostgreSQL's locale, the order SQLite gives. SQLite keeps times
-- as text in a fixed-width UTC form, which sorts like the instants it
-- names. Documents are json on PostgreSQL, not jsonb: json keeps the bytes
-- it was given, so a body reads back exactly as written on both databases
-- and comparing stored with applied configuration stays exact.

CREATE TABLE config_objects (
    kind       {{bytetext}} NOT NULL,
    id         {{bytetext}} NOT NULL,
    body       {{json "body"}},
    source     text NOT NULL,
    updated_at {{time}} NOT NULL,
    PRIMARY KEY (kind, id)
);

-- A single row, bumped by every configuration write; on PostgreSQL its row
-- lock also serialises configuration writes across replicas.
CREATE TABLE config_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version {{bigint}} NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE TABLE api_tokens (
    id         {{bytetext}} PRIMARY KEY,
    name       text NOT NULL,
    hash       {{bytes}} NOT NULL UNIQUE,
    user_id    text,
    role       text NOT NULL,
    created_at {{time}} NOT NULL,
    revoked_at {{time}}
);

CREATE TABLE audit_log (
    id        {{identity}},
    at        {{time}} NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,
    kind      text NOT NULL,
    object_id text NOT NULL,
    before    {{nulljson "before"}},
    after     {{nulljson "after"}}
);
