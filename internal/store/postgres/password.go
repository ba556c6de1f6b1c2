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

// PasswordHash returns a user's encoded password hash, or
// store.ErrNotFound when the user has none.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	if err := sqlbackend.CheckText("user id", userID); err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	var hash string
	err := s.pool.QueryRow(ctx, `SELECT hash FROM user_passwords WHERE user_id = $1`, userID).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO user_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
			userID, hash, sqlbackend.UTC(at))
		if err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("set password hash of %q: %w", userID, err)
	}
	return nil
}
