package pagerduty

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-oncall/vigil/internal/importer"
	"github.com/vigil-oncall/vigil/internal/importer/importertest"
)

// fakePagerDuty serves the fixture as PagerDuty's REST API does: lists
// page by page (the page whose offset was asked for), one detail per
// object, the token and API version checked.
func fakePagerDuty(t *testing.T, files importertest.Files) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.RequestURI())
		mu.Unlock()
		if r.Header.Get("Authorization") != "Token token=pd-test-token" || r.Header.Get("Accept") != "application/vnd.pagerduty+json;version=2" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"message":"Unauthorized","code":2006}}`))
			return
		}
		path := strings.TrimPrefix(r.URL.Path, "/")
		q := r.URL.Query()
		if strings.HasSuffix(path, "/overrides") && (q.Get("since") == "" || q.Get("until") == "") {
			http.Error(w, `{"error":{"message":"since and until are required"}}`, http.StatusBadRequest)
			return
		}
		if path == "users" && len(q["include[]"]) != 3 {
			http.Error(w, `{"error":{"message":"the importer must ask for contact methods, rules and teams"}}`, http.StatusBadRequest)
			return
		}
		want, _ := strconv.Atoi(q.Get("offset"))
		for n := 1; ; n++ {
			body, ok := files[importer.PageFile(path, n)]
			if !ok {
				break
			}
			var page struct {
				Offset *int `json:"offset"`
			}
			json.Unmarshal(body, &page)
			if page.Offset == nil || *page.Offset == want {
				w.Header().Set("Content-Type", "application/json")
				w.Write(body)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"message":"Not Found","code":2100}}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &asked
}

// The live API gives the same import as the saved files, and the pages it
// saves are those files.
func TestImportFromAPI(t *testing.T) {
	files := importertest.ReadFiles(t, "testdata/acme")
	srv, asked := fakePagerDuty(t, files)
	base, _ := url.Parse(srv.URL)
	api := API(base, "pd-test-token", srv.Client(), importertest.Now())
	api.Save = t.TempDir()
	importertest.FromAPI(t, Import, api, mustDir(t, "testdata/acme"))
	pages := 0
	for _, a := range *asked {
		if strings.HasPrefix(a, "/users?") || strings.HasPrefix(a, "/services?") {
			pages++
		}
	}
	if pages != 4 {
		t.Errorf("asked %d pages of users and services, want 2 each: %v", pages, *asked)
	}
	saved := importertest.ReadFiles(t, api.Save)
	for name, body := range saved {
		if string(files[name]) != string(body) {
			t.Errorf("saved %s differs from the fixture", name)
		}
	}
	for _, name := range []string{"users-2.json", "services-2.json", "schedules/PSPAY01.json", "schedules/PSPAY01/overrides.json", "teams/PTPLT01/members.json"} {
		if _, ok := saved[name]; !ok {
			t.Errorf("%s was not saved", name)
		}
	}
	importertest.WrongToken(t, Import, API(base, "wrong-token", srv.Client(), importertest.Now()))
}
