package ingest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/alert"
)

func TestParseAlertmanagerRealPayload(t *testing.T) {
	events, err := ParseAlertmanager(readTestdata(t, "alertmanager_v4.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	const (
		groupKey = `{}/{team="payments"}:{team="payments"}`
		amURL    = "http://alertmanager.example.com:9093"
		gen1     = "http://prometheus.example.com:9090/graph?g0.expr=job%3Apayments_5xx%3Aratio5m+%3E+0.05&g0.tab=1"
		gen2     = "http://prometheus.example.com:9090/graph?g0.expr=predict_linear&g0.tab=1"
		runbook  = "https://runbooks.example.com/payments-api/high-error-rate"
	)
	want := []Event{
		{
			Action:    ActionTrigger,
			DedupKey:  "3c6d1a2b9f0e4d57",
			Summary:   "Payments API 5xx ratio above 5% for 10 minutes",
			Source:    "10.0.3.17:9090",
			Severity:  SeverityCritical, // severity="page"
			Timestamp: utc(2026, 5, 1, 10, 2, 3, 123456789),
			Details: map[string]any{
				"labels": map[string]any{
					"alertname": "HighErrorRate", "instance": "10.0.3.17:9090", "job": "payments-api",
					"service": "payments-api", "severity": "page", "team": "payments",
				},
				"annotations": map[string]any{
					"description": "5xx ratio is 7.3% on 10.0.3.17:9090",
					"runbook_url": runbook,
					"summary":     "Payments API 5xx ratio above 5% for 10 minutes",
				},
				"startsAt":     "2026-05-01T10:02:03.123456789Z",
				"generatorURL": gen1,
			},
			Links:       []Link{{Href: gen1, Text: "Source"}, {Href: runbook, Text: "Runbook"}},
			Client:      "Alertmanager",
			ClientURL:   amURL,
			Fingerprint: "3c6d1a2b9f0e4d57",
			GroupKey:    groupKey,
		},
		{
			Action:    ActionResolve,
			DedupKey:  "a0b1c2d3e4f50617",
			Summary:   "DiskWillFillIn4Hours (job=node, instance=db-1.example.com:9100)",
			Source:    "db-1.example.com:9100",
			Severity:  SeverityWarning,                       // severity="ticket"
			Timestamp: utc(2026, 5, 1, 7, 45, 30, 500000000), // endsAt, +02:00
			Details: map[string]any{
				"labels": map[string]any{
					"alertname": "DiskWillFillIn4Hours", "device": "/dev/nvme0n1p1", "instance": "db-1.example.com:9100",
					"job": "node", "severity": "ticket", "team": "payments",
				},
				"annotations":  map[string]any{"description": "Filesystem /dev/nvme0n1p1 is predicted to fill within 4 hours."},
				"startsAt":     "2026-05-01T08:15:00+02:00",
				"endsAt":       "2026-05-01T09:45:30.5+02:00",
				"generatorURL": gen2,
			},
			Links:       []Link{{Href: gen2, Text: "Source"}},
			Client:      "Alertmanager",
			ClientURL:   amURL,
			Fingerprint: "a0b1c2d3e4f50617",
			GroupKey:    groupKey,
		},
	}
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d", len(events), len(want))
	}
	for i := range want {
		wantEvent(t, events[i], want[i])
	}
}

// amBody builds an Alertmanager notification around alerts and extra
// top-level fields.
func amBody(alerts, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"version":"4","groupKey":"g","status":"firing","receiver":"r","alerts":` + alerts + extra + `}`
}

func TestParseAlertmanagerAlert(t *testing.T) {
	tests := []struct {
		name            string
		body            string
		defaultSeverity string
		want            Event
	}{
		{
			name: "no fingerprint: hash of the sorted labels",
			body: amBody(`[{"status":"firing","labels":{"instance":"db-1","alertname":"DiskFull"}}]`, ""),
			want: Event{
				Action: ActionTrigger,
				// sha256 of \x09alertname\x08DiskFull\x08instance\x04db-1
				DedupKey: "279956ba1ba20ab24311dd3d71517ba40454241aff0f524e3f92b4be4c2431fb",
				Summary:  "DiskFull (instance=db-1)", Source: "db-1", Severity: SeverityError,
				Details: map[string]any{"labels": map[string]any{"instance": "db-1", "alertname": "DiskFull"}},
				Client:  "Alertmanager", GroupKey: "g",
			},
		},
		{
			name: "summary from the group labels, source from the external URL",
			body: amBody(`[{"status":"firing","labels":{"team":"payments","x":"y"},"fingerprint":"f1"}]`,
				`"groupLabels":{"team":"payments","region":"eu"},"externalURL":"https://am.example.com:9093/prefix"`),
			defaultSeverity: "warning",
			want: Event{
				Action: ActionTrigger, DedupKey: "f1", Summary: "region=eu, team=payments",
				Source: "am.example.com:9093", Severity: SeverityWarning,
				Details: map[string]any{"labels": map[string]any{"team": "payments", "x": "y"}},
				Client:  "Alertmanager", ClientURL: "https://am.example.com:9093/prefix",
				Fingerprint: "f1", GroupKey: "g",
			},
		},
		{
			name: "summary from all labels, source from job",
			body: amBody(`[{"status":"firing","labels":{"job":"node","b":"2"},"fingerprint":"f1"}]`, ""),
			want: Event{
				Action: ActionTrigger, DedupKey: "f1", Summary: "b=2, job=node", Source: "node", Severity: SeverityError,
				Details: map[string]any{"labels": map[string]any{"job": "node", "b": "2"}},
				Client:  "Alertmanager", Fingerprint: "f1", GroupKey: "g",
			},
		},
		{
			name: "no labels at all",
			body: amBody(`[{"status":"resolved","labels":{},"fingerprint":"f1","endsAt":"2026-05-01T10:00:00Z"}]`, ""),
			want: Event{
				Action: ActionResolve, DedupKey: "f1", Summary: "Alertmanager alert", Severity: SeverityError,
				Timestamp: utc(2026, 5, 1, 10, 0, 0, 0),
				Details:   map[string]any{"labels": map[string]any{}, "endsAt": "2026-05-01T10:00:00Z"},
				Client:    "Alertmanager", Fingerprint: "f1", GroupKey: "g",
			},
		},
		{
			name: "summary annotation trimmed, alertname with every key label",
			body: amBody(`[{"status":"firing","fingerprint":"f1",
				"labels":{"alertname":"PodCrashLooping","pod":"api-7","namespace":"pay","instance":"i","job":"kube","service":"api"},
				"annotations":{"summary":"  "}}]`, ""),
			want: Event{
				Action: ActionTrigger, DedupKey: "f1",
				Summary: "PodCrashLooping (service=api, job=kube, instance=i, namespace=pay, pod=api-7)",
				Source:  "i", Severity: SeverityError,
				Details: map[string]any{
					"labels":      map[string]any{"alertname": "PodCrashLooping", "pod": "api-7", "namespace": "pay", "instance": "i", "job": "kube", "service": "api"},
					"annotations": map[string]any{"summary": "  "},
				},
				Client: "Alertmanager", Fingerprint: "f1", GroupKey: "g",
			},
		},
		{
			name: "long summary is cut at 1024 characters",
			body: amBody(`[{"status":"firing","fingerprint":"f1","labels":{},"annotations":{"summary":"`+strings.Repeat("ü", 2000)+`"}}]`, ""),
			want: Event{
				Action: ActionTrigger, DedupKey: "f1", Summary: strings.Repeat("ü", 1023) + "…", Severity: SeverityError,
				Details: map[string]any{"labels": map[string]any{}, "annotations": map[string]any{"summary": strings.Repeat("ü", 2000)}},
				Client:  "Alertmanager", Fingerprint: "f1", GroupKey: "g",
			},
		},
		{
			name: "resolved alert without endsAt, firing time kept in details",
			body: amBody(`[{"status":"resolved","fingerprint":"f1","labels":{"alertname":"A"},
				"startsAt":"2026-05-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]`, ""),
			want: Event{
				Action: ActionResolve, DedupKey: "f1", Summary: "A", Severity: SeverityError,
				Details: map[string]any{"labels": map[string]any{"alertname": "A"}, "startsAt": "2026-05-01T10:00:00Z"},
				Client:  "Alertmanager", Fingerprint: "f1", GroupKey: "g",
			},
		},
		{
			name: "no version, unknown fields and a newer version are tolerated",
			body: `{"groupKey":"g","alerts":[{"status":"firing","fingerprint":"f1","labels":{"alertname":"A"},"silencedBy":[],"extra":{"x":[1,2]}}],` +
				`"truncatedAlerts":3,"notification_reason":"repeat","routeLabels":{"team":"x"},"somethingNew":true}`,
			want: Event{
				Action: ActionTrigger, DedupKey: "f1", Summary: "A", Severity: SeverityError,
				Details: map[string]any{"labels": map[string]any{"alertname": "A"}},
				Client:  "Alertmanager", Fingerprint: "f1", GroupKey: "g",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := ParseAlertmanager([]byte(tt.body), tt.defaultSeverity)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if len(events) != 1 {
				t.Fatalf("%d events, want 1", len(events))
			}
			wantEvent(t, events[0], tt.want)
		})
	}
}

func TestParseAlertmanagerSeverity(t *testing.T) {
	tests := []struct {
		label           string // "" for no severity label
		defaultSeverity string
		want            alert.Severity
	}{
		{"critical", "", SeverityCritical},
		{"error", "", SeverityError},
		{"warning", "", SeverityWarning},
		{"info", "critical", SeverityInfo},
		{"page", "", SeverityCritical},
		{"ticket", "", SeverityWarning},
		{"CRIT", "", SeverityCritical},
		{" Warn ", "", SeverityWarning},
		{"err", "info", SeverityError},
		{"Critical", "", SeverityCritical},
		{"sev1", "warning", SeverityWarning},
		{"", "info", SeverityInfo},
		{"", "page", SeverityCritical},
		{"", "", SeverityError},
		{"", "bogus", SeverityError},
		{"none", "bogus", SeverityError},
	}
	for _, tt := range tests {
		t.Run(tt.label+"/"+tt.defaultSeverity, func(t *testing.T) {
			labels := `{"alertname":"A"}`
			if tt.label != "" {
				labels = `{"alertname":"A","severity":"` + tt.label + `"}`
			}
			events, err := ParseAlertmanager([]byte(amBody(`[{"status":"firing","fingerprint":"f","labels":`+labels+`}]`, "")), tt.defaultSeverity)
			if err != nil {
				t.Fatal(err)
			}
			if events[0].Severity != tt.want {
				t.Errorf("severity = %q, want %q", events[0].Severity, tt.want)
			}
		})
	}
}

func TestParseAlertmanagerEmptyAlerts(t *testing.T) {
	events, err := ParseAlertmanager([]byte(amBody(`[]`, "")), "")
	if err != nil || len(events) != 0 {
		t.Errorf("events = %v, error = %v; want none and no error", events, err)
	}
}

func TestParseAlertmanagerInvalid(t *testing.T) {
	const ok = `{"status":"firing","labels":{"alertname":"A"}}`
	tests := []struct {
		name   string
		body   string
		fields []string
	}{
		{"not JSON", `alertname=A`, []string{"body"}},
		{"an array", `[` + ok + `]`, []string{"body"}},
		{"empty body", ``, []string{"body"}},
		{"no alerts", `{"version":"4","status":"firing"}`, []string{"alerts"}},
		{"alerts null", `{"version":"4","alerts":null}`, []string{"alerts"}},
		{"alerts an object", amBody(ok, ""), []string{"alerts"}},
		{"version a number", `{"version":4,"alerts":[` + ok + `]}`, []string{"version"}},
		{"top-level types", amBody(`[`+ok+`]`, `"groupKey":1,"groupLabels":[],"externalURL":{}`), []string{"groupKey", "groupLabels", "externalURL"}},
		{"group label not a string", amBody(`[`+ok+`]`, `"groupLabels":{"team":1,"env":null}`), []string{"groupLabels.env", "groupLabels.team"}},
		{"alert a string", amBody(`["firing"]`, ""), []string{"alerts[0]"}},
		{"alert without status", amBody(`[`+ok+`,{"labels":{}}]`, ""), []string{"alerts[1].status"}},
		{"alert status pending", amBody(`[{"status":"pending","labels":{}}]`, ""), []string{"alerts[0].status"}},
		{"alert status a number", amBody(`[{"status":1,"labels":{}}]`, ""), []string{"alerts[0].status"}},
		{"alert without labels", amBody(`[{"status":"firing"}]`, ""), []string{"alerts[0].labels"}},
		{"labels an array", amBody(`[{"status":"firing","labels":["a"]}]`, ""), []string{"alerts[0].labels"}},
		{"label values not strings", amBody(`[{"status":"firing","labels":{"severity":3,"alertname":"A","a b":{}}}]`, ""),
			[]string{`alerts[0].labels["a b"]`, "alerts[0].labels.severity"}},
		{"annotation not a string", amBody(`[`+ok+`,{"status":"firing","labels":{},"annotations":{"summary":["x"]}}]`, ""), []string{"alerts[1].annotations.summary"}},
		{"annotations a string", amBody(`[{"status":"firing","labels":{},"annotations":"x"}]`, ""), []string{"alerts[0].annotations"}},
		{"bad times", amBody(`[{"status":"firing","labels":{},"startsAt":"now","endsAt":12}]`, ""), []string{"alerts[0].startsAt", "alerts[0].endsAt"}},
		{"fingerprint over 255 characters", amBody(`[{"status":"firing","labels":{},"fingerprint":"`+strings.Repeat("f", 256)+`"}]`, ""), []string{"alerts[0].fingerprint"}},
		{"fingerprint a number", amBody(`[{"status":"firing","labels":{},"fingerprint":1234}]`, ""), []string{"alerts[0].fingerprint"}},
		{"generatorURL an object", amBody(`[{"status":"firing","labels":{},"generatorURL":{}}]`, ""), []string{"alerts[0].generatorURL"}},
		{"problems in several alerts", amBody(`[{"status":"x","labels":{}},`+ok+`,{"status":"resolved"}]`, ""), []string{"alerts[0].status", "alerts[2].labels"}},
		{"invalid UTF-8 in a label", amBody(`[{"status":"firing","labels":{"alertname":"`+"\xfa"+`"}}]`, ""), []string{"alerts[0].labels.alertname"}},
		{"NUL in an annotation", amBody(`[{"status":"firing","labels":{},"annotations":{"summary":"\u0000"}}]`, ""), []string{"alerts[0].annotations.summary"}},
		{"nested 65 levels", amBody(`[`+ok+`]`, `"extra":`+strings.Repeat(`{"a":`, 65)+`1`+strings.Repeat(`}`, 65)), []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := ParseAlertmanager([]byte(tt.body), "")
			wantFields(t, err, tt.fields...)
			if events != nil {
				t.Errorf("returned %d events along with the error", len(events))
			}
		})
	}
}

func TestParseAlertmanagerTooLarge(t *testing.T) {
	body := amBody(`[{"status":"firing","labels":{"alertname":"A"},"annotations":{"description":"`+strings.Repeat("x", 600<<10)+`"}}]`, "")
	if _, err := ParseAlertmanager([]byte(body), ""); !errors.Is(err, ErrTooLarge) {
		t.Errorf("600 KB body: error = %v, want ErrTooLarge", err)
	}
}

func TestParseGrafanaRealPayload(t *testing.T) {
	events, err := ParseGrafana(readTestdata(t, "grafana.json"), "critical")
	if err != nil {
		t.Fatal(err)
	}
	const (
		groupKey = `{}/{__grafana_autogenerated__="true"}/{__grafana_receiver__="vigil"}:{alertname="High CPU", grafana_folder="Infrastructure"}`
		gen      = "https://grafana.example.com/alerting/grafana/cdf2ab/view?orgId=1"
		silence1 = "https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DHigh+CPU&matcher=instance%3Dweb-3"
		silence2 = "https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DDatasourceNoData"
	)
	want := []Event{
		{
			Action:    ActionTrigger,
			DedupKey:  "57c6d9296de2ad39",
			Summary:   "CPU above 90% on web-3",
			Source:    "web-3",
			Severity:  SeverityWarning,
			Timestamp: utc(2026, 5, 1, 12, 0, 0, 0),
			Details: map[string]any{
				"labels":       map[string]any{"alertname": "High CPU", "grafana_folder": "Infrastructure", "instance": "web-3", "severity": "warning"},
				"annotations":  map[string]any{"description": "CPU usage has been above 90% for 5 minutes.", "summary": "CPU above 90% on web-3"},
				"startsAt":     "2026-05-01T12:00:00Z",
				"generatorURL": gen,
				"values":       map[string]any{"A": json.Number("93.5"), "B": json.Number("1")},
				"valueString":  "[ var='A' labels={instance=web-3} value=93.5 ], [ var='B' labels={instance=web-3} value=1 ]",
			},
			Links: []Link{
				{Href: gen, Text: "Source"},
				{Href: "https://grafana.example.com/d/node-exporter?orgId=1", Text: "Dashboard"},
				{Href: "https://grafana.example.com/d/node-exporter?orgId=1&viewPanel=7", Text: "Panel"},
				{Href: silence1, Text: "Silence"},
			},
			Images:      []Image{{Src: "https://grafana.example.com/public/img/attachments/cpu.png"}},
			Client:      "Grafana",
			ClientURL:   "https://grafana.example.com/",
			Fingerprint: "57c6d9296de2ad39",
			GroupKey:    groupKey,
		},
		{
			Action:    ActionResolve,
			DedupKey:  "0f1e2d3c4b5a6978",
			Summary:   "DatasourceNoData",
			Source:    "grafana.example.com",
			Severity:  SeverityCritical, // the default
			Timestamp: utc(2026, 5, 1, 11, 55, 0, 0),
			Details: map[string]any{
				"labels":       map[string]any{"alertname": "DatasourceNoData", "datasource_uid": "prom-main", "grafana_folder": "Infrastructure", "rulename": "High CPU"},
				"annotations":  map[string]any{},
				"startsAt":     "2026-05-01T11:50:00Z",
				"endsAt":       "2026-05-01T11:55:00Z",
				"generatorURL": gen,
			},
			Links:       []Link{{Href: gen, Text: "Source"}, {Href: silence2, Text: "Silence"}},
			Client:      "Grafana",
			ClientURL:   "https://grafana.example.com/",
			Fingerprint: "0f1e2d3c4b5a6978",
			GroupKey:    groupKey,
		},
	}
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d", len(events), len(want))
	}
	for i := range want {
		wantEvent(t, events[i], want[i])
	}
}

func TestParseGrafanaStateOK(t *testing.T) {
	body := `{"version":"1","state":"ok","title":"[RESOLVED] High CPU","groupKey":"g","alerts":[
		{"status":"firing","labels":{"x":"1"},"fingerprint":"a","startsAt":"2026-05-01T12:00:00Z"},
		{"status":"resolved","labels":{"x":"2"},"fingerprint":"b","endsAt":"2026-05-01T12:05:00Z"}]}`
	events, err := ParseGrafana([]byte(body), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	for i, ev := range events {
		if ev.Action != ActionResolve {
			t.Errorf("event %d action = %q, want resolve", i, ev.Action)
		}
		// No summary annotation and no alertname: the title comes first.
		if ev.Summary != "[RESOLVED] High CPU" {
			t.Errorf("event %d summary = %q", i, ev.Summary)
		}
	}
	if !events[0].Timestamp.IsZero() || !events[1].Timestamp.Equal(utc(2026, 5, 1, 12, 5, 0, 0)) {
		t.Errorf("timestamps = %v, %v; want zero (no endsAt) and 12:05", events[0].Timestamp, events[1].Timestamp)
	}

	// The same body as Alertmanager: state and title mean nothing there.
	events, err = ParseAlertmanager([]byte(body), "")
	if err != nil {
		t.Fatal(err)
	}
	if events[0].Action != ActionTrigger || events[0].Summary != "x=1" || events[0].Client != "Alertmanager" {
		t.Errorf("as Alertmanager: %s", show(events[0]))
	}
}

func TestParseGrafanaInvalid(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		fields []string
	}{
		{"not JSON", `{"version":"1",`, []string{"body"}},
		{"legacy alerting payload", `{"title":"[Alerting] CPU","ruleName":"CPU","state":"alerting","evalMatches":[]}`, []string{"alerts"}},
		{"state and title not strings", `{"version":"1","state":1,"title":[],"alerts":[]}`, []string{"title", "state"}},
		{"extra URLs not strings", `{"alerts":[{"status":"firing","labels":{},"dashboardURL":1,"panelURL":true,"silenceURL":{},"imageURL":[]}]}`,
			[]string{"alerts[0].dashboardURL", "alerts[0].panelURL", "alerts[0].silenceURL", "alerts[0].imageURL"}},
		{"values an array", `{"alerts":[{"status":"firing","labels":{},"values":[1]}]}`, []string{"alerts[0].values"}},
		{"values not numbers", `{"alerts":[{"status":"firing","labels":{},"values":{"B":"1","A":{},"C":2,"D":null}}]}`, []string{"alerts[0].values.A", "alerts[0].values.B"}},
		{"valueString a number", `{"alerts":[{"status":"firing","labels":{},"valueString":1}]}`, []string{"alerts[0].valueString"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGrafana([]byte(tt.body), "")
			wantFields(t, err, tt.fields...)
		})
	}
}
