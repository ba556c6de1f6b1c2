package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

func sampleResult() *Result {
	r := &Result{Report: &Report{Vendor: "PagerDuty", From: "testdata/pd", At: time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)}}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	r.Bundle.Users = []catalog.User{{
		ID: "alice", Name: "Alice", Email: "alice@example.com", TimeZone: "Europe/Berlin",
		ContactMethods:    []catalog.ContactMethod{{ID: "work-email", Type: catalog.MethodEmail, Address: "alice@example.com"}, {ID: "mobile-sms", Type: catalog.MethodSMS, Number: "+4915100000001"}},
		NotificationRules: []catalog.NotificationRule{{ContactMethod: "work-email", Delay: 0}, {ContactMethod: "mobile-sms", Delay: duration.Duration(5 * time.Minute)}},
	}}
	r.Bundle.Teams = []catalog.Team{{ID: "payments", Name: "Payments", Kind: catalog.KindDev, Members: []string{"alice"}}}
	r.Bundle.Schedules = []schedule.Schedule{{ID: "payments-primary", TimeZone: "Europe/Berlin", Layers: []schedule.Layer{{
		ID: "layer-1", Users: []string{"alice"}, Rotation: schedule.Rotation{Every: "1w"},
		Start: time.Date(2026, 1, 5, 9, 0, 0, 0, berlin), End: time.Date(2026, 6, 1, 9, 0, 0, 0, berlin),
		Active: []schedule.Window{{Days: []string{"mon"}, From: "09:00", To: "00:00"}},
	}}}}
	r.Bundle.EscalationPolicies = []escalation.Policy{{ID: "payments-default", Repeat: 1, Steps: []escalation.Step{{
		Targets: []escalation.Target{{Schedule: "payments-primary"}}, EscalateAfter: duration.Duration(10 * time.Minute),
	}}}}
	r.Bundle.Services = []catalog.Service{{ID: "payments-api", Name: "Payments API", Owner: "payments", EscalationPolicy: "payments-default",
		Integrations: []catalog.Integration{{Type: catalog.IntegrationPagerDuty, Key: "a1b2c3d4e5f60718293a4b5c6d7e8f90"}}}}
	r.Report.Skip("service", "Payments API | <b>[x](javascript:alert(1))</b>", "event rules\nsecond line", "use org.event_rules")
	r.Report.Change("user", "Alice", "push notifications", "use ntfy")
	r.Finish()
	return r
}

// What Write puts in a directory is a valid configuration that reads back
// as written, with the report beside it.
func TestWriteRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	r := sampleResult()
	files, err := Write(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 7 {
		t.Errorf("wrote %v", files)
	}
	loaded, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range loaded.Problems {
		t.Errorf("problem: %s", p)
	}
	b := loaded.Bundle
	if len(b.Teams) != 2 || b.Teams[1].Kind != catalog.KindGlobalIRT || b.Org.Providers.SMTP == nil || b.Org.Providers.Twilio == nil {
		t.Errorf("teams %v, providers %+v", b.Teams, b.Org.Providers)
	}
	l := b.Schedules[0].Layers[0]
	if !l.Start.Equal(r.Bundle.Schedules[0].Layers[0].Start) || !l.End.Equal(r.Bundle.Schedules[0].Layers[0].End) || l.Active[0].To != "00:00" {
		t.Errorf("layer read back as %+v", l)
	}
	if b.Users[0].NotificationRules[1].Delay != duration.Duration(5*time.Minute) {
		t.Errorf("rules read back as %+v", b.Users[0].NotificationRules)
	}
	report, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Import report: PagerDuty to Vigil", "Imported: 1 users, 2 teams, 1 schedules, 1 escalation policies, 1 services, 1 integrations.",
		`Payments API \| &lt;b&gt;\[x\](javascript:alert(1))&lt;/b&gt;`, "event rules second line", "global-irt", "org.providers.smtp",
		"## Carried over with a change",
	} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	// Writing again over its own files is fine; over someone else's is not.
	if _, err := Write(dir, r); err != nil {
		t.Errorf("writing again: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.yaml"), []byte("users: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, r); err == nil || !strings.Contains(err.Error(), "not written by vigil import") {
		t.Errorf("overwriting a hand-written file: %v", err)
	}
}

func TestReportLinesStayOneLine(t *testing.T) {
	long := strings.Repeat("é", 3000)
	got := mdLine("a\nb\r\tc\x00d" + long)
	if strings.ContainsAny(got, "\n\r\t\x00") || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "a b  cd") {
		t.Errorf("mdLine = %q", got)
	}
	if got := Code("x`y"); got != "`x'y`" {
		t.Errorf("Code = %q", got)
	}
}
