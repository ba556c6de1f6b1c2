package postgres

import (
	"context"
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestPipeline(t *testing.T) {
	requirePostgres(t)
	storetest.RunPipeline(t, func(t *testing.T) store.Store {
		s := openTestStore(t, freshSchema(t))
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	})
}

// TestPipelineReplicas runs two stores on one schema, as two vigil
// replicas on one database.
func TestPipelineReplicas(t *testing.T) {
	requirePostgres(t)
	storetest.RunPipelineReplicas(t, func(t *testing.T) (store.Store, store.Store) {
		cfg := freshSchema(t)
		a, b := openTestStore(t, cfg), openTestStore(t, cfg)
		if err := a.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return a, b
	})
}

// VIGIL_TEST_POSTGRES=... go test -run '^$' -bench AppendInbox -count 5 ./internal/store/postgres/
func BenchmarkAppendInbox(b *testing.B) {
	storetest.BenchAppendInbox(b, func(b *testing.B) store.Store {
		s := openTestStore(b, freshSchema(b))
		if err := s.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		return s
	})
}
