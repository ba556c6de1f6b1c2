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
