package sqlite

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestPhoneVerification(t *testing.T) {
	for name, newStore := range map[string]func(t *testing.T) store.Store{"file": fileStore, "memory": memoryStore} {
		t.Run(name, func(t *testing.T) { storetest.RunVerification(t, newStore) })
	}
}
