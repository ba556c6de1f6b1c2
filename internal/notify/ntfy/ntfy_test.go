package ntfy

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

func defaultServer(url, token string) func() (Server, error) {
	return func() (Server, error) { return Server{URL: url, Token: token}, nil }
}

var target = notifytest.Target{
	New: func(base string) (notify.Channel, notify.Destination) {
		return New(nil, defaultServer(base, "tk_secret")), notify.Destination{Topic: "vigil-alice"}
	},
	Secrets: []string{"tk_secret"},
}

func TestKit(t *testing.T) { notifytest.Run(t, target) }

func TestNtfyPublishesWithHeaders(t *testing.T) {
	p := notifytest.NewServer(t)
	p.Answer(http.StatusOK, `{"id":"abc"}`)
	ch := New(p.Client(), defaultServer(p.URL()+"/", "tk_secret"))
	if err := ch.Send(context.Background(), notify.Destination{Topic: "vigil-alice"}, notifytest.Interactive()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := p.Only(t)
	if r.Method != http.MethodPost || r.Path != "/vigil-alice" {
		t.Errorf("request %s %s, want POST /vigil-alice", r.Method, r.Path)
	}
	want := map[string]string{
		"Title":         "[SEV2] #12 checkout: Checkout latency high",
		"Priority":      "urgent",
		"Tags":          "rotating_light,sev2",
		"Click":         "https://vigil.example.com/incidents/12",
		"Actions":       "http, Acknowledge, https://vigil.example.com/a/ACK.TOKEN, method=POST, clear=true; http, Resolve, https://vigil.example.com/a/RES.TOKEN, method=POST, clear=true",
		"Authorization": "Bearer tk_secret",
		"Content-Type":  "text/plain; charset=utf-8",
	}
	notifytest.CheckHeaders(t, r, want)
	if r.Body != "p99 over 2s for 10m\nStatus: triggered · Urgency: high · +3 more alerts" {
		t.Errorf("body %q", r.Body)
	}
}

func TestNtfyServerAndToken(t *testing.T) {
	orgServer := notifytest.NewServer(t)
	ownServer := notifytest.NewServer(t)
	tests := []struct {
		name      string
		def       func() (Server, error)
		to        notify.Destination
		urgency   string
		wantSrv   *notifytest.Server
		wantAuth  string
		wantPrio  string
		permanent bool
	}{
		{"org default", defaultServer(orgServer.URL(), "tk_org"), notify.Destination{Topic: "t1"}, "high", orgServer, "Bearer tk_org", "urgent", false},
		{"low urgency", defaultServer(orgServer.URL(), ""), notify.Destination{Topic: "t1"}, "low", orgServer, "", "default", false},
		{"own server gets no org token", defaultServer(orgServer.URL(), "tk_org"), notify.Destination{Topic: "t1", URL: ownServer.URL()}, "high", ownServer, "", "urgent", false},
		{"own server equal to the default", defaultServer(orgServer.URL(), "tk_org"), notify.Destination{Topic: "t1", URL: orgServer.URL() + "/"}, "high", orgServer, "Bearer tk_org", "urgent", false},
		{"no server", defaultServer("", ""), notify.Destination{Topic: "t1"}, "high", nil, "", "", true},
		{"nil default", nil, notify.Destination{Topic: "t1"}, "high", nil, "", "", true},
		{"provider error", func() (Server, error) { return Server{}, errors.New("broken") }, notify.Destination{Topic: "t1"}, "high", nil, "", "", true},
		{"topic with a slash", defaultServer(orgServer.URL(), ""), notify.Destination{Topic: "a/b"}, "high", nil, "", "", true},
		{"empty topic", defaultServer(orgServer.URL(), ""), notify.Destination{}, "high", nil, "", "", true},
		{"topic too long", defaultServer(orgServer.URL(), ""), notify.Destination{Topic: strings.Repeat("t", 65)}, "high", nil, "", "", true},
		{"server not http", defaultServer("ftp://ntfy.example.com", ""), notify.Destination{Topic: "t1"}, "high", nil, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orgServer.Reset()
			ownServer.Reset()
			m := notifytest.Interactive()
			m.Urgency = tt.urgency
			err := (&Channel{Default: tt.def}).Send(context.Background(), tt.to, m)
			if tt.permanent {
				notifytest.CheckErr(t, err, true, true)
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			r := tt.wantSrv.Only(t)
			if got := r.Header.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization %q, want %q", got, tt.wantAuth)
			}
			if got := r.Header.Get("Priority"); got != tt.wantPrio {
				t.Errorf("Priority %q, want %q", got, tt.wantPrio)
			}
		})
	}
}

func TestServerFrom(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"NTFY_TOKEN": "tk_org"}[k] }
	if got := ServerFrom(&catalog.NtfyProvider{URL: "https://ntfy.example.com", TokenEnv: "NTFY_TOKEN"}, getenv); got != (Server{URL: "https://ntfy.example.com", Token: "tk_org"}) {
		t.Errorf("ServerFrom = %+v", got)
	}
	if got := ServerFrom(&catalog.NtfyProvider{URL: "https://ntfy.example.com"}, getenv); got != (Server{URL: "https://ntfy.example.com"}) {
		t.Errorf("ServerFrom without a token = %+v", got)
	}
	if got := ServerFrom(nil, getenv); got != (Server{}) {
		t.Errorf("ServerFrom(nil) = %+v, want no default server", got)
	}
}

func TestNtfyHeadersResistInjection(t *testing.T) {
	m := notifytest.Interactive()
	m.Title = "evil\r\nX-Injected: 1"
	m.Severity = "SEV1\r\n"
	m.IncidentURL = "https://vigil.example.com/x\r\nX-Injected: 2"
	h := Headers(m)
	for k, v := range h {
		if strings.ContainsAny(v, "\r\n") {
			t.Errorf("header %s = %q holds a line break", k, v)
		}
	}
	if h["Title"] != "[SEV1] #12 checkout: evil X-Injected: 1" {
		t.Errorf("Title %q", h["Title"])
	}
	m.Title = "Überlast im Zahlungsdienst"
	if got := Headers(m)["Title"]; got != "=?utf-8?q?[SEV1]_#12_checkout:_=C3=9Cberlast_im_Zahlungsdienst?=" {
		t.Errorf("non-ASCII Title %q, want an RFC 2047 encoded word", got)
	}
}

func BenchmarkHeaders(b *testing.B) {
	notifytest.BenchmarkPayload(b, func(m notify.Message) any { return Headers(m) })
}

func BenchmarkSend(b *testing.B) { notifytest.BenchmarkSend(b, target) }
