package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/vigil-oncall/vigil/internal/notify/webhook"
)

const listenSecret = "quick-start-hook-secret"

// vigilPage is a webhook payload as Vigil sends it.
const vigilPage = `{"version":1,"idempotency_key":"n-1-1","kind":"page",` +
	`"incident":{"id":1,"title":"Checkout is failing","summary":"SEV2 on Checkout (checkout)","service":"checkout","severity":"SEV2","urgency":"high","status":"triggered","url":"http://127.0.0.1:8080/incidents/1"},` +
	`"actions":{"acknowledge":"http://127.0.0.1:8080/a/ack-token","resolve":"http://127.0.0.1:8080/a/resolve-token"},"more_alerts":0,"sent_at":"2027-02-10T10:00:00Z"}`

const vigilPageLines = "10:00:00 /anna page #1 SEV2 on checkout: Checkout is failing (triggered, high urgency; %s)\n" +
	"    acknowledge: http://127.0.0.1:8080/a/ack-token\n" +
	"    resolve:     http://127.0.0.1:8080/a/resolve-token\n"

func TestListenPrintsWhatArrives(t *testing.T) {
	now := time.Date(2027, 2, 10, 10, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.Unix(), 10)
	stale := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	signed := func(secret, ts, body string) http.Header {
		return http.Header{webhook.HeaderTimestamp: {ts}, webhook.HeaderSignature: {webhook.Sign(secret, ts, []byte(body))}}
	}
	cases := []struct {
		name    string
		secret  string
		method  string
		path    string
		body    string
		header  http.Header
		status  int
		printed string
	}{
		{"a signed page, checked", listenSecret, "POST", "/anna", vigilPage, signed(listenSecret, ts, vigilPage), 200,
			strings.ReplaceAll(vigilPageLines, "%s", "signature ok")},
		{"a page signed with another secret", listenSecret, "POST", "/anna", vigilPage, signed("another", ts, vigilPage), 401,
			"10:00:00 /anna refused: webhook signature does not match\n"},
		{"a page with a changed body", listenSecret, "POST", "/anna", strings.Replace(vigilPage, "SEV2", "SEV1", 1), signed(listenSecret, ts, vigilPage), 401,
			"10:00:00 /anna refused: webhook signature does not match\n"},
		{"a replayed page", listenSecret, "POST", "/anna", vigilPage, signed(listenSecret, stale, vigilPage), 401,
			"10:00:00 /anna refused: webhook timestamp outside the allowed window: sent 2027-02-10T09:50:00Z, now 2027-02-10T10:00:00Z\n"},
		{"an unsigned page", listenSecret, "POST", "/ben", vigilPage, nil, 200,
			strings.ReplaceAll(strings.Replace(vigilPageLines, "/anna", "/ben", 1), "%s", "unsigned")},
		{"a signed page, no secret to check it", "", "POST", "/anna", vigilPage, signed(listenSecret, ts, vigilPage), 200,
			strings.ReplaceAll(vigilPageLines, "%s", "signed, not checked (no --secret-env)")},
		{"a status update", "", "POST", "/anna", `{"version":1,"kind":"status_update","incident":{"id":4,"title":"DB down","summary":"Failing over","service":"ledger-db","severity":"SEV1","urgency":"high","status":"acknowledged"},"more_alerts":3}`, nil, 200,
			"10:00:00 /anna status_update #4 SEV1 on ledger-db: DB down (acknowledged, high urgency; and 3 more alerts; unsigned)\n    update:      Failing over\n"},
		{"a Slack message", "", "POST", "/slack/ben", "{\n  \"text\": \"[SEV2] #1 checkout\"\n}", nil, 200,
			"10:00:00 /slack/ben {\"text\":\"[SEV2] #1 checkout\"} (unsigned)\n"},
		{"not JSON", "", "POST", "/x", "plain words", nil, 200, "10:00:00 /x plain words (unsigned)\n"},
		{"escape sequences and direction overrides are defused", "", "POST", "/x\x1b[2J",
			`{"version":1,"kind":"page","incident":{"id":2,"title":"\u001b[31mred\u202e\r\nfake line","service":"s","severity":"SEV3","urgency":"high","status":"triggered"}}`, nil, 200,
			"10:00:00 /x?[2J page #2 SEV3 on s: ?[31mred???fake line (triggered, high urgency; unsigned)\n"},
		{"a long payload is cut", "", "POST", "/x", `"` + strings.Repeat("a", 1000) + `"`, nil, 200,
			"10:00:00 /x \"" + strings.Repeat("a", listenMaxShown-1) + "… (unsigned)\n"},
		{"too large", "", "POST", "/x", strings.Repeat("a", listenMaxBody+1), nil, 413, "10:00:00 /x refused: a body over 1048576 bytes\n"},
		{"not a POST", "", "GET", "/anna", "", nil, 405, ""},
	}
	for _, c := range cases {
		var out bytes.Buffer
		l := &listener{out: &out, secret: c.secret, now: func() time.Time { return now }}
		req := httptest.NewRequest(c.method, "http://127.0.0.1:9000/", strings.NewReader(c.body))
		req.URL.Path = c.path
		for k, v := range c.header {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, req)
		if rec.Code != c.status || out.String() != c.printed {
			t.Errorf("%s: status %d, printed\n%s\nwant %d,\n%s", c.name, rec.Code, out.String(), c.status, c.printed)
		}
	}
}

// TestListenCommand runs vigil listen on a free port, posts a signed page
// to it, and stops it.
func TestListenCommand(t *testing.T) {
	if code, _, errOut := run(t, nil, "listen", "--secret-env", "VIGIL_HOOK_SECRET"); code != exitError || !strings.Contains(errOut, "VIGIL_HOOK_SECRET: the variable is empty or unset") {
		t.Errorf("an unset secret: exit %d, stderr %q", code, errOut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The listener's output is read line by line as it prints: its first
	// line says where it listens.
	pr, pw := io.Pipe()
	lines := make(chan string, 100)
	go func() { // owner: this test; ends when pw is closed
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var errOut bytes.Buffer
	env := Env{Stdout: pw, Stderr: &errOut, Getenv: func(k string) string {
		if k == "VIGIL_HOOK_SECRET" {
			return listenSecret
		}
		return ""
	}}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"listen", "--addr", "127.0.0.1:0", "--secret-env", "VIGIL_HOOK_SECRET"}, env)
		pw.Close()
	}()
	var first string
	select {
	case first = <-lines:
	case <-time.After(20 * time.Second):
		t.Fatal("vigil listen printed nothing")
	}
	m := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/ \(signatures checked with \$VIGIL_HOOK_SECRET\)`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("vigil listen's first line: %q, stderr %q", first, errOut.String())
	}
	addr := m[1]
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", "http://"+addr+"/anna", strings.NewReader(vigilPage))
	req.Header.Set(webhook.HeaderTimestamp, ts)
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(listenSecret, ts, []byte(vigilPage)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if code := <-done; code != exitOK || resp.StatusCode != 200 {
		t.Errorf("exit %d, answer %d", code, resp.StatusCode)
	}
	var printed []string
	for l := range lines {
		printed = append(printed, l)
	}
	if len(printed) != 3 || !strings.HasSuffix(printed[0], " /anna page #1 SEV2 on checkout: Checkout is failing (triggered, high urgency; signature ok)") {
		t.Errorf("printed:\n%s", strings.Join(printed, "\n"))
	}
}

// FuzzDescribeWebhook: whatever is posted, the listener prints it on lines
// of its own, with no character a terminal would act on.
func FuzzDescribeWebhook(f *testing.F) {
	f.Add([]byte(vigilPage))
	f.Add([]byte(`{"version":1,"kind":"page","incident":{"id":-1,"title":"\u001b]0;x\u0007"}}`))
	f.Add([]byte("\xff\xfe\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got := describeWebhook(body, "unsigned")
		if !strings.HasSuffix(got, "\n") {
			t.Fatalf("no newline at the end: %q", got)
		}
		for _, r := range got {
			if r != '\n' && !unicode.IsGraphic(r) {
				t.Fatalf("printed %U: %q", r, got)
			}
		}
		for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n")[1:] {
			if !strings.HasPrefix(line, "    ") {
				t.Fatalf("a line not indented under the first: %q", got)
			}
		}
	})
}
