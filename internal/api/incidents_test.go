package api

import (
	"fmt"
	"strings"
	"testing"
)

// TestRepeatedActionsSucceedSayingSo: acknowledging an acknowledged
// incident and resolving a resolved one succeed, change nothing and say
// so; acknowledging a resolved one is still a conflict, and a caller who
// may not act is still refused.
func TestRepeatedActionsSucceedSayingSo(t *testing.T) {
	onBothBackends(t, func(t *testing.T, f *fixture) {
		f.pagingOrg()
		id := f.declareAsAdmin("checkout")
		path := fmt.Sprintf("/api/v1/incidents/%d/", id)
		type answer struct {
			Status    string `json:"status"`
			Unchanged bool   `json:"unchanged"`
			Message   string `json:"message"`
			Timeline  []struct {
				Kind string `json:"kind"`
			} `json:"timeline"`
		}
		steps := []struct {
			token, verb string
			want        int
			unchanged   bool
			message     string
		}{
			{"user-token-of-alice", "acknowledge", 200, false, ""},
			{"user-token-of-alice", "acknowledge", 200, true, fmt.Sprintf("incident %d was already acknowledged", id)},
			{"user-token-of-olga", "acknowledge", 403, false, ""},
			{adminSecret, "resolve", 200, false, ""},
			{adminSecret, "resolve", 200, true, fmt.Sprintf("incident %d was already resolved", id)},
			{"user-token-of-alice", "resolve", 200, true, "already resolved"},
			{"user-token-of-olga", "resolve", 403, false, ""},
			{adminSecret, "acknowledge", 409, false, ""},
		}
		for i, st := range steps {
			var a answer
			code := f.call("POST", path+st.verb, st.token, map[string]any{"channel": "cli"}, &a)
			if code != st.want {
				t.Fatalf("step %d, %s = %d, want %d", i, st.verb, code, st.want)
			}
			if code != 200 {
				continue
			}
			if a.Unchanged != st.unchanged || !strings.Contains(a.Message, st.message) {
				t.Errorf("step %d, %s: unchanged %v %q, want %v %q", i, st.verb, a.Unchanged, a.Message, st.unchanged, st.message)
			}
		}
		var inc answer
		f.call("GET", fmt.Sprintf("/api/v1/incidents/%d", id), adminSecret, nil, &inc)
		counts := map[string]int{}
		for _, e := range inc.Timeline {
			counts[e.Kind]++
		}
		if inc.Status != "resolved" || counts["acknowledged"] != 1 || counts["resolved"] != 1 || inc.Unchanged || inc.Message != "" {
			t.Errorf("incident %s with timeline kinds %v (unchanged %v %q), want resolved with one acknowledged and one resolved entry",
				inc.Status, counts, inc.Unchanged, inc.Message)
		}
	})
}

// TestRelatedIncidents: checkout and orders share ledger, which shows no
// sign of trouble: their alerts open two incidents, each listing the
// other under related with ledger named; merging them is one call.
func TestRelatedIncidents(t *testing.T) {
	f := newFixture(t)
	b := shop()
	b["services"] = append(b["services"].([]any),
		map[string]any{"id": "orders", "owner": "shop", "depends_on": []any{map[string]any{"service": "ledger", "kind": "hard"}},
			"integrations": []any{map[string]any{"type": "generic", "key": "gen-orders"}}})
	b["services"].([]any)[0].(map[string]any)["integrations"] = []any{map[string]any{"type": "generic", "key": "gen-checkout"}}
	f.apply(b)
	type related struct {
		Incident int64    `json:"incident"`
		Via      []string `json:"via"`
		Reason   string   `json:"reason"`
	}
	type view struct {
		ID       int64     `json:"id"`
		Services []string  `json:"services"`
		Related  []related `json:"related"`
		Timeline []struct {
			Kind, Message string
		} `json:"timeline"`
	}
	ids := map[string]int64{}
	for _, svc := range []string{"checkout", "orders"} {
		body := fmt.Sprintf(`{"summary":"%s fails","severity":"critical","dedup_key":"d","status":"trigger"}`, svc)
		if code := f.call("POST", "/api/v1/integrations/generic/gen-"+svc, "", body, nil); code != 202 {
			t.Fatalf("%s alert = %d", svc, code)
		}
		eventually(t, svc+"'s incident", func() bool {
			var list struct{ Incidents []view }
			f.call("GET", "/api/v1/incidents?service="+svc, adminSecret, nil, &list)
			if len(list.Incidents) == 1 {
				ids[svc] = list.Incidents[0].ID
			}
			return ids[svc] != 0
		})
	}
	if ids["checkout"] == ids["orders"] {
		t.Fatal("checkout and orders joined one incident, sharing only ledger, which shows no sign of trouble")
	}
	reason := "orders and checkout both depend on ledger, which shows no sign of trouble"
	for svc, other := range map[string]string{"checkout": "orders", "orders": "checkout"} {
		var v view
		f.call("GET", fmt.Sprintf("/api/v1/incidents/%d", ids[svc]), f.viewer, nil, &v)
		want := []related{{Incident: ids[other], Via: []string{"ledger"}, Reason: reason}}
		if fmt.Sprint(v.Related) != fmt.Sprint(want) {
			t.Errorf("%s's incident: related = %+v, want %+v", svc, v.Related, want)
		}
		found := false
		for _, e := range v.Timeline {
			found = found || e.Kind == "related" && strings.Contains(e.Message, reason)
		}
		if !found {
			t.Errorf("%s's timeline does not say it is related: %+v", svc, v.Timeline)
		}
	}
	var merged view
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/merge", ids["checkout"]), adminSecret, map[string]any{"incident": ids["orders"]}, &merged); code != 200 {
		t.Fatalf("merge = %d", code)
	}
	if strings.Join(merged.Services, ",") != "checkout,orders" || merged.Related == nil || len(merged.Related) != 0 {
		t.Errorf("merged: services %v, related %+v; want both services, related: []", merged.Services, merged.Related)
	}
}
