package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// PasswordHash returns a user's encoded password hash, or
// store.ErrNotFound when the user has none.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	if err := sqlbackend.CheckText("user id", userID); err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	var hash string
	err := s.read.QueryRowContext(ctx, `SELECT hash FROM user_passwords WHERE user_id = ?`, userID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("password hash of %q: %w", userID, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("password hash of %q: %w", userID, err)
	}
	return hash, nil
}

// SetPasswordHash creates or replaces a user's password hash and writes the
// audit entry in the same transaction.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string, at time.Time, audit store.AuditEntry) error {
	if err := errors.Join(sqlbackend.CheckPasswordHash(userID, hash), sqlbackend.CheckAudit(audit)); err != nil {
		return fmt.Errorf("set password hash: %w", err)
	}
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO user_passwords (user_id, hash, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
			userID, hash, timeText(at))
		if err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("set password hash of %q: %w", userID, err)
	}
	return nil
}
