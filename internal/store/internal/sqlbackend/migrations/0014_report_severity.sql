-- The reports read an incident's severity, urgency and whether it was
-- declared major beside its history (migration 8), not from its body.
ALTER TABLE incidents ADD COLUMN severity text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN urgency text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN major integer NOT NULL DEFAULT 0;
UPDATE incidents SET
    severity = {{jsontext "body" "severity"}},
    urgency = {{jsontext "body" "urgency"}},
    major = {{jsonbool "body" "major"}};
