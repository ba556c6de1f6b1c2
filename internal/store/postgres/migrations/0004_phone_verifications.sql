-- Proof that a user holds the number of an sms or voice contact method:
-- a keyed hash of the code sent, never the code itself. Ids sort in byte
-- order, as everywhere.
CREATE TABLE phone_verifications (
    user_id        text COLLATE "C" NOT NULL,
    contact_method text COLLATE "C" NOT NULL,
    number         text NOT NULL,
    code_hash      bytea,
    sent_at        timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    attempts       integer NOT NULL CHECK (attempts >= 0),
    verified_at    timestamptz,
    PRIMARY KEY (user_id, contact_method)
);
