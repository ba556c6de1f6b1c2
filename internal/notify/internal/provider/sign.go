package provider

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/notify"
)

// VerifyTimestamped checks a signature header of the form prefix and 64
// hex digits against sign's answer, in constant time, and then that the
// Unix-seconds timestamp it covers is within maxAge of now, either way, so
// that a captured request cannot be replayed later. Vigil's webhooks and
// Slack's requests differ only in prefix and in what is signed.
func VerifyTimestamped(prefix, timestamp, header string, now time.Time, maxAge time.Duration, sign func() string) error {
	if len(timestamp) == 0 || len(timestamp) > 19 || strings.TrimLeft(timestamp, "0123456789") != "" {
		return fmt.Errorf("%w: timestamp %q", notify.ErrSignatureMalformed, Truncate(timestamp, 32))
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp: %v", notify.ErrSignatureMalformed, err)
	}
	if !strings.HasPrefix(header, prefix) || len(header) != len(prefix)+2*sha256.Size {
		return fmt.Errorf("%w: want %s<64 hex digits>", notify.ErrSignatureMalformed, prefix)
	}
	got, err := hex.DecodeString(header[len(prefix):])
	if err != nil {
		return fmt.Errorf("%w: %v", notify.ErrSignatureMalformed, err)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(sign(), prefix))
	if !hmac.Equal(got, want) {
		return notify.ErrSignatureMismatch
	}
	sent := time.Unix(ts, 0)
	if age := now.Sub(sent); age > maxAge || age < -maxAge {
		return fmt.Errorf("%w: sent %s, now %s", notify.ErrSignatureStale, sent.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// HMACSHA256Hex is the hex HMAC-SHA256 of parts, keyed with key: the
// signature both Vigil's webhooks and Slack's requests carry.
func HMACSHA256Hex(key string, parts ...[]byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		mac.Write(p)
	}
	return hex.EncodeToString(mac.Sum(nil))
}
