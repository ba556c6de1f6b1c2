package sqlite

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/store/storetest"
)

func TestReportsFile(t *testing.T) { storetest.RunReports(t, fileStore) }

func TestReportsMemory(t *testing.T) { storetest.RunReports(t, memoryStore) }
