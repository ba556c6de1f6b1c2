-- Ids sort in byte order (COLLATE "C") whatever the database's locale, the
-- same order SQLite gives. Documents are json, not jsonb: json keeps the
-- bytes it was given, so a body reads back exactly as written on both
-- backends and comparing stored with applied configuration stays exact.

CREATE TABLE config_objects (
    kind       text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    body       json NOT NULL,
    source     text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (kind, id)
);

-- A single row, bumped by every configuration write; its row lock also
-- serialises configuration writes across replicas.
CREATE TABLE config_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE TABLE api_tokens (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    hash       bytea NOT NULL UNIQUE,
    user_id    text,
    role       text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE audit_log (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,
    kind      text NOT NULL,
    object_id text NOT NULL,
    before    json,
    after     json
);
