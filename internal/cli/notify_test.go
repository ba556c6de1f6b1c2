package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeAPI answers the requests vigil notify makes and records them.
type fakeAPI struct {
	mu  sync.Mutex
	got []string // "METHOD path body"
	srv *httptest.Server
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, strings.TrimSpace(r.Method+" "+r.URL.RequestURI()+" "+string(body)))
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer secret-token" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"code":"unauthorized","message":"invalid or revoked token"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/api/v1/users" && r.URL.Query().Get("cursor") == "":
			io.WriteString(w, `{"users":[{"id":"alice","contact_methods":[{"id":"alice-sms"},{"id":"shared"}]}],"next_cursor":"YWxpY2U"}`)
		case r.Method == "GET" && r.URL.Path == "/api/v1/users":
			io.WriteString(w, `{"users":[{"id":"bob","contact_methods":[{"id":"bob-sms"},{"id":"shared"}]}],"next_cursor":null}`)
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/test"):
			w.WriteHeader(http.StatusAccepted)
			parts := strings.Split(r.URL.Path, "/")
			json.NewEncoder(w).Encode(map[string]any{"notification_id": 41, "user": parts[4], "contact_method": parts[6], "status": "pending"})
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/verification"):
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"expires_at":"2026-11-26T12:10:00Z"}`)
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/verification/confirm"):
			if !strings.Contains(string(body), `"123456"`) {
				w.WriteHeader(http.StatusUnprocessableEntity)
				io.WriteString(w, `{"code":"wrong_code","message":"wrong code"}`)
				return
			}
			io.WriteString(w, `{"verified":true}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"code":"not_found","message":"no route"}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

func TestNotifyCommands(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		token    string
		code     int
		stdout   string
		stderr   string
		requests []string
	}{
		{"test, owner found across pages", []string{"notify", "test", "--contact-method", "bob-sms"}, "secret-token", exitOK,
			"test notification 41 queued for bob via bob-sms\n", "",
			[]string{"GET /api/v1/users?limit=1000", "GET /api/v1/users?limit=1000&cursor=YWxpY2U", "POST /api/v1/users/bob/contact_methods/bob-sms/test"}},
		{"test with the user given", []string{"notify", "test", "--contact-method", "shared", "--user", "alice"}, "secret-token", exitOK,
			"test notification 41 queued for alice via shared\n", "",
			[]string{"POST /api/v1/users/alice/contact_methods/shared/test"}},
		{"ambiguous method", []string{"notify", "test", "--contact-method", "shared"}, "secret-token", exitError,
			"", "users alice, bob all have a contact method \"shared\": pass --user", nil},
		{"unknown method", []string{"notify", "test", "--contact-method", "nothing"}, "secret-token", exitError,
			"", "no user has a contact method \"nothing\"", nil},
		{"no method", []string{"notify", "test"}, "secret-token", exitError, "", "--contact-method is required", nil},
		{"bad token", []string{"notify", "test", "--contact-method", "x", "--user", "alice"}, "wrong", exitFail,
			"", "server answered 401: invalid or revoked token", nil},
		{"verify", []string{"notify", "verify", "--contact-method", "alice-sms", "--user", "alice"}, "secret-token", exitOK,
			"code sent to alice-sms", "", []string{"POST /api/v1/users/alice/contact_methods/alice-sms/verification"}},
		{"confirm", []string{"notify", "confirm", "--contact-method", "alice-sms", "--user", "alice", "--code", "123456"}, "secret-token", exitOK,
			"alice-sms is verified and can be paged\n", "", []string{`POST /api/v1/users/alice/contact_methods/alice-sms/verification/confirm {"code":"123456"}`}},
		{"confirm a wrong code", []string{"notify", "confirm", "--contact-method", "alice-sms", "--user", "alice", "--code", "000000"}, "secret-token", exitFail,
			"", "server answered 422: wrong code", nil},
		{"confirm without a code", []string{"notify", "confirm", "--contact-method", "alice-sms"}, "secret-token", exitError,
			"", "--code is required", nil},
		{"unknown verb", []string{"notify", "page"}, "secret-token", exitError, "", `unknown verb "page"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t)
			code, stdout, stderr := run(t, map[string]string{"VIGIL_SERVER": api.srv.URL, "VIGIL_TOKEN": tt.token}, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) || tt.stdout == "" && stdout != "" {
				t.Errorf("stdout %q, want %q", stdout, tt.stdout)
			}
			if !strings.Contains(stderr, tt.stderr) || tt.stderr == "" && stderr != "" {
				t.Errorf("stderr %q, want %q", stderr, tt.stderr)
			}
			if tt.requests != nil {
				if got := strings.Join(api.requests(), "\n"); got != strings.Join(tt.requests, "\n") {
					t.Errorf("requests\n%s\nwant\n%s", got, strings.Join(tt.requests, "\n"))
				}
			}
		})
	}
}
