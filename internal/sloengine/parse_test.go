package sloengine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/store"
)

func TestParsePromResponse(t *testing.T) {
	at := func(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
	cases := []struct {
		name, body string
		want       []sample
		wantErr    string
	}{
		{"vector of two series summed", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[60,"10"]},{"metric":{"a":"2"},"value":[60,"5.5"]}]}}`,
			[]sample{{at(60), 15.5}}, ""},
		{"empty vector", `{"status":"success","data":{"resultType":"vector","result":[]}}`, []sample{}, ""},
		{"matrix by time", `{"status":"success","data":{"resultType":"matrix","result":[{"values":[[120,"2"],[60,"1"]]},{"values":[[60,"3"]]}]}}`,
			[]sample{{at(60), 4}, {at(120), 2}}, ""},
		{"scalar", `{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"0.25"]}}`,
			[]sample{{time.UnixMilli(1700000000500).UTC(), 0.25}}, ""},
		{"NaN and Inf left out", `{"status":"success","data":{"resultType":"vector","result":[{"value":[60,"NaN"]},{"value":[60,"+Inf"]},{"value":[60,"2"]}]}}`,
			[]sample{{at(60), 2}}, ""},
		{"only NaN", `{"status":"success","data":{"resultType":"vector","result":[{"value":[60,"NaN"]}]}}`, []sample{}, ""},
		{"error answer", `{"status":"error","errorType":"bad_data","error":"parse error"}`, nil, "bad_data: parse error"},
		{"not JSON", `<html>proxy error</html>`, nil, "malformed answer"},
		{"empty body", ``, nil, "malformed answer"},
		{"string result", `{"status":"success","data":{"resultType":"string","result":[60,"x"]}}`, nil, "unexpected result type"},
		{"value not a string", `{"status":"success","data":{"resultType":"vector","result":[{"value":[60,10]}]}}`, nil, "invalid sample value"},
		{"value not a number", `{"status":"success","data":{"resultType":"vector","result":[{"value":[60,"ten"]}]}}`, nil, "invalid sample value"},
		{"three-element sample", `{"status":"success","data":{"resultType":"vector","result":[{"value":[60,"1","2"]}]}}`, nil, "a sample is"},
		{"negative time", `{"status":"success","data":{"resultType":"vector","result":[{"value":[-5,"1"]}]}}`, nil, "invalid sample time"},
		{"time past 5138", `{"status":"success","data":{"resultType":"vector","result":[{"value":[1e12,"1"]}]}}`, nil, "invalid sample time"},
		{"time not a number", `{"status":"success","data":{"resultType":"vector","result":[{"value":["x","1"]}]}}`, nil, "invalid sample time"},
		{"result not a list", `{"status":"success","data":{"resultType":"vector","result":{"value":[60,"1"]}}}`, nil, "malformed vector"},
		{"matrix of vectors", `{"status":"success","data":{"resultType":"matrix","result":[{"values":[60,"1"]}]}}`, nil, "malformed matrix"},
		{"huge value kept", `{"status":"success","data":{"resultType":"vector","result":[{"value":[60,"1e308"]}]}}`, []sample{{at(60), 1e308}}, ""},
		{"status missing", `{"data":{}}`, nil, `status ""`},
		{"long error cut", `{"status":"error","errorType":"x","error":"` + strings.Repeat("e", 1000) + `"}`, nil, strings.Repeat("e", 300) + "…"},
	}
	for _, c := range cases {
		got, err := parsePromResponse([]byte(c.body))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if !got[i].At.Equal(c.want[i].At) || got[i].Value != c.want[i].Value {
				t.Errorf("%s: sample %d = %v, want %v", c.name, i, got[i], c.want[i])
			}
		}
	}
}

func FuzzParsePromResponse(f *testing.F) {
	f.Add([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"value":[60,"10"]}]}}`))
	f.Add([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"values":[[60,"1"],[120,"NaN"]]}]}}`))
	f.Add([]byte(`{"status":"success","data":{"resultType":"scalar","result":[60,"1"]}}`))
	f.Add([]byte(`{"status":"error","errorType":"bad_data","error":"x"}`))
	f.Add([]byte(`[[[[[[[[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		samples, err := parsePromResponse(body)
		if err != nil {
			return
		}
		for i, s := range samples {
			if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
				t.Fatalf("sample %d is not finite: %v", i, s.Value)
			}
			if i > 0 && s.At.Before(samples[i-1].At) {
				t.Fatalf("samples out of order: %v", samples)
			}
		}
	})
}

// fakeProm answers queries from a table of query text to value, at any
// time, and records how it was asked.
type fakeProm struct {
	values map[string]float64
	calls  []string
}

func (p *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	q := r.Form.Get("query")
	p.calls = append(p.calls, r.URL.Path+" "+q)
	v, ok := p.values[q]
	if !ok {
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
		return
	}
	if r.URL.Path == "/api/v1/query" {
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"value":[%s,"%g"]}]}}`, r.Form.Get("time"), v)
		return
	}
	start, end := parseFloat(r.Form.Get("start")), parseFloat(r.Form.Get("end"))
	var values []string
	for ts := start; ts <= end; ts += 60 {
		values = append(values, fmt.Sprintf(`[%g,"%g"]`, ts, v))
	}
	fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[{"values":[%s]}]}}`, strings.Join(values, ","))
}

func parseFloat(s string) float64 {
	var f float64
	_, _ = fmt.Sscan(s, &f)
	return f
}

// TestPullKinds: ratio of bad to total and threshold indicators, the
// backfill by range queries and then one instant query a minute.
func TestPullKinds(t *testing.T) {
	fake := &fakeProm{values: map[string]float64{
		"sum(increase(errors_total[1m]))":   3,
		"sum(increase(requests_total[1m]))": 100,
		"queue_depth":                       7,
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	window := slo.Window{Rolling: true, Duration: duration.Duration(time.Hour)}
	ratioBad := slo.SLO{Name: "errors", Service: "app", Objective: 0.95, Window: window, Budgeting: slo.Budgeting{Method: slo.Occurrences},
		Indicator: slo.Indicator{Kind: slo.RatioBad, Source: slo.SourcePrometheus, URL: srv.URL,
			Bad: "sum(increase(errors_total[{{.window}}]))", Total: "sum(increase(requests_total[{{.window}}]))"}}
	threshold := slo.SLO{Name: "queue", Service: "app", Objective: 0.95, Window: window, Budgeting: slo.Budgeting{Method: slo.Occurrences},
		Indicator: slo.Indicator{Kind: slo.Threshold, Source: slo.SourcePrometheus, URL: srv.URL, Query: "queue_depth", Op: "lt", Value: 5}}
	e := New(Options{SLOs: func() []slo.SLO { return []slo.SLO{ratioBad, threshold} }, PullDelay: 30 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	now := time.Date(2026, 5, 4, 12, 0, 40, 0, time.UTC)
	if err := e.Tick(ctx, now); err != nil {
		t.Fatal(err)
	}
	// The backfill reaches back an hour (the window) to 12:00, the last
	// whole minute 30s before 12:00:40: 60 minutes.
	v, _, _ := e.Status(ctx, "errors", now)
	if v.Status.Total != 6000 || v.Status.Good != 5820 {
		t.Errorf("ratio of bad: %v good of %v, want 5820 of 6000", v.Status.Good, v.Status.Total)
	}
	q, _, _ := e.Status(ctx, "queue", now)
	// Every sample is 7, not below 5: 60 bad samples.
	if q.Status.Total != 60 || q.Status.Good != 0 {
		t.Errorf("threshold: %v good of %v samples, want 0 of 60", q.Status.Good, q.Status.Total)
	}
	fake.calls = nil
	if err := e.Tick(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	want := []string{"/api/v1/query sum(increase(errors_total[1m]))", "/api/v1/query sum(increase(requests_total[1m]))", "/api/v1/query queue_depth"}
	if strings.Join(fake.calls, "; ") != strings.Join(want, "; ") {
		t.Errorf("the next minute asked %v, want %v", fake.calls, want)
	}
	// Prometheus going away keeps the data and reports the error.
	srv.Close()
	if err := e.Tick(ctx, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	v, _, _ = e.Status(ctx, "errors", now.Add(2*time.Minute))
	if v.PullError == "" || v.PulledTo == nil || !v.PulledTo.Equal(time.Date(2026, 5, 4, 12, 1, 0, 0, time.UTC)) {
		t.Errorf("after Prometheus went away: error %q, pulled to %v", v.PullError, v.PulledTo)
	}
}

// benchDefs are n pushed SLOs over 30 days.
func benchDefs(n int) []slo.SLO {
	defs := make([]slo.SLO, n)
	for i := range defs {
		defs[i] = slo.SLO{Name: fmt.Sprintf("slo-%d", i), Service: "app", Objective: 0.999,
			Window:    slo.Window{Rolling: true, Duration: duration.Duration(30 * duration.Day)},
			Budgeting: slo.Budgeting{Method: slo.Occurrences}, Indicator: slo.Indicator{Kind: slo.RatioGood, Source: slo.SourcePush},
			Tiers: slo.DefaultTiers(30 * duration.Day), MinEvents: slo.DefaultMinEvents}
	}
	return defs
}

// benchEngine is an engine running 200 SLOs, ticked once at the instant it
// returns.
func benchEngine(b *testing.B) (*Engine, time.Time) {
	defs := benchDefs(200)
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	e := New(Options{SLOs: func() []slo.SLO { return defs }, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := e.Tick(context.Background(), now); err != nil {
		b.Fatal(err)
	}
	return e, now
}

// BenchmarkAdded is the push endpoint's hand-over of one stored minute to
// an engine running 200 SLOs.
func BenchmarkAdded(b *testing.B) {
	e, now := benchEngine(b)
	ctx := context.Background()
	var id int64
	for b.Loop() {
		id++
		p := store.SLOPoint{ID: id, SLO: "slo-7", At: now.Add(-time.Minute), Good: 999, Total: 1000, ReceivedAt: now}
		if err := e.Added(ctx, []store.SLOPoint{p}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatus is one SLO's status, as a gate check asks it, from an
// engine running 200 SLOs.
func BenchmarkStatus(b *testing.B) {
	e, now := benchEngine(b)
	ctx := context.Background()
	for b.Loop() {
		if _, ok, err := e.Status(ctx, "slo-7", now); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkTick is one evaluation cycle of 200 pushed SLOs holding 30 days
// of minute points each, with nothing to pull or send.
func BenchmarkTick(b *testing.B) {
	defs := benchDefs(200)
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	e := New(Options{SLOs: func() []slo.SLO { return defs }, Now: func() time.Time { return now },
		Accept: func(context.Context, ...store.InboxEvent) error { return nil }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	if err := e.Tick(ctx, now); err != nil {
		b.Fatal(err)
	}
	for _, st := range e.states {
		for m := 30 * 24 * 60; m > 0; m-- {
			st.series.Add(slo.Point{At: now.Add(-time.Duration(m) * time.Minute), Good: 999, Total: 1000})
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := e.Tick(ctx, now); err != nil {
			b.Fatal(err)
		}
	}
}
