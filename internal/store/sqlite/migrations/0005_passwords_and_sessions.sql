-- Users' password hashes (argon2id, PHC-encoded): kept out of the
-- configuration, which is exported and kept as code.
CREATE TABLE user_passwords (
    user_id    TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Login sessions are tokens that expire.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
