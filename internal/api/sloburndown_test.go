package api

import (
	"net/http"
	"testing"
	"time"
)

type burndownAnswer struct {
	SLO         string    `json:"slo"`
	WindowStart time.Time `json:"window_start"`
	At          time.Time `json:"at"`
	Step        string    `json:"step"`
	Points      []struct {
		At              time.Time `json:"at"`
		BudgetRemaining float64   `json:"budget_remaining"`
	} `json:"points"`
}

func TestSLOBurndown(t *testing.T) {
	f := newSLOFixture(t)
	// The 10 minutes before now: 1,000 events a minute, 2 bad. A budget of
	// 0.001 × 10,000 = 10 bad events, 20 spent: a whole budget too much by
	// now, none spent before those minutes.
	if code := f.call("POST", "/api/v1/slos/checkout-availability/events", aliceToken,
		map[string]any{"batch_id": "b-1", "events": minutesOf(sloNow, 10, 2)}, nil); code != 202 {
		t.Fatalf("push = %d", code)
	}
	var got burndownAnswer
	if code := f.call("GET", "/api/v1/slos/checkout-availability/burndown?step=10d", viewerSecret, nil, &got); code != 200 {
		t.Fatalf("burndown = %d", code)
	}
	day := 24 * time.Hour
	start := sloNow.Add(-30 * day)
	if got.SLO != "checkout-availability" || !got.WindowStart.Equal(start) || !got.At.Equal(sloNow) || got.Step != "10d" {
		t.Errorf("burndown of %s from %s at %s step %s, want checkout-availability from %s at %s step 10d", got.SLO, got.WindowStart, got.At, got.Step, start, sloNow)
	}
	want := []float64{1, 1, 1, -1}
	if len(got.Points) != len(want) {
		t.Fatalf("%d points, want %d: %+v", len(got.Points), len(want), got.Points)
	}
	for i, p := range got.Points {
		at := start.Add(time.Duration(i) * 10 * day)
		if i == len(want)-1 {
			at = sloNow
		}
		if !p.At.Equal(at) || p.BudgetRemaining < want[i]-1e-9 || p.BudgetRemaining > want[i]+1e-9 {
			t.Errorf("point %d = %v at %s, want %v at %s", i, p.BudgetRemaining, p.At, want[i], at)
		}
	}
	if v, _ := f.status("checkout-availability"); v.Status.BudgetRemaining != got.Points[len(got.Points)-1].BudgetRemaining {
		t.Errorf("the burn-down ends at %v, the status says %v", got.Points[len(got.Points)-1].BudgetRemaining, v.Status.BudgetRemaining)
	}

	// Without a step: whole minutes giving about 240 points, 3h over 30d,
	// and the point at now.
	if code := f.call("GET", "/api/v1/slos/checkout-availability/burndown", viewerSecret, nil, &got); code != 200 || got.Step != "3h" || len(got.Points) != 241 {
		t.Errorf("default burndown = %d, step %s, %d points, want 200, 3h, 241", code, got.Step, len(got.Points))
	}

	tests := []struct {
		name, path, token string
		want              int
	}{
		{"not a duration", "/api/v1/slos/checkout-availability/burndown?step=soon", viewerSecret, http.StatusBadRequest},
		{"NUL", "/api/v1/slos/checkout-availability/burndown?step=1h%00", viewerSecret, http.StatusBadRequest},
		{"below a minute", "/api/v1/slos/checkout-availability/burndown?step=30s", viewerSecret, http.StatusBadRequest},
		{"negative", "/api/v1/slos/checkout-availability/burndown?step=-1h", viewerSecret, http.StatusBadRequest},
		// 30 days of minutes: 43,200 points.
		{"too many points", "/api/v1/slos/checkout-availability/burndown?step=1m", viewerSecret, http.StatusBadRequest},
		{"just enough points", "/api/v1/slos/checkout-availability/burndown?step=22m", viewerSecret, http.StatusOK},
		{"unknown SLO", "/api/v1/slos/nope/burndown", viewerSecret, http.StatusNotFound},
		{"no token", "/api/v1/slos/checkout-availability/burndown", "", http.StatusUnauthorized},
		{"pulled SLO", "/api/v1/slos/search-latency/burndown?step=1d", viewerSecret, http.StatusOK},
	}
	for _, tt := range tests {
		var e struct{ Code, Message string }
		code := f.call("GET", tt.path, tt.token, nil, &e)
		if code != tt.want {
			t.Errorf("%s: %s = %d (%s), want %d", tt.name, tt.path, code, e.Message, tt.want)
		}
		if code == http.StatusBadRequest && (e.Code != "bad_request" || e.Message == "") {
			t.Errorf("%s: error %+v, want bad_request saying why", tt.name, e)
		}
	}
}
