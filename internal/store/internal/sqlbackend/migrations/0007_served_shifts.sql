-- Every schedule's shifts as they were served, for the reports: who was on
-- call when, as the schedule was configured at the time. Later edits of a
-- schedule never change these rows; only the newest shift of a schedule
-- grows while it is being served.
CREATE TABLE served_shifts (
    id        {{identity}},
    schedule  {{bytetext}} NOT NULL,
    user_id   text NOT NULL,
    layer     text NOT NULL,
    start_at  {{time}} NOT NULL,
    end_at    {{time}} NOT NULL,
    time_zone text NOT NULL
);
-- A schedule's shifts do not overlap, so both their starts and their ends
-- increase along its history: either index finds a window's edge.
CREATE INDEX served_shifts_start ON served_shifts (schedule, start_at, id);
CREATE INDEX served_shifts_end ON served_shifts (schedule, end_at);

-- How far each schedule's shifts are recorded. On PostgreSQL the recorder
-- locks a schedule's row while it appends, so that replicas record each
-- stretch of time once. A schedule keeps its row after it is deleted, so
-- that its history stays readable.
CREATE TABLE served_until (
    schedule       {{bytetext}} PRIMARY KEY,
    recorded_until {{time}} NOT NULL
);
