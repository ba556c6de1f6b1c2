package phone

import (
	"errors"
	"testing"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/org"
)

func TestNeedsVerification(t *testing.T) {
	// A snapshot of files: every user comes from configuration, none
	// through the API (those always need verification; the pipeline's
	// tests cover them).
	snap := org.SnapshotOf(&config.Bundle{Users: []catalog.User{{ID: "ana"}}})
	u := snap.User("ana")
	tests := []struct {
		cm   catalog.ContactMethod
		want bool
	}{
		{catalog.ContactMethod{Type: catalog.MethodSMS, Number: "+4915100000001"}, false},
		{catalog.ContactMethod{Type: catalog.MethodSMS, Number: "+4915100000001", Verify: true}, true},
		{catalog.ContactMethod{Type: catalog.MethodVoice, Number: "+4915100000001", Verify: true}, true},
		{catalog.ContactMethod{Type: "webhook", URL: "http://127.0.0.1/x", Verify: true}, false}, // only numbers are verified
		{catalog.ContactMethod{Type: "email", Address: "ana@example.com", Verify: true}, false},
	}
	for _, tt := range tests {
		if got := NeedsVerification(snap, u, &tt.cm); got != tt.want {
			t.Errorf("NeedsVerification(%s verify=%v) = %v, want %v", tt.cm.Type, tt.cm.Verify, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	snap := org.SnapshotOf(&config.Bundle{Users: []catalog.User{{ID: "ana",
		ContactMethods: []catalog.ContactMethod{{ID: "ana-sms", Type: catalog.MethodSMS, Number: "+4915100000001"}}}}})
	if u, cm, err := Lookup(snap, "ana", "ana-sms"); err != nil || u.ID != "ana" || cm.ID != "ana-sms" {
		t.Fatalf("Lookup(ana, ana-sms) = %v, %v, %v", u, cm, err)
	}
	for _, q := range [][2]string{{"bob", "ana-sms"}, {"ana", "ana-voice"}} {
		if _, _, err := Lookup(snap, q[0], q[1]); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%s, %s): %v, want ErrNotFound", q[0], q[1], err)
		}
	}
}
