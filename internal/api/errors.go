package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/phone"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/store"
)

// handlerFunc serves one route. It answers success itself and returns
// failures, which writeErr answers: handlers hold no status codes of
// failure but those of the requests they refuse (see httpError).
type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// answered wraps a handler that answers everything itself (the ingest and
// provider endpoints, whose senders expect their own formats).
func answered(h func(http.ResponseWriter, *http.Request, auth.Principal)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		h(w, r, p)
		return nil
	}
}

// httpError is a refusal with its answer.
type httpError struct {
	status     int
	code       string
	message    string
	retryAfter string // Retry-After, for 429 and 503
	challenge  string // WWW-Authenticate, for 401
	cause      error  // logged, never answered, for 5xx
}

func (e *httpError) Error() string { return e.message }

func (e *httpError) Unwrap() error { return e.cause }

// unavailable answers 503: the server cannot do this now (its store does
// not answer), and the client may retry; cause is logged.
func unavailable(cause error, format string, args ...any) error {
	return &httpError{status: http.StatusServiceUnavailable, code: "unavailable", message: fmt.Sprintf(format, args...), retryAfter: "1", cause: cause}
}

// errThrottled refuses a client that failed to authenticate too often.
var errThrottled = &httpError{status: http.StatusTooManyRequests, code: "rate_limited", message: "too many failed authentication attempts", retryAfter: "60"}

func refusal(status int, code, format string, args ...any) error {
	return &httpError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// badRequest refuses malformed or invalid input.
func badRequest(format string, args ...any) error {
	return refusal(http.StatusBadRequest, "bad_request", format, args...)
}

// notFound answers a path naming nothing.
func notFound(format string, args ...any) error {
	return refusal(http.StatusNotFound, "not_found", format, args...)
}

// forbidden refuses a caller who may not do this.
func forbidden(format string, args ...any) error {
	return refusal(http.StatusForbidden, "forbidden", format, args...)
}

// conflict refuses what the state of things does not allow.
func conflict(format string, args ...any) error {
	return refusal(http.StatusConflict, "conflict", format, args...)
}

// tooSoon refuses a request that may be repeated later.
func tooSoon(err error) error {
	return &httpError{status: http.StatusTooManyRequests, code: "rate_limited", message: err.Error(), retryAfter: "60"}
}

// errorCodes maps the errors of the packages below to their answers;
// writeErr tries them in order, each with errors.Is.
var errorCodes = []struct {
	err    error
	status int
	code   string
}{
	{store.ErrNotFound, http.StatusNotFound, "not_found"},
	{org.ErrNotFound, http.StatusNotFound, "not_found"},
	{pipeline.ErrNotFound, http.StatusNotFound, "not_found"},
	{org.ErrExists, http.StatusConflict, "conflict"},
	{pipeline.ErrInvalid, http.StatusBadRequest, "bad_request"},
	{pipeline.ErrIncidentClosed, http.StatusConflict, "conflict"},
	{phone.ErrCodeWrong, http.StatusUnprocessableEntity, "wrong_code"},
	{phone.ErrNoCode, http.StatusConflict, "no_code"},
	{phone.ErrCodeExpired, http.StatusGone, "expired"},
	{phone.ErrVerificationDisabled, http.StatusServiceUnavailable, "unavailable"},
	{phone.ErrDeliveryFailed, http.StatusBadGateway, "delivery_failed"},
}

// writeErr answers the error a handler returned: a refusal as it says,
// an error of the packages below by errorCodes, an invalid configuration
// with its problems, anything else 500 with the details logged, never
// answered.
func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var refused *httpError
	var invalid *org.InvalidError
	var listed interface{ Problems() []string }
	switch {
	case errors.As(err, &listed):
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid", "message": err.Error(), "errors": listed.Problems()})
		return
	case errors.As(err, &refused):
		if refused.cause != nil {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", refused.cause)
		}
		if refused.retryAfter != "" {
			w.Header().Set("Retry-After", refused.retryAfter)
		}
		if refused.challenge != "" {
			w.Header().Set("WWW-Authenticate", refused.challenge)
		}
		writeError(w, refused.status, refused.code, "%s", refused.message)
		return
	case errors.As(err, &invalid):
		writeJSON(w, http.StatusBadRequest, errorBody{Code: "invalid", Message: "the change would make the configuration invalid", Problems: invalid.Problems})
		return
	case errors.Is(err, phone.ErrTooManyAttempts), errors.Is(err, phone.ErrResendTooSoon):
		s.writeErr(w, r, tooSoon(err))
		return
	}
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			if c.status >= 500 {
				s.log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, c.status, c.code, "%v", err)
			return
		}
	}
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error; the server log has the details")
}

// problemsError is a refusal listing every problem found in a request.
type problemsError struct {
	message  string
	problems []string
}

func (e *problemsError) Error() string { return e.message }

// Problems lists the problems, each naming its field.
func (e *problemsError) Problems() []string { return e.problems }

// invalidRequest refuses a request with all its problems, answered as
// {"code": "invalid", "message", "errors": [...]}.
func invalidRequest(message string, problems []string) error {
	return &problemsError{message: message, problems: problems}
}
