package notify

import "errors"

// Verbs a reply, a key press or a button asks for.
const (
	VerbAcknowledge = "acknowledge"
	VerbResolve     = "resolve"
)

// ErrNotVigilAction is returned for a chat interaction that is not a
// press of one of Vigil's buttons.
var ErrNotVigilAction = errors.New("not a Vigil button press")

// The errors of the checks a provider's callback must pass, by the answer
// the API gives; a request that fails one changes nothing.

// ErrMalformed is a request that does not parse (400).
var ErrMalformed = errors.New("malformed callback")

// ErrForbidden is a request the server refuses (403): the provider is not
// configured here, or a signature or token does not verify.
var ErrForbidden = errors.New("forbidden callback")

// ErrSignatureMalformed, ErrSignatureMismatch and ErrSignatureStale (401)
// refuse the timestamped signatures of Vigil's webhooks and of Slack's
// requests: missing or malformed, wrong, or too old.
var (
	ErrSignatureMalformed = errors.New("webhook signature malformed")
	ErrSignatureMismatch  = errors.New("webhook signature does not match")
	ErrSignatureStale     = errors.New("webhook timestamp outside the allowed window")
)
