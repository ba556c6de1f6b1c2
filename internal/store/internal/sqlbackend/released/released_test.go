package released

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// TestMigrationsAsReleased: the migrations kept once render, for each
// backend, the statements it shipped, but for comments, spacing and the
// case of keywords and type names (which neither database tells apart).
func TestMigrationsAsReleased(t *testing.T) {
	for _, d := range []sqlbackend.Dialect{sqlbackend.PostgreSQL, sqlbackend.SQLite} {
		old, err := Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		current, err := sqlbackend.Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(old) != 7 || len(current) < len(old) {
			t.Fatalf("dialect %d: %d released migrations, %d current; want 7 and at least as many", d, len(old), len(current))
		}
		for i, m := range old {
			if current[i].Name != m.Name {
				t.Errorf("dialect %d: migration %d is %s, released as %s", d, i+1, current[i].Name, m.Name)
			}
			if got, want := Normalize(current[i].SQL), Normalize(m.SQL); got != want {
				t.Errorf("dialect %d: %s renders\n%s\nreleased as\n%s", d, m.Name, got, want)
			}
		}
	}
}
