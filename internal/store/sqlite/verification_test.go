package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestPhoneVerification(t *testing.T) {
	for name, path := range map[string]func(t *testing.T) string{
		"file":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "vigil.db") },
		"memory": func(*testing.T) string { return MemoryPath },
	} {
		t.Run(name, func(t *testing.T) {
			storetest.RunVerification(t, func(t *testing.T) store.Store {
				s := openTestStore(t, path(t))
				if err := s.Migrate(context.Background()); err != nil {
					t.Fatalf("Migrate: %v", err)
				}
				return s
			})
		})
	}
}
