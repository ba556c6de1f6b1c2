package sqlbackend

import (
	"context"
	"fmt"

	"github.com/vigil-oncall/vigil/internal/store"
)

const verificationColumns = `user_id, contact_method, number, code_hash, sent_at, expires_at, attempts, verified_at`

func scanVerification(row Row) (store.PhoneVerification, error) {
	var v store.PhoneVerification
	err := row.Scan(&v.UserID, &v.ContactMethod, &v.Number, &v.CodeHash, instant{&v.SentAt}, instant{&v.ExpiresAt},
		&v.Attempts, nullInstant{&v.VerifiedAt})
	if len(v.CodeHash) == 0 {
		v.CodeHash = nil
	}
	return v, err
}

func (t *Tx) GetPhoneVerification(userID, contactMethod string) (store.PhoneVerification, error) {
	if err := CheckTexts("phone verification key", userID, contactMethod); err != nil {
		return store.PhoneVerification{}, fmt.Errorf("get phone verification: %w", err)
	}
	v, err := scanVerification(t.c.QueryRow(t.ctx, `SELECT `+verificationColumns+` FROM phone_verifications
		WHERE user_id = $1 AND contact_method = $2`+t.lock(forUpdate), userID, contactMethod))
	return v, oneRow(err, "phone verification of %s/%s", userID, contactMethod)
}

func (t *Tx) PutPhoneVerification(v store.PhoneVerification) error {
	if err := CheckPhoneVerification(v); err != nil {
		return fmt.Errorf("put phone verification: %w", err)
	}
	_, err := t.c.Exec(t.ctx, `INSERT INTO phone_verifications (`+verificationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (user_id, contact_method) DO UPDATE SET number = excluded.number, code_hash = excluded.code_hash,
			sent_at = excluded.sent_at, expires_at = excluded.expires_at, attempts = excluded.attempts, verified_at = excluded.verified_at`,
		v.UserID, v.ContactMethod, v.Number, v.CodeHash, UTC(v.SentAt), UTC(v.ExpiresAt), v.Attempts, nullTime(v.VerifiedAt))
	if err != nil {
		return fmt.Errorf("put phone verification of %s/%s: %w", v.UserID, v.ContactMethod, err)
	}
	return nil
}

// PhoneVerifications returns a user's verification states by contact method.
func (db *DB) PhoneVerifications(ctx context.Context, userID string) ([]store.PhoneVerification, error) {
	if err := CheckText("user id", userID); err != nil {
		return nil, fmt.Errorf("phone verifications: %w", err)
	}
	vs, err := queryAll(ctx, db.b.Read, scanVerification, `SELECT `+verificationColumns+` FROM phone_verifications
		WHERE user_id = $1 ORDER BY contact_method`, userID)
	if err != nil {
		return nil, fmt.Errorf("phone verifications of %s: %w", userID, err)
	}
	return vs, nil
}
