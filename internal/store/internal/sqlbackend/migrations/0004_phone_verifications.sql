-- Proof that a user holds the number of an sms or voice contact method:
-- a keyed hash of the code sent, never the code itself.
CREATE TABLE phone_verifications (
    user_id        {{bytetext}} NOT NULL,
    contact_method {{bytetext}} NOT NULL,
    number         text NOT NULL,
    code_hash      {{bytes}},
    sent_at        {{time}} NOT NULL,
    expires_at     {{time}} NOT NULL,
    attempts       integer NOT NULL CHECK (attempts >= 0),
    verified_at    {{time}},
    PRIMARY KEY (user_id, contact_method)
);
