-- Lanes: high-urgency triggers are taken from the inbox ahead
-- of a storm of low-urgency events, but never ahead of an earlier event
-- about the same alert (alert_key, a hash of the integration and dedup
-- keys; 0 for events about no alert). Both indexes are partial: the lane
-- index holds only the few urgent events, the alert index only events
-- about an alert.
ALTER TABLE inbox ADD COLUMN lane integer NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN alert_key {{bigint}} NOT NULL DEFAULT 0;
CREATE INDEX inbox_lane ON inbox (lane, id) WHERE lane > 0;
CREATE INDEX inbox_alert ON inbox (alert_key, id) WHERE alert_key <> 0;

-- Pages about an incident on a critical service are claimed ahead of the
-- outbox's backlog; the index holds only those still pending.
ALTER TABLE notifications ADD COLUMN lane integer NOT NULL DEFAULT 0;
CREATE INDEX notifications_lane ON notifications (due_at, id) WHERE lane > 0 AND status = 'pending';
