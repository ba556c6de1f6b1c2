-- Correlation reads, in the transaction that places a new alert, the
-- changes made shortly before, of every service: a range of time (the
-- services that alerted within the window come from alerts_created).
CREATE INDEX change_events_at ON change_events (at);
