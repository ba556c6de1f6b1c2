package org_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
	"github.com/vigil-oncall/vigil/internal/store/storeopen"
)

// TestExampleAppliesTheSameOnBothBackends applies examples/org to SQLite
// and to PostgreSQL and compares what each serves back.
func TestExampleAppliesTheSameOnBothBackends(t *testing.T) {
	loaded, err := config.Load(filepath.Join("..", "..", "examples", "org"))
	if err != nil || len(loaded.Problems) > 0 {
		t.Fatalf("load example: %v %v", err, loaded.Problems)
	}
	apply := func(dsn string) (string, int) {
		ctx := context.Background()
		st, err := storeopen.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		m := org.NewManager(st, func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) })
		if err := m.Load(ctx); err != nil {
			t.Fatal(err)
		}
		first, err := m.Apply(ctx, &loaded.Bundle, "test", false)
		if err != nil {
			t.Fatal(err)
		}
		again, err := m.Apply(ctx, &loaded.Bundle, "test", false)
		if err != nil || len(again) != 0 {
			t.Fatalf("second apply = %v, %v; want no changes", again, err)
		}
		// A fresh manager reads back what was stored.
		fresh := org.NewManager(st, time.Now)
		if err := fresh.Load(ctx); err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(fresh.Snapshot().Bundle)
		return string(out), len(first)
	}
	lite, n := apply("sqlite:" + filepath.Join(t.TempDir(), "vigil.db"))
	if n < 30 {
		t.Fatalf("the example applied only %d objects", n)
	}
	pg, m := apply(pgtest.Schema(t))
	if m != n {
		t.Fatalf("PostgreSQL applied %d objects, SQLite %d", m, n)
	}
	if pg != lite {
		t.Fatalf("the backends serve different configurations:\nsqlite:   %.400s\npostgres: %.400s", lite, pg)
	}
}
