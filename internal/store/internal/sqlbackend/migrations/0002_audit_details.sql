ALTER TABLE audit_log ADD COLUMN details text NOT NULL DEFAULT '';

-- Paging newest first through one kind, or one object of a kind.
CREATE INDEX audit_log_kind_object_id ON audit_log (kind, object_id, id);
