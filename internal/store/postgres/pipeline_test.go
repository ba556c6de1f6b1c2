package postgres

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestPipeline(t *testing.T) {
	requirePostgres(t)
	storetest.RunPipeline(t, schemaStore)
}

// TestPipelineReplicas runs two stores on one schema, as two vigil
// replicas on one database.
func TestPipelineReplicas(t *testing.T) {
	requirePostgres(t)
	storetest.RunPipelineReplicas(t, func(t *testing.T) (store.Store, store.Store) {
		cfg := freshSchema(t)
		return storetest.Migrated(t, openTestStore(t, cfg)), openTestStore(t, cfg)
	})
}

// VIGIL_TEST_POSTGRES=... go test -run '^$' -bench AppendInbox -count 5 ./internal/store/postgres/
func BenchmarkAppendInbox(b *testing.B) { storetest.BenchAppendInbox(b, benchStore) }
