package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestPipelineFile(t *testing.T) {
	storetest.RunPipeline(t, func(t *testing.T) store.Store {
		s := openTestStore(t, filepath.Join(t.TempDir(), "vigil.db"))
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	})
}

func TestPipelineMemory(t *testing.T) {
	storetest.RunPipeline(t, func(t *testing.T) store.Store {
		s := openTestStore(t, MemoryPath)
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	})
}

// go test -run '^$' -bench AppendInbox -count 5 ./internal/store/sqlite/
func BenchmarkAppendInbox(b *testing.B) {
	storetest.BenchAppendInbox(b, func(b *testing.B) store.Store {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "vigil.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		return s
	})
}
