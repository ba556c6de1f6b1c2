package sqlbackend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

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
