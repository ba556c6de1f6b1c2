// Package testdb gives tests a migrated store and a configuration on it.
package testdb

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store/sqlite"
	"github.com/vigil-oncall/vigil/internal/store/sqlite/sqlitetest"
)

// Shop is the start of a small configuration, for Org: alice, in team
// shop and in the global IRT, paged by escalation policy shop. A test
// goes on with its services: Shop + "services:\n...".
const Shop = `
users:
  - {id: alice, name: Alice, email: alice@example.com, time_zone: UTC}
teams:
  - {id: shop, name: Shop, kind: dev, time_zone: UTC, country: DE, members: [alice], escalation_policy: shop}
  - {id: irt, name: IRT, kind: global-irt, time_zone: UTC, members: [alice], escalation_policy: shop}
escalation_policies:
  - id: shop
    steps: [{targets: [{user: alice}], escalate_after: 10m}]
`

// SQLite opens a migrated SQLite store in a file of the test's own, closed
// when the test ends (sqlitetest.Open, for the packages that also want Org).
func SQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	return sqlitetest.Open(t)
}

// Org applies a configuration written as YAML to st and returns its
// manager, reading the time from now.
func Org(t testing.TB, st store.Store, now func() time.Time, yaml string) *org.Manager {
	t.Helper()
	ctx := context.Background()
	m := org.NewManager(st, now)
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	loaded := config.LoadBytes("org.yaml", []byte(yaml))
	if len(loaded.Problems) > 0 {
		t.Fatalf("config problems: %v", loaded.Problems)
	}
	if _, err := m.Apply(ctx, &loaded.Bundle, "test", false); err != nil {
		t.Fatal(err)
	}
	return m
}
