package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/simulate/history"
)

// vigil export history pages through the server's history and writes it
// oldest first, as JSON lines the simulator reads back.
func TestExportHistory(t *testing.T) {
	pages := map[string]string{
		"": `{"alerts":[{"timestamp":"2026-01-13T05:00:00Z","service":"api","severity":"error","summary":"b","dedup_key":"k2"}],"next_cursor":"7"}`,
		"7": `{"alerts":[{"timestamp":"2026-01-13T03:00:00Z","service":"api","severity":"critical","summary":"a","dedup_key":"k1",` +
			`"acknowledged_at":"2026-01-13T03:20:00Z","resolved_at":"2026-01-13T04:00:00Z"}],"next_cursor":null}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/api/v1/history/alerts" || r.Header.Get("Authorization") != "Bearer tok" || q.Get("from") != "2026-01-01" || q.Get("to") != "2026-02-01" {
			http.Error(w, `{"error":"no"}`, http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(pages[q.Get("cursor")]))
	}))
	defer srv.Close()
	vars := map[string]string{"VIGIL_SERVER": srv.URL, "VIGIL_TOKEN": "tok"}
	file := filepath.Join(t.TempDir(), "history.jsonl")
	code, _, errOut := run(t, vars, "export", "history", "--from", "2026-01-01", "--to", "2026-02-01", "-o", file)
	if code != exitOK || !strings.Contains(errOut, "2 alerts") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	alerts, err := history.Read(f, history.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 || alerts[0].DedupKey != "k1" || alerts[0].AcknowledgedAt == nil || alerts[1].DedupKey != "k2" {
		t.Errorf("read back %+v, want k1 (acknowledged) then k2", alerts)
	}

	for _, tt := range []struct {
		args []string
		vars map[string]string
	}{
		{[]string{"export", "history", "--from", "last week"}, vars},
		{[]string{"export", "history", "--from", "2026-01-01", "--to", "2026-02-01"}, map[string]string{"VIGIL_SERVER": srv.URL, "VIGIL_TOKEN": "wrong"}},
	} {
		if code, _, _ := run(t, tt.vars, tt.args...); code != exitError {
			t.Errorf("%v: exit %d, want %d", tt.args, code, exitError)
		}
	}
}
