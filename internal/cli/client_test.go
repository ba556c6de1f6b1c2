package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// pagedServer answers GET /api/v1/things with the page its cursor names
// and records every request URI.
func pagedServer(t *testing.T, pages map[string]string) (*client, *[]string) {
	t.Helper()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI())
		page, ok := pages[r.URL.Query().Get("cursor")]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"code":"bad_cursor","message":"unknown cursor"}`)
			return
		}
		io.WriteString(w, page)
	}))
	t.Cleanup(srv.Close)
	c, err := newClient(srv.URL, Env{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return c, &got
}

type thing struct {
	ID string `json:"id"`
}

func TestGetAllFollowsPages(t *testing.T) {
	c, got := pagedServer(t, map[string]string{
		"":   `{"things":[{"id":"a"},{"id":"b"}],"next_cursor":"c2"}`,
		"c2": `{"things":[{"id":"c"}],"next_cursor":null}`,
	})
	all, err := getAll[thing](context.Background(), c, "/api/v1/things", map[string][]string{"service": {"x y"}}, "things")
	if err != nil {
		t.Fatal(err)
	}
	if want := []thing{{"a"}, {"b"}, {"c"}}; !slices.Equal(all, want) {
		t.Errorf("items %v, want %v", all, want)
	}
	want := []string{"/api/v1/things?service=x+y&limit=1000", "/api/v1/things?service=x+y&limit=1000&cursor=c2"}
	if !slices.Equal(*got, want) {
		t.Errorf("requests %q, want %q", *got, want)
	}
}

func TestGetAllBadAnswers(t *testing.T) {
	tests := []struct {
		name     string
		pages    map[string]string
		want     int    // items, when there is no error
		wantErr  string // part of the error, when there is one
		requests int
	}{
		{"empty list", map[string]string{"": `{"things":[]}`}, 0, "", 1},
		{"no list at all", map[string]string{"": `{}`}, 0, "", 1},
		{"empty cursor ends", map[string]string{"": `{"things":[{"id":"a"}],"next_cursor":""}`}, 1, "", 1},
		{"a cursor repeated ends", map[string]string{
			"":  `{"things":[{"id":"a"}],"next_cursor":"c"}`,
			"c": `{"things":[{"id":"b"}],"next_cursor":"c"}`,
		}, 2, "", 2},
		{"unknown cursor", map[string]string{"": `{"things":[],"next_cursor":"gone"}`}, 0, "unknown cursor", 2},
		{"not JSON", map[string]string{"": `<html>`}, 0, "decode answer", 1},
		{"list of the wrong type", map[string]string{"": `{"things":{"id":"a"}}`}, 0, "decode things", 1},
		{"cursor of the wrong type", map[string]string{"": `{"things":[],"next_cursor":7}`}, 0, "decode next_cursor", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, got := pagedServer(t, tt.pages)
			all, err := getAll[thing](context.Background(), c, "/api/v1/things", nil, "things")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("getAll: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("getAll error %v, want one saying %q", err, tt.wantErr)
			case tt.wantErr == "" && len(all) != tt.want:
				t.Errorf("%d items, want %d", len(all), tt.want)
			}
			if len(*got) != tt.requests {
				t.Errorf("requests %q, want %d", *got, tt.requests)
			}
		})
	}
}
