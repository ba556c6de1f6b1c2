package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

const verificationColumns = `user_id, contact_method, number, code_hash, sent_at, expires_at, attempts, verified_at`

func scanVerification(row pgx.Row) (store.PhoneVerification, error) {
	var v store.PhoneVerification
	var verifiedAt *time.Time
	if err := row.Scan(&v.UserID, &v.ContactMethod, &v.Number, &v.CodeHash, &v.SentAt, &v.ExpiresAt, &v.Attempts, &verifiedAt); err != nil {
		return store.PhoneVerification{}, err
	}
	v.SentAt, v.ExpiresAt = v.SentAt.UTC(), v.ExpiresAt.UTC()
	if verifiedAt != nil {
		at := verifiedAt.UTC()
		v.VerifiedAt = &at
	}
	if len(v.CodeHash) == 0 {
		v.CodeHash = nil
	}
	return v, nil
}

func (t *writeTx) GetPhoneVerification(userID, contactMethod string) (store.PhoneVerification, error) {
	if err := sqlbackend.CheckTexts("phone verification key", userID, contactMethod); err != nil {
		return store.PhoneVerification{}, fmt.Errorf("get phone verification: %w", err)
	}
	v, err := scanVerification(t.tx.QueryRow(t.ctx, `SELECT `+verificationColumns+` FROM phone_verifications
		WHERE user_id = $1 AND contact_method = $2`+lock, userID, contactMethod))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.PhoneVerification{}, fmt.Errorf("phone verification of %s/%s: %w", userID, contactMethod, store.ErrNotFound)
	}
	if err != nil {
		return store.PhoneVerification{}, fmt.Errorf("get phone verification of %s/%s: %w", userID, contactMethod, err)
	}
	return v, nil
}

func (t *writeTx) PutPhoneVerification(v store.PhoneVerification) error {
	if err := sqlbackend.CheckPhoneVerification(v); err != nil {
		return fmt.Errorf("put phone verification: %w", err)
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO phone_verifications (`+verificationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (user_id, contact_method) DO UPDATE SET number = excluded.number, code_hash = excluded.code_hash,
			sent_at = excluded.sent_at, expires_at = excluded.expires_at, attempts = excluded.attempts, verified_at = excluded.verified_at`,
		v.UserID, v.ContactMethod, v.Number, v.CodeHash, sqlbackend.UTC(v.SentAt), sqlbackend.UTC(v.ExpiresAt), v.Attempts, nullTime(v.VerifiedAt))
	if err != nil {
		return fmt.Errorf("put phone verification of %s/%s: %w", v.UserID, v.ContactMethod, err)
	}
	return nil
}

// PhoneVerifications returns a user's verification states by contact method.
func (s *Store) PhoneVerifications(ctx context.Context, userID string) ([]store.PhoneVerification, error) {
	if err := sqlbackend.CheckText("user id", userID); err != nil {
		return nil, fmt.Errorf("phone verifications: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+verificationColumns+` FROM phone_verifications
		WHERE user_id = $1 ORDER BY contact_method`, userID)
	vs, err := collect(rows, err, func(row pgx.CollectableRow) (store.PhoneVerification, error) { return scanVerification(row) })
	if err != nil {
		return nil, fmt.Errorf("phone verifications of %s: %w", userID, err)
	}
	return vs, nil
}
