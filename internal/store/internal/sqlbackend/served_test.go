package sqlbackend

import (
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

func TestCheckServedShiftQuery(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 26, h, 0, 0, 0, time.UTC) }
	cases := []struct {
		name      string
		q         store.ServedShiftQuery
		wantEmpty bool
		wantErr   bool
	}{
		{name: "unbounded", q: store.ServedShiftQuery{}},
		{name: "from only", q: store.ServedShiftQuery{From: at(9)}},
		{name: "to only", q: store.ServedShiftQuery{To: at(9)}},
		{name: "a window", q: store.ServedShiftQuery{From: at(9), To: at(10)}},
		{name: "from equals to", q: store.ServedShiftQuery{From: at(9), To: at(9)}, wantEmpty: true},
		{name: "to before from", q: store.ServedShiftQuery{From: at(10), To: at(9)}, wantEmpty: true},
		{name: "NUL in the schedule", q: store.ServedShiftQuery{Schedule: "a\x00"}, wantErr: true},
		{name: "invalid UTF-8 in the schedule", q: store.ServedShiftQuery{Schedule: "\xff", From: at(10), To: at(9)}, wantErr: true},
	}
	for _, c := range cases {
		empty, err := CheckServedShiftQuery(c.q)
		if empty != c.wantEmpty || (err != nil) != c.wantErr {
			t.Errorf("%s: CheckServedShiftQuery = %v, %v; want %v, error %v", c.name, empty, err, c.wantEmpty, c.wantErr)
		}
	}
}

func TestCheckServedStartAndPhoneVerification(t *testing.T) {
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if err := CheckServedStart("rota", start); err != nil {
		t.Errorf("CheckServedStart(valid) = %v", err)
	}
	for _, c := range []struct {
		schedule string
		start    time.Time
	}{{"", start}, {"rota", time.Time{}}, {"r\x00", start}} {
		if err := CheckServedStart(c.schedule, c.start); err == nil {
			t.Errorf("CheckServedStart(%q, %v) accepted it", c.schedule, c.start)
		}
	}
	if err := CheckPhoneVerification(store.PhoneVerification{UserID: "u", ContactMethod: "m", Number: "+4930"}); err != nil {
		t.Errorf("CheckPhoneVerification(valid) = %v", err)
	}
	for _, v := range []store.PhoneVerification{
		{ContactMethod: "m"}, {UserID: "u"}, {UserID: "u\x00", ContactMethod: "m"},
		{UserID: "u", ContactMethod: "m", Number: "\xff"}, {UserID: "u", ContactMethod: "m", Attempts: -1},
	} {
		if err := CheckPhoneVerification(v); err == nil {
			t.Errorf("CheckPhoneVerification(%+v) accepted it", v)
		}
	}
}
