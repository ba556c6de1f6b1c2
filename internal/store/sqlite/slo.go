package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// AddSLOBatch stores a pushed batch unless its id was seen for the SLO.
func (s *Store) AddSLOBatch(ctx context.Context, slo, batchID string, points []store.SLOPoint, receivedAt time.Time) (bool, error) {
	if err := sqlbackend.CheckSLOBatch(slo, batchID, points); err != nil {
		return false, fmt.Errorf("add SLO batch: %w", err)
	}
	added := false
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO slo_batches (slo, batch_id, received_at) VALUES (?, ?, ?)
			ON CONFLICT (slo, batch_id) DO NOTHING`, slo, batchID, timeText(receivedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		added = true
		// Multi-row inserts: a statement per point costs five times as much.
		const chunk = 500
		received := timeText(receivedAt)
		for start := 0; start < len(points); start += chunk {
			part := points[start:min(start+chunk, len(points))]
			args := make([]any, 0, 5*len(part))
			for i := range part {
				p := &part[i]
				p.SLO, p.At, p.ReceivedAt = slo, sqlbackend.UTC(p.At), sqlbackend.UTC(receivedAt)
				args = append(args, slo, timeText(p.At), p.Good, p.Total, received)
			}
			rows, err := tx.QueryContext(ctx, `INSERT INTO slo_points (slo, at, good, total, received_at) VALUES `+
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(part)), ", ")+` RETURNING id`, args...)
			ids, err := collect(rows, err, func(row scanner) (int64, error) {
				var id int64
				return id, row.Scan(&id)
			})
			if err != nil {
				return err
			}
			if len(ids) != len(part) {
				return fmt.Errorf("%d rows inserted for %d points", len(ids), len(part))
			}
			slices.Sort(ids)
			for i := range part {
				part[i].ID = ids[i]
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("add SLO batch %q of %s: %w", batchID, slo, err)
	}
	return added, nil
}

// ListSLOPoints returns pushed points by ID.
func (s *Store) ListSLOPoints(ctx context.Context, q store.SLOPointQuery) ([]store.SLOPoint, error) {
	if err := sqlbackend.CheckText("slo", q.SLO); err != nil {
		return nil, fmt.Errorf("list SLO points: %w", err)
	}
	var w where
	if q.SLO != "" {
		w.add("slo = ?", q.SLO)
	}
	if !q.Since.IsZero() {
		w.add("at >= ?", timeText(q.Since))
	}
	if !q.ReceivedSince.IsZero() {
		w.add("received_at >= ?", timeText(q.ReceivedSince))
	}
	w.add("id > ?", q.AfterID)
	rows, err := s.read.QueryContext(ctx, `SELECT id, slo, at, good, total, received_at FROM slo_points`+w.sql()+
		` ORDER BY id LIMIT ?`, append(w.args, sqlbackend.SLOPointLimit(q.Limit))...)
	points, err := collect(rows, err, func(row scanner) (store.SLOPoint, error) {
		var p store.SLOPoint
		var at, received string
		if err := row.Scan(&p.ID, &p.SLO, &at, &p.Good, &p.Total, &received); err != nil {
			return p, err
		}
		var err error
		if p.At, err = parseTime(at); err != nil {
			return p, err
		}
		p.ReceivedAt, err = parseTime(received)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("list SLO points: %w", err)
	}
	return points, nil
}

// PruneSLOData deletes points and batch ids older than before.
func (s *Store) PruneSLOData(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM slo_points WHERE at < ?`, timeText(before))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM slo_batches WHERE received_at < ?`, timeText(before))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune SLO data: %w", err)
	}
	return n, nil
}

// CreateGateOverride stores an override and its audit entry.
func (s *Store) CreateGateOverride(ctx context.Context, o *store.GateOverride, audit store.AuditEntry) error {
	if err := errors.Join(sqlbackend.CheckGateOverride(*o), sqlbackend.CheckAudit(audit)); err != nil {
		return fmt.Errorf("create gate override: %w", err)
	}
	o.CreatedAt, o.ExpiresAt = sqlbackend.UTC(o.CreatedAt), sqlbackend.UTC(o.ExpiresAt)
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO gate_overrides (service, reason, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, o.Service, o.Reason, o.CreatedBy, timeText(o.CreatedAt), timeText(o.ExpiresAt)).Scan(&o.ID)
		if err != nil {
			return err
		}
		if audit.ObjID == "" {
			audit.ObjID = fmt.Sprint(o.ID)
		}
		return insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("create gate override for %s: %w", o.Service, err)
	}
	return nil
}

// ListGateOverrides returns overrides newest first.
func (s *Store) ListGateOverrides(ctx context.Context, service string, activeAt time.Time, beforeID int64, limit int) ([]store.GateOverride, error) {
	if err := sqlbackend.CheckText("service", service); err != nil {
		return nil, fmt.Errorf("list gate overrides: %w", err)
	}
	var w where
	if service != "" {
		w.add("service = ?", service)
	}
	if !activeAt.IsZero() {
		w.add("expires_at > ?", timeText(activeAt))
	}
	if beforeID > 0 {
		w.add("id < ?", beforeID)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, service, reason, created_by, created_at, expires_at FROM gate_overrides`+w.sql()+
		` ORDER BY id DESC LIMIT ?`, append(w.args, sqlbackend.ListLimit(limit))...)
	out, err := collect(rows, err, func(row scanner) (store.GateOverride, error) {
		var o store.GateOverride
		var created, expires string
		if err := row.Scan(&o.ID, &o.Service, &o.Reason, &o.CreatedBy, &created, &expires); err != nil {
			return o, err
		}
		var err error
		if o.CreatedAt, err = parseTime(created); err != nil {
			return o, err
		}
		o.ExpiresAt, err = parseTime(expires)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("list gate overrides: %w", err)
	}
	return out, nil
}

const gateDecisionColumns = `id, service, at, change_type, decision, reasons, override_id, created_at`

func scanGateDecision(row scanner) (store.GateDecision, error) {
	var d store.GateDecision
	var at, created, reasons string
	var override sql.NullInt64
	if err := row.Scan(&d.ID, &d.Service, &at, &d.ChangeType, &d.Decision, &reasons, &override, &created); err != nil {
		return d, err
	}
	d.Reasons, d.OverrideID = []byte(reasons), override.Int64
	var err error
	if d.At, err = parseTime(at); err != nil {
		return d, err
	}
	d.CreatedAt, err = parseTime(created)
	return d, err
}

// InsertGateDecision stores a decision.
func (s *Store) InsertGateDecision(ctx context.Context, d *store.GateDecision) error {
	if err := sqlbackend.CheckGateDecision(*d); err != nil {
		return fmt.Errorf("insert gate decision: %w", err)
	}
	d.At, d.CreatedAt = sqlbackend.UTC(d.At), sqlbackend.UTC(d.CreatedAt)
	var override any
	if d.OverrideID != 0 {
		override = d.OverrideID
	}
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO gate_decisions (service, at, change_type, decision, reasons, override_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.Service, timeText(d.At), d.ChangeType, d.Decision, string(d.Reasons), override,
			timeText(d.CreatedAt)).Scan(&d.ID)
	})
	if err != nil {
		return fmt.Errorf("insert gate decision for %s: %w", d.Service, err)
	}
	return nil
}

// GetGateDecision returns one decision.
func (s *Store) GetGateDecision(ctx context.Context, id int64) (store.GateDecision, error) {
	d, err := scanGateDecision(s.read.QueryRowContext(ctx, `SELECT `+gateDecisionColumns+` FROM gate_decisions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("gate decision %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("gate decision %d: %w", id, err)
	}
	return d, nil
}

// LatestGateDecision returns a service's newest decision since a time.
func (s *Store) LatestGateDecision(ctx context.Context, service string, since time.Time) (store.GateDecision, error) {
	if err := sqlbackend.CheckText("service", service); err != nil {
		return store.GateDecision{}, fmt.Errorf("latest gate decision: %w", err)
	}
	d, err := scanGateDecision(s.read.QueryRowContext(ctx, `SELECT `+gateDecisionColumns+` FROM gate_decisions
		WHERE service = ? AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT 1`, service, timeText(since)))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("latest gate decision of %s: %w", service, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("latest gate decision of %s: %w", service, err)
	}
	return d, nil
}
