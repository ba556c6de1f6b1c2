package store

import "time"

// PhoneVerification is the state of proving that a user holds the number
// of one of their sms or voice contact methods: a code was sent to Number,
// and the user confirmed it (VerifiedAt) or has Attempts left until
// ExpiresAt. Only a keyed hash of the code is kept.
type PhoneVerification struct {
	UserID        string     `json:"user_id"`
	ContactMethod string     `json:"contact_method"`
	Number        string     `json:"number"`
	CodeHash      []byte     `json:"-"`
	SentAt        time.Time  `json:"sent_at"`
	ExpiresAt     time.Time  `json:"expires_at"`
	Attempts      int        `json:"attempts"`
	VerifiedAt    *time.Time `json:"verified_at,omitempty"`
}
