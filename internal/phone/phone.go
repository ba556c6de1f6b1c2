// Package phone verifies the numbers of sms and voice contact methods: a
// code is sent to the number and confirmed through the API, and only a
// verified number (or one an admin declared in configuration) is paged or
// may act on incidents by SMS or voice.
package phone

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Phone verification rules.
const (
	// VerificationTTL is how long a code works.
	VerificationTTL = 10 * time.Minute
	// VerificationAttempts is how many codes may be tried against one sent.
	VerificationAttempts = 5
	// verificationResend is how long before another code may be sent.
	verificationResend = time.Minute
	verificationDigits = 6
)

// Errors of phone verification.
var (
	ErrVerificationDisabled = errors.New("phone verification is not configured on this server")
	ErrNoCode               = errors.New("no code was sent to this number: request one first")
	ErrCodeExpired          = errors.New("the code expired: request a new one")
	ErrCodeWrong            = errors.New("wrong code")
	ErrTooManyAttempts      = errors.New("too many wrong codes: request a new one")
	ErrResendTooSoon        = errors.New("a code was sent less than a minute ago")
	ErrDeliveryFailed       = errors.New("the provider did not take the message")
	// ErrNotFound and ErrInvalid are the pipeline's too: a request names
	// something that does not exist, or is refused.
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid request")
	// ErrAmbiguous: several users have the number.
	ErrAmbiguous = errors.New("this number belongs to several users")
)

// sendTimeout bounds sending one code.
const sendTimeout = 10 * time.Second

// Options configures a Verifier.
type Options struct {
	Store store.Pipeline
	Org   *org.Manager
	Now   func() time.Time
	// Key keys the hashes of the codes; replicas share it. Empty disables
	// verification.
	Key []byte
	// Channels send the codes, by contact method type; Destination says
	// where a contact method's messages go.
	Channels    map[string]notify.Channel
	Destination func(*catalog.User, *catalog.ContactMethod) notify.Destination
}

// Verifier sends and checks verification codes.
type Verifier struct{ cfg Options }

// New builds a Verifier.
func New(o Options) *Verifier {
	o.Key = append([]byte(nil), o.Key...)
	return &Verifier{cfg: o}
}

// NeedsVerification says whether a contact method must be verified before
// it is paged: sms and voice numbers added through the API always, those
// declared in configuration files (by admins) only when they set verify.
func NeedsVerification(snap *org.Snapshot, u *catalog.User, cm *catalog.ContactMethod) bool {
	if cm.Type != catalog.MethodSMS && cm.Type != catalog.MethodVoice {
		return false
	}
	return cm.Verify || snap.Source(store.KindUser, u.ID) == store.SourceAPI
}

// numberVerified reports whether the user confirmed a code sent to the
// contact method's number (through this method or another with the same
// number).
func (v *Verifier) numberVerified(ctx context.Context, userID, number string) (bool, error) {
	vs, err := v.cfg.Store.PhoneVerifications(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("read phone verifications: %w", err)
	}
	for _, pv := range vs {
		if pv.Number == number && pv.VerifiedAt != nil {
			return true, nil
		}
	}
	return false, nil
}

// Check fails a send to a number that must be verified and is
// not; the failure is permanent, so the next method takes over.
func (v *Verifier) Check(ctx context.Context, snap *org.Snapshot, u *catalog.User, cm *catalog.ContactMethod) error {
	if !NeedsVerification(snap, u, cm) {
		return nil
	}
	ok, err := v.numberVerified(ctx, u.ID, cm.Number)
	if err != nil {
		return err
	}
	if !ok {
		return &notify.PermanentError{Err: fmt.Errorf("the number of %s contact method %s is not verified: confirm the code from POST /api/v1/users/%s/contact_methods/%s/verification",
			cm.Type, cm.ID, u.ID, cm.ID)}
	}
	return nil
}

// Reachable reports whether a contact method may be paged: it needs no
// verification, or its number is verified.
func (v *Verifier) Reachable(ctx context.Context, userID, contactMethod string) (needed, verified bool, err error) {
	snap := v.cfg.Org.Snapshot()
	u, cm, err := Lookup(snap, userID, contactMethod)
	if err != nil {
		return false, false, err
	}
	if !NeedsVerification(snap, u, cm) {
		return false, true, nil
	}
	ok, err := v.numberVerified(ctx, u.ID, cm.Number)
	return true, ok, err
}

// Lookup returns a user and one of their contact methods, or ErrNotFound.
func Lookup(snap *org.Snapshot, userID, methodID string) (*catalog.User, *catalog.ContactMethod, error) {
	u := snap.User(userID)
	if u == nil {
		return nil, nil, fmt.Errorf("%w: user %q", ErrNotFound, userID)
	}
	cm := u.ContactMethod(methodID)
	if cm == nil {
		return nil, nil, fmt.Errorf("%w: contact method %q of user %s", ErrNotFound, methodID, userID)
	}
	return u, cm, nil
}

// Start sends a fresh code to the number of an sms or voice
// contact method, through that method, and returns when the code expires.
// Only a keyed hash of the code is stored.
func (v *Verifier) Start(ctx context.Context, userID, contactMethod, actor string) (time.Time, error) {
	if len(v.cfg.Key) == 0 {
		return time.Time{}, ErrVerificationDisabled
	}
	snap := v.cfg.Org.Snapshot()
	u, cm, err := Lookup(snap, userID, contactMethod)
	if err != nil {
		return time.Time{}, err
	}
	if cm.Type != catalog.MethodSMS && cm.Type != catalog.MethodVoice {
		return time.Time{}, fmt.Errorf("%w: only sms and voice numbers are verified, %s is %s", ErrInvalid, cm.ID, cm.Type)
	}
	ch := v.cfg.Channels[cm.Type]
	if ch == nil {
		return time.Time{}, fmt.Errorf("%w: no channel delivers %s contact methods", ErrInvalid, cm.Type)
	}
	code, err := newCode()
	if err != nil {
		return time.Time{}, err
	}
	now := v.cfg.Now().UTC()
	fresh := store.PhoneVerification{UserID: u.ID, ContactMethod: cm.ID, Number: cm.Number,
		CodeHash: v.codeHash(u.ID, cm.ID, cm.Number, code), SentAt: now, ExpiresAt: now.Add(VerificationTTL)}
	var previous *store.PhoneVerification
	err = v.cfg.Store.Update(ctx, func(tx store.Tx) error {
		old, err := tx.GetPhoneVerification(u.ID, cm.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if old.Number == cm.Number && old.CodeHash != nil && now.Sub(old.SentAt) < verificationResend {
				return ErrResendTooSoon
			}
			if old.Number == cm.Number {
				fresh.VerifiedAt = old.VerifiedAt // a new code does not undo a proof
			}
			previous = &old
		}
		if err := tx.PutPhoneVerification(fresh); err != nil {
			return err
		}
		return tx.Audit(store.AuditEntry{At: now, Actor: actor, Action: "contact_method.verification_sent", Kind: store.KindUser,
			ObjID: u.ID, Details: fmt.Sprintf("code sent to %s contact method %s", cm.Type, cm.ID)})
	})
	if err != nil {
		return time.Time{}, err
	}
	msg := notify.Message{Kind: notify.KindVerification, VerificationCode: code, UserID: u.ID,
		IdempotencyKey: fmt.Sprintf("verify-%s-%s-%d", u.ID, cm.ID, now.Unix())}
	sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if sendErr := ch.Send(sendCtx, v.cfg.Destination(u, cm), msg); sendErr != nil {
		// The code never arrived: forget it, so that another can be sent.
		undo := store.PhoneVerification{UserID: u.ID, ContactMethod: cm.ID, Number: cm.Number, SentAt: now, ExpiresAt: now, VerifiedAt: fresh.VerifiedAt}
		if previous != nil {
			undo = *previous
		}
		err := v.cfg.Store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error { return tx.PutPhoneVerification(undo) })
		return time.Time{}, errors.Join(fmt.Errorf("send the code: %w: %w", ErrDeliveryFailed, sendErr), err)
	}
	return fresh.ExpiresAt, nil
}

// Confirm checks a code; the right one marks the number
// verified. Every wrong code counts; after VerificationAttempts the code
// no longer works.
func (v *Verifier) Confirm(ctx context.Context, userID, contactMethod, code, actor string) error {
	if len(v.cfg.Key) == 0 {
		return ErrVerificationDisabled
	}
	snap := v.cfg.Org.Snapshot()
	u, cm, err := Lookup(snap, userID, contactMethod)
	if err != nil {
		return err
	}
	if len(code) != verificationDigits {
		return fmt.Errorf("%w: the code has %d digits", ErrInvalid, verificationDigits)
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: the code has %d digits", ErrInvalid, verificationDigits)
		}
	}
	now := v.cfg.Now().UTC()
	wrong := false
	err = v.cfg.Store.Update(ctx, func(tx store.Tx) error {
		pv, err := tx.GetPhoneVerification(u.ID, cm.ID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoCode
		}
		if err != nil {
			return err
		}
		switch {
		case pv.CodeHash == nil || pv.Number != cm.Number:
			return ErrNoCode
		case pv.Attempts >= VerificationAttempts:
			return ErrTooManyAttempts
		case !now.Before(pv.ExpiresAt):
			return ErrCodeExpired
		}
		pv.Attempts++
		if !hmac.Equal(pv.CodeHash, v.codeHash(u.ID, cm.ID, cm.Number, code)) {
			wrong = true // committed, so that the attempt counts
			return tx.PutPhoneVerification(pv)
		}
		pv.CodeHash, pv.VerifiedAt = nil, &now
		if err := tx.PutPhoneVerification(pv); err != nil {
			return err
		}
		return tx.Audit(store.AuditEntry{At: now, Actor: actor, Action: "contact_method.verified", Kind: store.KindUser,
			ObjID: u.ID, Details: fmt.Sprintf("%s contact method %s verified", cm.Type, cm.ID)})
	})
	if err != nil {
		return err
	}
	if wrong {
		return ErrCodeWrong
	}
	return nil
}

// codeHash binds a code to the user, the contact method and the number it
// was sent to.
func (v *Verifier) codeHash(userID, contactMethod, number, code string) []byte {
	mac := hmac.New(sha256.New, v.cfg.Key)
	for _, s := range []string{"vigil-verification", userID, contactMethod, number, code} {
		mac.Write([]byte(s))
		mac.Write([]byte{0})
	}
	return mac.Sum(nil)
}

// newCode draws a uniformly random six-digit code.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("draw a verification code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// UserByNumber returns the user who may act from this phone number: the
// owner of an sms or voice contact method with the number that may be
// paged (verified, or needing no verification). ErrNotFound when there is
// none, ErrAmbiguous when several users have it.
func (v *Verifier) UserByNumber(ctx context.Context, number string) (string, error) {
	if number == "" {
		return "", fmt.Errorf("%w: no number", ErrNotFound)
	}
	snap := v.cfg.Org.Snapshot()
	var found []string
	for i := range snap.Bundle.Users {
		u := &snap.Bundle.Users[i]
		for j := range u.ContactMethods {
			cm := &u.ContactMethods[j]
			if cm.Number != number || cm.Type != catalog.MethodSMS && cm.Type != catalog.MethodVoice {
				continue
			}
			if NeedsVerification(snap, u, cm) {
				ok, err := v.numberVerified(ctx, u.ID, number)
				if err != nil {
					return "", err
				}
				if !ok {
					continue
				}
			}
			found = append(found, u.ID)
			break
		}
	}
	sort.Strings(found)
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%w: no user may act from this number", ErrNotFound)
	case 1:
		return found[0], nil
	}
	return "", ErrAmbiguous
}
