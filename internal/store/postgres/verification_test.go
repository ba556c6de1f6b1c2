package postgres

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestPhoneVerification(t *testing.T) {
	requirePostgres(t)
	storetest.RunVerification(t, schemaStore)
}
