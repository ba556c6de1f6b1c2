package postgres

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestReports(t *testing.T) {
	requirePostgres(t)
	storetest.RunReports(t, schemaStore)
}
