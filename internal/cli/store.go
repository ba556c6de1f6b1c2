package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/sqlite"
)

// openStore opens and migrates the store a DSN names.
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	path, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok {
		return nil, fmt.Errorf("unsupported store %q", dsn)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
