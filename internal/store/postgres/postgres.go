// Package postgres is the store backend for several Vigil replicas sharing
// one PostgreSQL database, through pgx.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	*sqlbackend.DB
	pool       *pgxpool.Pool
	migrations []sqlbackend.Migration

	// migrationLock is the advisory lock held while migrating, so that
	// replicas starting together apply each migration once. It and the
	// audit and inbox locks (see OpenConfig) are derived from the schema,
	// so that Vigil installations in different schemas of one database do
	// not wait on each other.
	migrationLock int64
}

var _ store.Store = (*Store)(nil)

// Open connects to the database a postgres:// URL (or key=value string)
// names. It does not migrate: call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error can quote the DSN, password included.
		return nil, errors.New("open postgres: cannot parse the connection string")
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig connects with a prepared pool configuration, for callers that
// set connection parameters (such as search_path) in code.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	migrations, err := sqlbackend.Migrations(sqlbackend.PostgreSQL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if schema == nil {
		pool.Close()
		return nil, errors.New("open postgres: no schema to work in: check search_path")
	}
	s := &Store{
		pool:          pool,
		migrations:    migrations,
		migrationLock: lockKey("migrate", *schema),
	}
	s.DB = sqlbackend.New(sqlbackend.Backend{
		Dialect: sqlbackend.PostgreSQL,
		Read:    conn{pool},
		Write:   conn{pool},
		InTx: func(ctx context.Context, fn func(sqlbackend.Conn) error) error {
			return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return fn(conn{tx}) })
		},
		IsUniqueViolation: isUniqueViolation,
		AuditLock:         fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", lockKey("audit", *schema)),
		// One replica at a time takes events, until its transaction
		// ends: events of one key are then applied in order even when
		// replicas share the inbox. The others find nothing to do
		// meanwhile.
		InboxLock:       fmt.Sprintf("SELECT pg_try_advisory_xact_lock(%d)", lockKey("inbox", *schema)),
		InsertSLOPoints: insertSLOPoints,
	})
	return s, nil
}

func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "vigil\x00%s\x00%s", purpose, schema)
	return int64(h.Sum64())
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Migrate applies every pending migration, each in its own transaction,
// holding an advisory lock so that replicas starting at once take turns.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, s.migrations)
}

// migrate applies the pending migrations of a list; tests give it other
// lists (older ones, or fewer) to build a database as older versions did.
func (s *Store) migrate(ctx context.Context, migrations []sqlbackend.Migration) (err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	// The lock belongs to the session, so it is taken and released on this
	// one connection.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, s.migrationLock); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	defer func() {
		_, unlockErr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, s.migrationLock)
		if unlockErr != nil {
			// A pooled connection must not keep holding the lock.
			conn.Conn().Close(context.WithoutCancel(ctx))
			err = errors.Join(err, fmt.Errorf("migrate: release lock: %w", unlockErr))
		}
	}()

	const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := conn.Exec(ctx, createTable); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var applied int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, err := sqlbackend.Pending(migrations, applied)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// SchemaVersion reports the newest applied migration, 0 for a new database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var version int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return version, nil
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// appendInbox inserts a batch in one statement. It draws the ids from the
// sequence first and hands them out in increasing order along the batch,
// so that processing in id order keeps the order of the batch.
const appendInbox = `
	WITH ids AS (SELECT nextval('inbox_id_seq') AS id FROM generate_series(1, $1)),
	numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS ord FROM ids)
	INSERT INTO inbox (id, received_at, kind, integration_key, service, payload, lane, alert_key)
	SELECT n.id, e.received_at, e.kind, e.integration_key, e.service, e.payload::json, e.lane, e.alert_key
	FROM numbered n
	JOIN unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::bigint[])
		WITH ORDINALITY AS e(received_at, kind, integration_key, service, payload, lane, alert_key, ord) ON e.ord = n.ord
	RETURNING id`

// AppendInbox stores the events with one statement, which is one
// transaction, and sets their IDs in the order given.
func (s *Store) AppendInbox(ctx context.Context, events []store.InboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := sqlbackend.CheckInbox(events); err != nil {
		return fmt.Errorf("append inbox: %w", err)
	}
	receivedAt := make([]time.Time, len(events))
	kinds := make([]string, len(events))
	keys := make([]string, len(events))
	services := make([]string, len(events))
	payloads := make([]string, len(events))
	lanes := make([]int32, len(events))
	alertKeys := make([]int64, len(events))
	for i, e := range events {
		receivedAt[i], kinds[i], keys[i], services[i], payloads[i] = sqlbackend.UTC(e.ReceivedAt), e.Kind, e.IntegrationKey, e.Service, string(e.Payload)
		lanes[i], alertKeys[i] = int32(e.Lane), sqlbackend.AlertKey(e)
	}
	ids, err := sqlbackend.QueryIDs(ctx, conn{s.pool}, appendInbox, len(events), receivedAt, kinds, keys, services, payloads, lanes, alertKeys)
	if err != nil {
		return fmt.Errorf("append inbox: %w", err)
	}
	if len(ids) != len(events) {
		return fmt.Errorf("append inbox: %d rows inserted for %d events", len(ids), len(events))
	}
	for i := range events {
		events[i].ID = ids[i]
	}
	return nil
}

// insertSLOPoints stores a batch of points with one statement.
func insertSLOPoints(ctx context.Context, c sqlbackend.Conn, slo string, points []store.SLOPoint, receivedAt time.Time) ([]int64, error) {
	ats := make([]time.Time, len(points))
	goods := make([]float64, len(points))
	totals := make([]float64, len(points))
	for i, p := range points {
		ats[i], goods[i], totals[i] = p.At, p.Good, p.Total
	}
	return sqlbackend.QueryIDs(ctx, c, `INSERT INTO slo_points (slo, at, good, total, received_at)
		SELECT $1, u.at, u.good, u.total, $5
		FROM unnest($2::timestamptz[], $3::float8[], $4::float8[]) WITH ORDINALITY AS u(at, good, total, n)
		ORDER BY u.n RETURNING id`, slo, ats, goods, totals, receivedAt)
}

// Update runs fn in one transaction (READ COMMITTED: the row locks taken
// by the Tx make its reads safe to write back), committed when fn returns
// nil. An error from fn is returned as it is, after the rollback.
//
// Paths driven by senders lock an alert and then its incident, while
// people's actions lock the incident and then its alerts; when two such
// transactions meet, PostgreSQL aborts one as a deadlock. fn holds no
// state outside the transaction, so it is simply run again.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	var err error
	for attempt := 0; attempt < maxUpdateAttempts; attempt++ {
		if err = s.update(ctx, fn); !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return err
}

// maxUpdateAttempts bounds the reruns of a transaction aborted as a
// deadlock or serialization failure.
const maxUpdateAttempts = 5

// retryable reports whether PostgreSQL aborted a transaction in a way that
// running it again resolves.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

func (s *Store) update(ctx context.Context, fn func(store.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin update: %w", err)
	}
	// A no-op after Commit; otherwise it frees the connection, also when fn
	// panics.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := s.Run(ctx, conn{tx}, fn); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit update: %w", err)
	}
	return nil
}
