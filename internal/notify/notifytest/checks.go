package notifytest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/notify"
)

// Target is an HTTP channel under the shared checks.
type Target struct {
	// New returns the channel and a destination that make it send to
	// base, the http://host:port of a stand-in (or a URL that is not
	// one, for the checks of bad URLs).
	New func(base string) (notify.Channel, notify.Destination)
	// Secrets are values New gives the channel (tokens, secret parts of
	// webhook URLs) that no error may show.
	Secrets []string
	// Dir, when set, is the folder under testdata of the channel's golden
	// files, for a package with more than one channel.
	Dir string
}

// WebhookTarget is the target of a chat channel, made by newChannel, that
// posts to the contact method's webhook URL: base followed by path, whose
// secrets no error may show.
func WebhookTarget(newChannel func(*http.Client) notify.Channel, path string, secrets ...string) Target {
	return Target{
		New: func(base string) (notify.Channel, notify.Destination) {
			return newChannel(nil), notify.Destination{WebhookURL: base + path}
		},
		Secrets: secrets,
	}
}

// send sends Interactive through target to base and checks that the
// error shows no secret.
func (target Target) send(t *testing.T, ctx context.Context, base string) error {
	t.Helper()
	ch, to := target.New(base)
	err := ch.Send(ctx, to, Interactive())
	NoSecret(t, err, target.Secrets...)
	return err
}

// The answers of a provider and how every channel classifies them.
var answers = []struct {
	status        int
	ok, permanent bool
}{
	{200, true, false}, {201, true, false}, {202, true, false}, {204, true, false},
	{408, false, false}, {429, false, false}, {500, false, false}, {502, false, false}, {503, false, false},
	{400, false, true}, {401, false, true}, {403, false, true}, {404, false, true}, {410, false, true}, {413, false, true},
	{301, false, true}, {302, false, true},
}

// providerAnswer is what the stand-in says when it refuses: errors quote
// its start.
const providerAnswer = `{"code":21211,"message":"The 'To' number is not valid"}`

// Run runs RunHTTP and GoldenPayloads: all a provider package needs to
// pass the kit.
func Run(t *testing.T, target Target) {
	t.Run("checks", func(t *testing.T) { RunHTTP(t, target) })
	t.Run("golden", func(t *testing.T) { GoldenPayloads(t, target) })
}

// RunHTTP runs the checks every HTTP channel passes: 2xx is delivered;
// 408, 429, 5xx, timeouts and network errors are retried; any other
// answer and any URL that is not absolute http(s) fail permanently; only
// 307 and 308 redirects are followed, with the POST and its body; errors
// quote the start of the answer and show none of the target's secrets.
func RunHTTP(t *testing.T, target Target) {
	t.Run("answers", func(t *testing.T) {
		p := NewServer(t)
		for _, a := range answers {
			p.Answer(a.status, providerAnswer)
			err := target.send(t, context.Background(), p.URL())
			if a.ok {
				CheckErr(t, err, false, false)
				continue
			}
			CheckErr(t, err, true, a.permanent)
			if !strings.Contains(err.Error(), "HTTP "+strconv.Itoa(a.status)) || !strings.Contains(err.Error(), "The 'To' number is not valid") {
				t.Errorf("HTTP %d: error %q does not say the status and quote the answer", a.status, err)
			}
		}
	})

	t.Run("answer read up to a cap", func(t *testing.T) {
		p := NewServer(t)
		p.Respond(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			chunk := strings.Repeat("x", 1<<10)
			for range 10 << 10 { // 10 MiB, unless the client stops reading
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		})
		err := target.send(t, context.Background(), p.URL())
		CheckErr(t, err, true, false)
		if len(err.Error()) > 400 {
			t.Fatalf("error message of %d bytes, want the answer cut to a snippet", len(err.Error()))
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		CheckErr(t, target.send(t, context.Background(), "http://"+ClosedAddr(t)), true, false)
	})

	t.Run("context deadline while the provider hangs", func(t *testing.T) {
		p := NewServer(t)
		release := make(chan struct{})
		defer close(release)
		p.Respond(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := target.send(t, ctx, p.URL())
		CheckErr(t, err, true, false)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %q does not wrap the deadline", err)
		}
	})

	t.Run("connection dropped without an answer", func(t *testing.T) {
		p := NewServer(t)
		p.Respond(func(w http.ResponseWriter, r *http.Request) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		})
		CheckErr(t, target.send(t, context.Background(), p.URL()), true, false)
	})

	t.Run("redirects", func(t *testing.T) {
		for _, tt := range []struct {
			name     string
			redirect func(w http.ResponseWriter, r *http.Request)
			followed bool
		}{
			{"307", func(w http.ResponseWriter, r *http.Request) { moved(w, r, http.StatusTemporaryRedirect) }, true},
			{"308", func(w http.ResponseWriter, r *http.Request) { moved(w, r, http.StatusPermanentRedirect) }, true},
			{"302", func(w http.ResponseWriter, r *http.Request) { moved(w, r, http.StatusFound) }, false},
			{"to a file", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "file:///etc/passwd")
				w.WriteHeader(http.StatusTemporaryRedirect)
			}, false},
			{"in a loop", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, r.URL.RequestURI(), http.StatusTemporaryRedirect)
			}, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := NewServer(t)
				p.Respond(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasPrefix(r.URL.Path, "/moved/") {
						w.WriteHeader(http.StatusOK)
						return
					}
					tt.redirect(w, r)
				})
				err := target.send(t, context.Background(), p.URL())
				got := p.Requests()
				if !tt.followed {
					CheckErr(t, err, true, true)
					for _, r := range got {
						if strings.HasPrefix(r.Path, "/moved/") {
							t.Fatalf("followed a %s redirect", tt.name)
						}
					}
					return
				}
				CheckErr(t, err, false, false)
				if len(got) != 2 || got[1].Path != "/moved"+got[0].Path || got[1].Query != got[0].Query {
					t.Fatalf("requests %+v, want the first one again at /moved", got)
				}
				if got[1].Method != http.MethodPost || got[1].Body != got[0].Body {
					t.Errorf("redirected request %s with body %q, want the POST and its body %q", got[1].Method, got[1].Body, got[0].Body)
				}
			})
		}
	})

	t.Run("bad URLs", func(t *testing.T) {
		for _, base := range []string{"not a url", "/relative", "ftp://example.com", "file:///etc", "javascript:alert(1)", "gopher://x", "http://", "http://%zz", "://x"} {
			CheckErr(t, target.send(t, context.Background(), base), true, true)
		}
	})
}

// moved redirects to the same path and query under /moved.
func moved(w http.ResponseWriter, r *http.Request, status int) {
	u := *r.URL
	u.Path = "/moved" + u.Path
	w.Header().Set("Location", u.RequestURI())
	w.WriteHeader(status)
}

// GoldenPayloads sends each of Variants through target to a stand-in and
// compares the whole request it gets with testdata/NAME.golden.
func GoldenPayloads(t *testing.T, target Target) {
	for _, v := range Variants() {
		t.Run(v.Name, func(t *testing.T) {
			p := NewServer(t)
			ch, to := target.New(p.URL())
			if err := ch.Send(context.Background(), to, v.Message); err != nil {
				t.Fatalf("Send: %v", err)
			}
			Golden(t, path.Join(target.Dir, v.Name), p.Only(t).Dump())
		})
	}
}

// ClosedAddr is a loopback host:port where nothing listens.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// BenchmarkSend measures one delivery through target to a stand-in, HTTP
// included.
func BenchmarkSend(b *testing.B, target Target) {
	p := NewServer(b)
	ch, to := target.New(p.URL())
	m := Interactive()
	b.ReportAllocs()
	for b.Loop() {
		if err := ch.Send(context.Background(), to, m); err != nil {
			b.Fatal(err)
		}
		p.Reset()
	}
}

// BenchmarkPayload measures building and encoding one message's payload.
func BenchmarkPayload(b *testing.B, build func(notify.Message) any) {
	m := Interactive()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(build(m)); err != nil {
			b.Fatal(err)
		}
	}
}
