-- Proof that a user holds the number of an sms or voice contact method:
-- a keyed hash of the code sent, never the code itself.
CREATE TABLE phone_verifications (
    user_id        TEXT NOT NULL,
    contact_method TEXT NOT NULL,
    number         TEXT NOT NULL,
    code_hash      BLOB,
    sent_at        TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    attempts       INTEGER NOT NULL CHECK (attempts >= 0),
    verified_at    TEXT,
    PRIMARY KEY (user_id, contact_method)
);
