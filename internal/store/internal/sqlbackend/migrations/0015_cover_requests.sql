-- Requests for cover (shift swaps), kept whole as a JSON body beside the
-- columns lists filter on. status is the stored one: accepting updates it
-- only while it is still 'open', so that one of two accepting at once wins.
CREATE TABLE cover_requests (
    id          {{identity}},
    schedule    {{bytetext}} NOT NULL,
    requester   {{bytetext}} NOT NULL,
    accepted_by {{bytetext}} NOT NULL,
    status      text NOT NULL,
    start_at    {{time}} NOT NULL,
    end_at      {{time}} NOT NULL,
    created_at  {{time}} NOT NULL,
    body        {{json "body"}}
);
CREATE INDEX cover_requests_schedule ON cover_requests (schedule, id);
CREATE INDEX cover_requests_requester ON cover_requests (requester, id);
CREATE INDEX cover_requests_accepted_by ON cover_requests (accepted_by, id);
