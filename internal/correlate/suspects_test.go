package correlate

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/change"
)

// shop:
//
//	web -> api -> storage
//	web -> search -> storage
//	batch -> storage (soft)
//	api -> auth
//	mail (alone)
func shopGraph() *catalog.Graph {
	dep := func(id, kind string) catalog.Dependency { return catalog.Dependency{Service: id, Kind: kind} }
	return catalog.NewGraph([]catalog.Service{
		{ID: "web", DependsOn: []catalog.Dependency{dep("api", "hard"), dep("search", "soft")}},
		{ID: "api", DependsOn: []catalog.Dependency{dep("storage", "hard"), dep("auth", "hard")}},
		{ID: "search", DependsOn: []catalog.Dependency{dep("storage", "hard")}},
		{ID: "batch", DependsOn: []catalog.Dependency{dep("storage", "soft")}},
		{ID: "storage"}, {ID: "auth"}, {ID: "mail"},
	})
}

func TestSuspects(t *testing.T) {
	g := shopGraph()
	first := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	deploy := change.Event{ID: 7, Service: "storage", Summary: "storage v2.3", At: first.Add(-10 * time.Minute)}
	oldChange := change.Event{ID: 8, Service: "auth", Summary: "auth config", At: first.Add(-5 * time.Hour)}
	tooOld := change.Event{ID: 9, Service: "api", Summary: "ancient", At: first.Add(-7 * time.Hour)}
	after := change.Event{ID: 10, Service: "search", Summary: "after the alert", At: first.Add(time.Minute)}
	unrelated := change.Event{ID: 11, Service: "mail", Summary: "mail deploy", At: first.Add(-time.Minute)}
	tests := []struct {
		name    string
		failing []string
		changes []change.Event
		prime   []string
		want    string // service:changes, best first
	}{
		{
			// api and search alert; storage (silent) is common to both,
			// and was deployed 10 minutes before: the prime suspect.
			// Scores: storage 30+2*5+200 = 240; api 100; search 100;
			// auth: a dependency of api changed 5h ago: 1*5+20 = 25.
			name: "silent storage with a deploy", failing: []string{"api", "search"},
			changes: []change.Event{deploy, oldChange, tooOld, after, unrelated},
			want:    "storage:7 api: search: auth:8",
		},
		{
			// Without the deploy: the failing roots first (api, search at
			// 100), then storage (30+10 = 40).
			name: "no changes", failing: []string{"api", "search"},
			want: "api: search: storage:",
		},
		{
			// web and api alert, api is below web: api is the deepest
			// failing service (100 + 5 for web depending on it); web 60;
			// storage and auth: common? only api and web depend on them:
			// storage <- api, search, web (of the failing: api, web) = 30+10.
			name: "chain", failing: []string{"web", "api"},
			want: "api: web: auth: storage:",
		},
		{
			// Correlation joined api and search through storage on
			// evidence: storage comes first, whatever the scores.
			name: "a prime suspect", failing: []string{"api", "search"}, prime: []string{"storage"},
			want: "storage: api: search:",
		},
		{
			// Primes come in their order, before a deploy's 240.
			name: "primes in order", failing: []string{"api", "search"}, prime: []string{"auth", "storage"},
			changes: []change.Event{deploy},
			want:    "auth: storage:7 api: search:",
		},
		{
			// An alerting service is ranked as one, never as a prime.
			name: "an alerting prime", failing: []string{"web", "api"}, prime: []string{"web"},
			want: "api: web: auth: storage:",
		},
	}
	for _, tt := range tests {
		got := Suspects(g, tt.failing, tt.changes, first, tt.prime)
		var parts []string
		for _, s := range got {
			var ids []string
			for _, c := range s.Changes {
				ids = append(ids, string(rune('0'+c)))
			}
			parts = append(parts, s.Service+":"+strings.Join(ids, ","))
			if len(s.Reasons) == 0 {
				t.Errorf("%s: suspect %s has no reason", tt.name, s.Service)
			}
		}
		if strings.Join(parts, " ") != tt.want {
			t.Errorf("%s: suspects = %s, want %s", tt.name, strings.Join(parts, " "), tt.want)
		}
	}
}
