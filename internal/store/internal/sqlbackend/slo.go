package sqlbackend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

// Bounds on what the SLO and gate tables take, checked alike by both
// backends.
const (
	MaxBatchIDLen    = 255
	MaxBatchPoints   = 100_000
	MaxGateReasonLen = 2000
)

// CheckSLOBatch validates a pushed batch before it is written.
func CheckSLOBatch(slo, batchID string, points []store.SLOPoint) error {
	err := errors.Join(required("slo", slo), required("batch id", batchID))
	if len(batchID) > MaxBatchIDLen {
		err = errors.Join(err, fmt.Errorf("batch id is longer than %d bytes", MaxBatchIDLen))
	}
	if len(points) > MaxBatchPoints {
		err = errors.Join(err, fmt.Errorf("%d points, more than %d", len(points), MaxBatchPoints))
	}
	for i, p := range points {
		if !finite(p.Good) || !finite(p.Total) || p.Good < 0 || p.Total < 0 || p.Good > p.Total {
			err = errors.Join(err, fmt.Errorf("point %d: good %v of total %v: want 0 ≤ good ≤ total, finite", i, p.Good, p.Total))
			break
		}
		if p.At.IsZero() {
			err = errors.Join(err, fmt.Errorf("point %d: no time", i))
			break
		}
	}
	return err
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// SLOPointLimit turns a requested page size into the one to use.
func SLOPointLimit(requested int) int {
	if requested <= 0 || requested > store.MaxSLOPointLimit {
		return store.MaxSLOPointLimit
	}
	return requested
}

// CheckGateOverride validates an override before it is written.
func CheckGateOverride(o store.GateOverride) error {
	err := errors.Join(required("service", o.Service), required("reason", o.Reason), CheckText("created by", o.CreatedBy))
	if len(o.Reason) > MaxGateReasonLen {
		err = errors.Join(err, fmt.Errorf("reason is longer than %d bytes", MaxGateReasonLen))
	}
	if o.CreatedAt.IsZero() || o.ExpiresAt.IsZero() {
		err = errors.Join(err, errors.New("created_at and expires_at are required"))
	}
	return err
}

// CheckGateDecision validates a decision before it is written.
func CheckGateDecision(d store.GateDecision) error {
	err := errors.Join(required("service", d.Service), required("decision", d.Decision), CheckText("change type", d.ChangeType))
	if !json.Valid(d.Reasons) {
		return errors.Join(err, errors.New("reasons are not valid JSON"))
	}
	return errors.Join(err, checkJSONBText("reasons", d.Reasons))
}

// checkJSONBText applies CheckText's rule to every string and key of a
// valid JSON document that PostgreSQL keeps as jsonb, which refuses a NUL
// even escaped (\u0000), so that SQLite refuses it too.
func checkJSONBText(field string, doc []byte) error {
	if err := checkJSONText(field, doc); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		if s, ok := tok.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("%s contains a NUL character", field)
		}
	}
}

// AddSLOBatch stores a pushed batch unless its id was seen for the SLO.
func (db *DB) AddSLOBatch(ctx context.Context, slo, batchID string, points []store.SLOPoint, receivedAt time.Time) (bool, error) {
	if err := CheckSLOBatch(slo, batchID, points); err != nil {
		return false, fmt.Errorf("add SLO batch: %w", err)
	}
	received := UTC(receivedAt)
	added := false
	err := db.b.InTx(ctx, func(c Conn) error {
		n, err := c.Exec(ctx, `INSERT INTO slo_batches (slo, batch_id, received_at) VALUES ($1, $2, $3)
			ON CONFLICT (slo, batch_id) DO NOTHING`, slo, batchID, received)
		if err != nil || n == 0 {
			return err
		}
		added = true
		for i := range points {
			points[i].SLO, points[i].At, points[i].ReceivedAt = slo, UTC(points[i].At), received
		}
		ids, err := db.b.InsertSLOPoints(ctx, c, slo, points, received)
		if err != nil {
			return err
		}
		if len(ids) != len(points) {
			return fmt.Errorf("%d rows inserted for %d points", len(ids), len(points))
		}
		for i := range points {
			points[i].ID = ids[i]
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("add SLO batch %q of %s: %w", batchID, slo, err)
	}
	return added, nil
}

// ListSLOPoints returns pushed points by ID.
func (db *DB) ListSLOPoints(ctx context.Context, q store.SLOPointQuery) ([]store.SLOPoint, error) {
	if err := CheckText("slo", q.SLO); err != nil {
		return nil, fmt.Errorf("list SLO points: %w", err)
	}
	w := db.d.where().text("slo", q.SLO).time("at >=", q.Since).time("received_at >=", q.ReceivedSince)
	w.add("id > " + w.arg(q.AfterID))
	query := `SELECT id, slo, at, good, total, received_at FROM slo_points` + w.page("id", SLOPointLimit(q.Limit))
	points, err := queryAll(ctx, db.b.Read, func(row Row) (store.SLOPoint, error) {
		var p store.SLOPoint
		err := row.Scan(&p.ID, &p.SLO, instant{&p.At}, &p.Good, &p.Total, instant{&p.ReceivedAt})
		return p, err
	}, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list SLO points: %w", err)
	}
	return points, nil
}

// PruneSLOData deletes points and batch ids older than before.
func (db *DB) PruneSLOData(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.b.InTx(ctx, func(c Conn) error {
		var err error
		if n, err = c.Exec(ctx, `DELETE FROM slo_points WHERE at < $1`, UTC(before)); err != nil {
			return err
		}
		_, err = c.Exec(ctx, `DELETE FROM slo_batches WHERE received_at < $1`, UTC(before))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune SLO data: %w", err)
	}
	return n, nil
}

// CreateGateOverride stores an override and its audit entry.
func (db *DB) CreateGateOverride(ctx context.Context, o *store.GateOverride, audit store.AuditEntry) error {
	if err := errors.Join(CheckGateOverride(*o), CheckAudit(audit)); err != nil {
		return fmt.Errorf("create gate override: %w", err)
	}
	o.CreatedAt, o.ExpiresAt = UTC(o.CreatedAt), UTC(o.ExpiresAt)
	err := db.b.InTx(ctx, func(c Conn) error {
		var err error
		o.ID, err = c.Insert(ctx, `INSERT INTO gate_overrides (service, reason, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, o.Service, o.Reason, o.CreatedBy, o.CreatedAt, o.ExpiresAt)
		if err != nil {
			return err
		}
		if audit.ObjID == "" {
			audit.ObjID = strconv.FormatInt(o.ID, 10)
		}
		return db.insertAudit(ctx, c, audit)
	})
	if err != nil {
		return fmt.Errorf("create gate override for %s: %w", o.Service, err)
	}
	return nil
}

// ListGateOverrides returns overrides newest first.
func (db *DB) ListGateOverrides(ctx context.Context, service string, activeAt time.Time, beforeID int64, limit int) ([]store.GateOverride, error) {
	if err := CheckText("service", service); err != nil {
		return nil, fmt.Errorf("list gate overrides: %w", err)
	}
	w := db.d.where().text("service", service).time("expires_at >", activeAt).before(beforeID)
	query := `SELECT id, service, reason, created_by, created_at, expires_at FROM gate_overrides` + w.page("id DESC", ListLimit(limit))
	out, err := queryAll(ctx, db.b.Read, func(row Row) (store.GateOverride, error) {
		var o store.GateOverride
		err := row.Scan(&o.ID, &o.Service, &o.Reason, &o.CreatedBy, instant{&o.CreatedAt}, instant{&o.ExpiresAt})
		return o, err
	}, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list gate overrides: %w", err)
	}
	return out, nil
}

const gateDecisionColumns = `id, service, at, change_type, decision, reasons, override_id, created_at`

func scanGateDecision(row Row) (store.GateDecision, error) {
	var d store.GateDecision
	var reasons []byte // not json.RawMessage: see scanObject
	var override *int64
	err := row.Scan(&d.ID, &d.Service, instant{&d.At}, &d.ChangeType, &d.Decision, &reasons, &override, instant{&d.CreatedAt})
	d.Reasons = reasons
	if override != nil {
		d.OverrideID = *override
	}
	return d, err
}

// InsertGateDecision stores a decision.
func (db *DB) InsertGateDecision(ctx context.Context, d *store.GateDecision) error {
	if err := CheckGateDecision(*d); err != nil {
		return fmt.Errorf("insert gate decision: %w", err)
	}
	d.At, d.CreatedAt = UTC(d.At), UTC(d.CreatedAt)
	var override *int64
	if d.OverrideID != 0 {
		override = &d.OverrideID
	}
	var err error
	d.ID, err = db.b.Write.Insert(ctx, `INSERT INTO gate_decisions (service, at, change_type, decision, reasons, override_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, d.Service, d.At, d.ChangeType, d.Decision, string(d.Reasons), override, d.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert gate decision for %s: %w", d.Service, err)
	}
	return nil
}

// GetGateDecision returns one decision.
func (db *DB) GetGateDecision(ctx context.Context, id int64) (store.GateDecision, error) {
	return byID(ctx, db.b.Read, scanGateDecision, "gate decision", `SELECT `+gateDecisionColumns+` FROM gate_decisions WHERE id = $1`, id)
}

// LatestGateDecision returns a service's newest decision since a time.
func (db *DB) LatestGateDecision(ctx context.Context, service string, since time.Time) (store.GateDecision, error) {
	if err := CheckText("service", service); err != nil {
		return store.GateDecision{}, fmt.Errorf("latest gate decision: %w", err)
	}
	d, err := scanGateDecision(db.b.Read.QueryRow(ctx, `SELECT `+gateDecisionColumns+` FROM gate_decisions
		WHERE service = $1 AND created_at >= $2 ORDER BY created_at DESC, id DESC LIMIT 1`, service, UTC(since)))
	return d, oneRow(err, "latest gate decision of %s", service)
}
