package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// AddSLOBatch stores a pushed batch unless its id was seen for the SLO.
func (s *Store) AddSLOBatch(ctx context.Context, slo, batchID string, points []store.SLOPoint, receivedAt time.Time) (bool, error) {
	if err := sqlbackend.CheckSLOBatch(slo, batchID, points); err != nil {
		return false, fmt.Errorf("add SLO batch: %w", err)
	}
	received := sqlbackend.UTC(receivedAt)
	added := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO slo_batches (slo, batch_id, received_at) VALUES ($1, $2, $3)
			ON CONFLICT (slo, batch_id) DO NOTHING`, slo, batchID, received)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		added = true
		ats := make([]time.Time, len(points))
		goods := make([]float64, len(points))
		totals := make([]float64, len(points))
		for i, p := range points {
			ats[i], goods[i], totals[i] = sqlbackend.UTC(p.At), p.Good, p.Total
		}
		rows, err := tx.Query(ctx, `INSERT INTO slo_points (slo, at, good, total, received_at)
			SELECT $1, u.at, u.good, u.total, $5
			FROM unnest($2::timestamptz[], $3::float8[], $4::float8[]) WITH ORDINALITY AS u(at, good, total, n)
			ORDER BY u.n RETURNING id`, slo, ats, goods, totals, received)
		ids, err := collect(rows, err, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if len(ids) != len(points) {
			return fmt.Errorf("%d rows inserted for %d points", len(ids), len(points))
		}
		slices.Sort(ids)
		for i := range points {
			points[i].ID, points[i].SLO, points[i].At, points[i].ReceivedAt = ids[i], slo, ats[i], received
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
		w.add("slo = " + w.arg(q.SLO))
	}
	if !q.Since.IsZero() {
		w.add("at >= " + w.arg(sqlbackend.UTC(q.Since)))
	}
	if !q.ReceivedSince.IsZero() {
		w.add("received_at >= " + w.arg(sqlbackend.UTC(q.ReceivedSince)))
	}
	w.add("id > " + w.arg(q.AfterID))
	query := `SELECT id, slo, at, good, total, received_at FROM slo_points` + w.sql() +
		` ORDER BY id LIMIT ` + w.arg(sqlbackend.SLOPointLimit(q.Limit))
	rows, err := s.pool.Query(ctx, query, w.args...)
	points, err := collect(rows, err, func(row pgx.CollectableRow) (store.SLOPoint, error) {
		var p store.SLOPoint
		err := row.Scan(&p.ID, &p.SLO, &p.At, &p.Good, &p.Total, &p.ReceivedAt)
		p.At, p.ReceivedAt = p.At.UTC(), p.ReceivedAt.UTC()
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM slo_points WHERE at < $1`, sqlbackend.UTC(before))
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM slo_batches WHERE received_at < $1`, sqlbackend.UTC(before))
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO gate_overrides (service, reason, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, o.Service, o.Reason, o.CreatedBy, o.CreatedAt, o.ExpiresAt).Scan(&o.ID)
		if err != nil {
			return err
		}
		if audit.ObjID == "" {
			audit.ObjID = strconv.FormatInt(o.ID, 10)
		}
		return s.insertAudit(ctx, tx, audit)
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
		w.add("service = " + w.arg(service))
	}
	if !activeAt.IsZero() {
		w.add("expires_at > " + w.arg(sqlbackend.UTC(activeAt)))
	}
	if beforeID > 0 {
		w.add("id < " + w.arg(beforeID))
	}
	query := `SELECT id, service, reason, created_by, created_at, expires_at FROM gate_overrides` + w.sql() +
		` ORDER BY id DESC LIMIT ` + w.arg(sqlbackend.ListLimit(limit))
	rows, err := s.pool.Query(ctx, query, w.args...)
	out, err := collect(rows, err, func(row pgx.CollectableRow) (store.GateOverride, error) {
		var o store.GateOverride
		err := row.Scan(&o.ID, &o.Service, &o.Reason, &o.CreatedBy, &o.CreatedAt, &o.ExpiresAt)
		o.CreatedAt, o.ExpiresAt = o.CreatedAt.UTC(), o.ExpiresAt.UTC()
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("list gate overrides: %w", err)
	}
	return out, nil
}

const gateDecisionColumns = `id, service, at, change_type, decision, reasons, override_id, created_at`

func scanGateDecision(row pgx.Row) (store.GateDecision, error) {
	var d store.GateDecision
	var override *int64
	if err := row.Scan(&d.ID, &d.Service, &d.At, &d.ChangeType, &d.Decision, &d.Reasons, &override, &d.CreatedAt); err != nil {
		return d, err
	}
	if override != nil {
		d.OverrideID = *override
	}
	d.At, d.CreatedAt = d.At.UTC(), d.CreatedAt.UTC()
	return d, nil
}

// InsertGateDecision stores a decision.
func (s *Store) InsertGateDecision(ctx context.Context, d *store.GateDecision) error {
	if err := sqlbackend.CheckGateDecision(*d); err != nil {
		return fmt.Errorf("insert gate decision: %w", err)
	}
	d.At, d.CreatedAt = sqlbackend.UTC(d.At), sqlbackend.UTC(d.CreatedAt)
	var override *int64
	if d.OverrideID != 0 {
		override = &d.OverrideID
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO gate_decisions (service, at, change_type, decision, reasons, override_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, d.Service, d.At, d.ChangeType, d.Decision, string(d.Reasons), override, d.CreatedAt).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("insert gate decision for %s: %w", d.Service, err)
	}
	return nil
}

// GetGateDecision returns one decision.
func (s *Store) GetGateDecision(ctx context.Context, id int64) (store.GateDecision, error) {
	d, err := scanGateDecision(s.pool.QueryRow(ctx, `SELECT `+gateDecisionColumns+` FROM gate_decisions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	d, err := scanGateDecision(s.pool.QueryRow(ctx, `SELECT `+gateDecisionColumns+` FROM gate_decisions
		WHERE service = $1 AND created_at >= $2 ORDER BY created_at DESC, id DESC LIMIT 1`, service, sqlbackend.UTC(since)))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("latest gate decision of %s: %w", service, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("latest gate decision of %s: %w", service, err)
	}
	return d, nil
}
