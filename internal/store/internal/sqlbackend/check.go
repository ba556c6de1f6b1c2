package sqlbackend

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/store"
)

// Audit paging bounds, the same as the API's list limits.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

// AuditLimit turns a requested page size into the one to use: at most one
// more than MaxAuditLimit, because the API asks for one row more than the
// page it serves to learn whether another page follows.
func AuditLimit(requested int) int {
	switch {
	case requested <= 0:
		return DefaultAuditLimit
	case requested > MaxAuditLimit+1:
		return MaxAuditLimit + 1
	default:
		return requested
	}
}

// CheckText rejects strings that PostgreSQL cannot store as text (invalid
// UTF-8, NUL) so that SQLite, which would accept them, behaves the same.
func CheckText(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s contains a NUL byte", field)
	}
	return nil
}

// checkJSONText applies CheckText's rule to a JSON document. Whether it is
// valid JSON is left to the database, which checks it on write.
func checkJSONText(field string, doc []byte) error {
	if !utf8.Valid(doc) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	// A raw NUL is never JSON (inside a string it is written \u0000), and
	// SQLite's json_valid stops reading at one: "0\x00" passed as "0".
	if bytes.IndexByte(doc, 0) >= 0 {
		return fmt.Errorf("%s holds a NUL byte", field)
	}
	return nil
}

// CheckChanges validates a batch before it is written.
func CheckChanges(changes []store.Change) error {
	return checkEach("change", changes, func(c store.Change) error {
		o := c.Object
		err := errors.Join(required("kind", o.Kind), required("id", o.ID), CheckText("source", o.Source))
		if err == nil && !c.Delete {
			err = checkJSONText("body", o.Body)
		}
		if err != nil {
			return fmt.Errorf("%s %q: %w", o.Kind, o.ID, err)
		}
		return nil
	})
}

// checkEach applies check to every item and names the first that fails.
func checkEach[T any](what string, items []T, check func(T) error) error {
	for i, item := range items {
		if err := check(item); err != nil {
			return fmt.Errorf("%s %d: %w", what, i, err)
		}
	}
	return nil
}

// CheckAudit validates audit entries before they are written.
func CheckAudit(entries ...store.AuditEntry) error {
	return checkEach("audit entry", entries, func(e store.AuditEntry) error {
		return errors.Join(CheckText("actor", e.Actor), CheckText("action", e.Action), CheckText("kind", e.Kind),
			CheckText("object_id", e.ObjID), CheckText("details", e.Details),
			checkJSONText("before", e.Before), checkJSONText("after", e.After))
	})
}

// CheckToken validates a token before it is written.
func CheckToken(t store.Token) error {
	err := errors.Join(required("token id", t.ID), CheckText("token name", t.Name), CheckText("token user_id", t.UserID),
		CheckText("token role", t.Role))
	if err == nil && len(t.Hash) == 0 {
		err = errors.New("token hash is empty")
	}
	if err != nil {
		return fmt.Errorf("token %q: %w", t.ID, err)
	}
	return nil
}

func required(field, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", field)
	}
	return CheckText(field, s)
}

// CheckAuditQuery rejects filters that PostgreSQL could not compare with
// text, so that both backends answer "no such entries" alike.
func CheckAuditQuery(q store.AuditQuery) error {
	return errors.Join(CheckText("kind", q.Kind), CheckText("object_id", q.ObjID), CheckText("actor", q.Actor))
}

// maxPasswordHash bounds a stored password hash; encodings of argon2id
// are about a hundred bytes.
const maxPasswordHash = 1024

// CheckPasswordHash validates a password hash row before it is written.
func CheckPasswordHash(userID, hash string) error {
	err := errors.Join(required("user id", userID), required("password hash", hash))
	if err == nil && len(hash) > maxPasswordHash {
		err = fmt.Errorf("password hash is longer than %d bytes", maxPasswordHash)
	}
	if err != nil {
		return fmt.Errorf("password of %q: %w", userID, err)
	}
	return nil
}

// CheckPhoneVerification validates a verification state before it is
// written.
func CheckPhoneVerification(v store.PhoneVerification) error {
	err := errors.Join(required("user id", v.UserID), required("contact method", v.ContactMethod), CheckText("number", v.Number))
	if err == nil && v.Attempts < 0 {
		err = fmt.Errorf("%d attempts", v.Attempts)
	}
	if err != nil {
		return fmt.Errorf("phone verification of %q/%q: %w", v.UserID, v.ContactMethod, err)
	}
	return nil
}
