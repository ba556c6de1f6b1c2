-- Users' password hashes (argon2id, PHC-encoded): kept out of the
-- configuration, which is exported and kept as code.
CREATE TABLE user_passwords (
    user_id    {{bytetext}} PRIMARY KEY,
    hash       text NOT NULL,
    updated_at {{time}} NOT NULL
);

-- Login sessions are tokens that expire.
ALTER TABLE api_tokens ADD COLUMN expires_at {{time}};
