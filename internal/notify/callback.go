package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
)

// CallbackToken authenticates a provider's callback about one notification
// (a Twilio key press or delivery status, a Mattermost button): base64url
// of the HMAC-SHA256, keyed with the server's callback key, of the
// notification id, incident id and user id. Whoever holds the token may act
// as that user on that incident, as with the signed links in the message.
func CallbackToken(key []byte, notificationID, incidentID int64, userID string) string {
	return base64.RawURLEncoding.EncodeToString(callbackMAC(key, notificationID, incidentID, userID))
}

// CheckCallbackToken reports whether token is CallbackToken's answer for
// these ids, comparing in constant time.
func CheckCallbackToken(key []byte, token string, notificationID, incidentID int64, userID string) bool {
	if len(key) == 0 || len(token) != base64.RawURLEncoding.EncodedLen(sha256.Size) {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return false
	}
	return hmac.Equal(got, callbackMAC(key, notificationID, incidentID, userID))
}

func callbackMAC(key []byte, notificationID, incidentID int64, userID string) []byte {
	mac := hmac.New(sha256.New, key)
	// A prefix keeps these MACs apart from anything else made with the
	// key; the user id goes last, so that no field can run into another.
	b := []byte("vigil-callback\x00")
	b = strconv.AppendInt(b, notificationID, 10)
	b = append(b, 0)
	b = strconv.AppendInt(b, incidentID, 10)
	b = append(b, 0)
	b = append(b, userID...)
	mac.Write(b)
	return mac.Sum(nil)
}
