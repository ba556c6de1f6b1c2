package postgres

import (
	"context"
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestPhoneVerification(t *testing.T) {
	requirePostgres(t)
	storetest.RunVerification(t, func(t *testing.T) store.Store {
		s := openTestStore(t, freshSchema(t))
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	})
}
