package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

// RunVerification runs the phone verification part of the suite.
// newStore is as for Run.
func RunVerification(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("PhoneVerification", func(t *testing.T) {
		t.Parallel()
		testPhoneVerification(t, newStore(t))
	})
	t.Run("PhoneVerificationRejected", func(t *testing.T) {
		t.Parallel()
		testPhoneVerificationRejected(t, newStore(t))
	})
}

func samePhoneVerification(a, b store.PhoneVerification) bool {
	sameTime := func(x, y *time.Time) bool {
		return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) && x.Location() == y.Location()
	}
	return a.UserID == b.UserID && a.ContactMethod == b.ContactMethod && a.Number == b.Number &&
		bytes.Equal(a.CodeHash, b.CodeHash) && (a.CodeHash == nil) == (b.CodeHash == nil) &&
		sameTime(&a.SentAt, &b.SentAt) && sameTime(&a.ExpiresAt, &b.ExpiresAt) && a.Attempts == b.Attempts &&
		sameTime(a.VerifiedAt, b.VerifiedAt)
}

func testPhoneVerification(t *testing.T, s store.Store) {
	ctx := context.Background()
	berlin := time.FixedZone("CET", 3600)
	sent := time.Date(2026, 11, 26, 13, 0, 0, 123456789, berlin) // stored as UTC, to the microsecond
	sentUTC := time.Date(2026, 11, 26, 12, 0, 0, 123456000, time.UTC)
	pending := store.PhoneVerification{UserID: "alice", ContactMethod: "alice-sms", Number: "+4915100000001",
		CodeHash: []byte{0, 1, 2, 0xff}, SentAt: sent, ExpiresAt: sent.Add(10 * time.Minute), Attempts: 0}

	err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.GetPhoneVerification("alice", "alice-sms")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetPhoneVerification before any = %v, want ErrNotFound", err)
	}
	rolledBack := errors.New("roll back")
	err = s.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutPhoneVerification(pending); err != nil {
			return err
		}
		return rolledBack
	})
	if !errors.Is(err, rolledBack) {
		t.Fatalf("Update = %v", err)
	}
	if vs, err := s.PhoneVerifications(ctx, "alice"); err != nil || len(vs) != 0 {
		t.Fatalf("after a rollback: %+v, %v; want none", vs, err)
	}

	verifiedAt := time.Date(2026, 11, 26, 12, 3, 0, 0, time.UTC)
	confirmed := pending
	confirmed.CodeHash, confirmed.Attempts, confirmed.VerifiedAt = nil, 2, &verifiedAt
	voice := store.PhoneVerification{UserID: "alice", ContactMethod: "alice-call", Number: "+4915100000002",
		CodeHash: []byte("hash"), SentAt: sentUTC, ExpiresAt: sentUTC.Add(10 * time.Minute), Attempts: 5}
	bob := store.PhoneVerification{UserID: "bob", ContactMethod: "bob-sms", Number: "+15550000001",
		CodeHash: []byte("h"), SentAt: sentUTC, ExpiresAt: sentUTC}
	steps := []struct {
		name string
		put  store.PhoneVerification
		want store.PhoneVerification // what GetPhoneVerification returns afterwards
	}{
		{"insert", pending, store.PhoneVerification{UserID: "alice", ContactMethod: "alice-sms", Number: "+4915100000001",
			CodeHash: []byte{0, 1, 2, 0xff}, SentAt: sentUTC, ExpiresAt: sentUTC.Add(10 * time.Minute)}},
		{"replace", confirmed, store.PhoneVerification{UserID: "alice", ContactMethod: "alice-sms", Number: "+4915100000001",
			SentAt: sentUTC, ExpiresAt: sentUTC.Add(10 * time.Minute), Attempts: 2, VerifiedAt: &verifiedAt}},
		{"another method", voice, voice},
		{"another user", bob, bob},
	}
	for _, step := range steps {
		var got store.PhoneVerification
		err := s.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutPhoneVerification(step.put); err != nil {
				return err
			}
			var err error
			got, err = tx.GetPhoneVerification(step.put.UserID, step.put.ContactMethod)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if !samePhoneVerification(got, step.want) {
			t.Errorf("%s: got %+v (verified %v), want %+v (verified %v)", step.name, got, got.VerifiedAt, step.want, step.want.VerifiedAt)
		}
	}
	vs, err := s.PhoneVerifications(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || !samePhoneVerification(vs[0], steps[2].want) || !samePhoneVerification(vs[1], steps[1].want) {
		t.Errorf("PhoneVerifications(alice) = %+v, want alice-call then alice-sms", vs)
	}
	if vs, err := s.PhoneVerifications(ctx, "nobody"); err != nil || len(vs) != 0 {
		t.Errorf("PhoneVerifications(nobody) = %+v, %v; want none", vs, err)
	}
}

func testPhoneVerificationRejected(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	bad := []store.PhoneVerification{
		{ContactMethod: "m", SentAt: at, ExpiresAt: at},
		{UserID: "u", SentAt: at, ExpiresAt: at},
		{UserID: "u\x00", ContactMethod: "m", SentAt: at, ExpiresAt: at},
		{UserID: "u", ContactMethod: "m", Number: "\xff", SentAt: at, ExpiresAt: at},
		{UserID: "u", ContactMethod: "m", SentAt: at, ExpiresAt: at, Attempts: -1},
	}
	for _, v := range bad {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutPhoneVerification(v) }); err == nil {
			t.Errorf("PutPhoneVerification(%+v) succeeded", v)
		}
	}
	if vs, err := s.PhoneVerifications(ctx, "u"); err != nil || len(vs) != 0 {
		t.Errorf("after refused writes: %+v, %v; want none", vs, err)
	}
	if _, err := s.PhoneVerifications(ctx, "u\xff"); err == nil {
		t.Error("PhoneVerifications accepted invalid UTF-8")
	}
}
